/// librdkafka client properties, validated by `rd_kafka_conf_set` when a client is created (errors name the
/// property).
///
/// Each client type (`KafkaProducer`, `KafkaConsumer`, `KafkaAdmin`) adds its own documented defaults, which
/// `properties` may override unless that client says the property is fixed. The `description` redacts the values of
/// keys that look like credentials.
public struct KafkaConfiguration: Sendable, CustomStringConvertible {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// Passed through to librdkafka as is (e.g. `security.protocol`, `sasl.*`, `ssl.*`, `linger.ms`).
    public var properties: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
    }

    /// True for keys whose values must never be logged.
    static func isSensitive(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "secret", "sasl", "ssl.key"].contains { lowered.contains($0) }
    }

    public var description: String {
        let shown = properties.keys.sorted().map { key in
            "\(key)=\(Self.isSensitive(key) ? "<redacted>" : properties[key]!)"
        }
        return "KafkaConfiguration(bootstrap.servers=\(bootstrapServers)"
            + (shown.isEmpty ? "" : ", " + shown.joined(separator: ", ")) + ")"
    }

    /// The final property map: `defaults`, then `bootstrapServers` and `properties`, then `fixed`.
    ///
    /// A user property that contradicts a fixed one is refused rather than silently replaced.
    func resolvedProperties(
        defaults: [String: String],
        fixed: [String: String] = [:],
        client: String
    ) throws(KafkaError) -> [(key: String, value: String)] {
        var resolved = defaults
        resolved["bootstrap.servers"] = bootstrapServers
        for (key, value) in properties {
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
