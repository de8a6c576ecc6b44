/// librdkafka client properties, validated by `rd_kafka_conf_set` when a client is created (errors name the
/// property).
///
/// Each client type (`KafkaProducer`, `KafkaConsumer`, `KafkaAdmin`) adds its own documented defaults, which
/// `properties` may override unless that client says the property is fixed. The `description` redacts the values of
/// keys that look like credentials.
public struct KafkaConfiguration: Sendable, CustomStringConvertible {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// Passed through to librdkafka as is, for every client (e.g. `security.protocol`, `sasl.*`, `ssl.*`).
    public var properties: [String: String]
    /// For consumers only (e.g. `session.timeout.ms`), over `properties`: librdkafka warns at every start of a
    /// producer given a consumer property, and operators should not learn to ignore warnings.
    public var consumerProperties: [String: String]
    /// For producers only (e.g. `linger.ms`), over `properties`.
    public var producerProperties: [String: String]

    public init(
        bootstrapServers: String,
        properties: [String: String] = [:],
        consumerProperties: [String: String] = [:],
        producerProperties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
        self.consumerProperties = consumerProperties
        self.producerProperties = producerProperties
    }

    /// The kind of librdkafka handle a client creates: which scoped properties it takes.
    public enum ClientKind: Sendable {
        case consumer
        case producer
        /// Admin requests only: neither consumer nor producer properties.
        case admin
    }

    /// True for keys whose values must never be logged.
    static func isSensitive(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "secret", "sasl", "ssl.key"].contains { lowered.contains($0) }
    }

    public var description: String {
        let scoped = [("", properties), ("consumer:", consumerProperties), ("producer:", producerProperties)]
        let shown = scoped.flatMap { scope, properties in
            properties.keys.sorted().map { key in
                "\(scope)\(key)=\(Self.isSensitive(key) ? "<redacted>" : properties[key]!)"
            }
        }
        return "KafkaConfiguration(bootstrap.servers=\(bootstrapServers)"
            + (shown.isEmpty ? "" : ", " + shown.joined(separator: ", ")) + ")"
    }

    /// Whether `key` is set for clients of `kind`, for every client or for that kind only: a default of the
    /// program's own must then yield to it.
    public func sets(_ key: String, for kind: ClientKind) -> Bool {
        switch kind {
        case .consumer: properties[key] != nil || consumerProperties[key] != nil
        case .producer: properties[key] != nil || producerProperties[key] != nil
        case .admin: properties[key] != nil
        }
    }

    /// The final property map: `defaults`, then `bootstrapServers` and `properties`, then the properties scoped to
    /// `kind`, then `fixed`.
    ///
    /// A user property that contradicts a fixed one is refused rather than silently replaced.
    func resolvedProperties(
        defaults: [String: String],
        fixed: [String: String] = [:],
        kind: ClientKind,
        client: String
    ) throws(KafkaError) -> [(key: String, value: String)] {
        var resolved = defaults
        resolved["bootstrap.servers"] = bootstrapServers
        var given = properties
        switch kind {
        case .consumer: given.merge(consumerProperties) { _, scoped in scoped }
        case .producer: given.merge(producerProperties) { _, scoped in scoped }
        case .admin: break
        }
        for (key, value) in given {
            if let required = fixed[key], !Self.equivalent(key: key, value, required) {
                throw .invalidConfiguration("\(client) requires \(key)=\(required); the property cannot be overridden")
            }
            resolved[key] = value
        }
        resolved.merge(fixed) { _, fixedValue in fixedValue }
        return resolved.sorted { $0.key < $1.key }
    }

    private static func equivalent(key: String, _ lhs: String, _ rhs: String) -> Bool {
        let normalize = { (value: String) -> String in
            let lowered = value.lowercased()
            return key == "acks" && lowered == "-1" ? "all" : lowered
        }
        return normalize(lhs) == normalize(rhs)
    }
}
