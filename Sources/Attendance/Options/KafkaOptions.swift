import ArgumentParser
import CommandSupport
import Consumer

/// Where Kafka is, for the commands that talk to it. `ATTENDANCE_KAFKA_*` variables pass librdkafka settings through.
struct KafkaOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers (env ATTENDANCE_BROKERS).")
    var brokers: String?

    func resolvedBrokers() -> String? {
        Environment.value(brokers, "ATTENDANCE_BROKERS")
    }

    func requireBrokers() throws -> String {
        guard let brokers = resolvedBrokers() else {
            throw ConfigurationError("no Kafka brokers: pass --brokers or set ATTENDANCE_BROKERS")
        }
        return brokers
    }

    /// A variable with nothing after its prefix would reach librdkafka as a property named `consumer.` (or an empty
    /// one), and fail there with a message that names neither the variable nor the fix.
    func validate() throws {
        if let problem = Self.unnamedProperty(in: Environment.values) { throw ValidationError(problem) }
    }

    static func unnamedProperty(in environment: [String: String]) -> String? {
        let prefixes = ["ATTENDANCE_KAFKA_", "ATTENDANCE_KAFKA_CONSUMER_", "ATTENDANCE_KAFKA_PRODUCER_"]
        guard let name = prefixes.first(where: { environment[$0] != nil }) else { return nil }
        return "environment variable \(name) names no librdkafka property: write it as \(name)<PROPERTY>, "
            + "e.g. \(name)SOCKET_TIMEOUT_MS=30000 for socket.timeout.ms"
    }

    /// `ATTENDANCE_KAFKA_SECURITY_PROTOCOL=SSL` → `security.protocol=SSL` for every client;
    /// `ATTENDANCE_KAFKA_CONSUMER_SESSION_TIMEOUT_MS=6000` → `session.timeout.ms=6000` for consumers only, and
    /// `ATTENDANCE_KAFKA_PRODUCER_…` for producers only. (No librdkafka property starts with `consumer.` or
    /// `producer.`.)
    func kafkaConfiguration(brokers: String, environment: [String: String] = Environment.values) -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: brokers)
        for (name, value) in environment where name.hasPrefix("ATTENDANCE_KAFKA_") {
            let key = name.dropFirst("ATTENDANCE_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            if key.hasPrefix("consumer."), key.count > "consumer.".count {
                configuration.consumerProperties[String(key.dropFirst("consumer.".count))] = value
            } else if key.hasPrefix("producer."), key.count > "producer.".count {
                configuration.producerProperties[String(key.dropFirst("producer.".count))] = value
            } else if !key.isEmpty, key != "consumer.", key != "producer." {
                configuration.properties[key] = value
            }
        }
        return configuration
    }
}
