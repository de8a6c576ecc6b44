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

    /// `ATTENDANCE_KAFKA_SECURITY_PROTOCOL=SSL` → `security.protocol=SSL`: librdkafka settings passed through.
    func kafkaProperties() -> [String: String] {
        var properties: [String: String] = [:]
        for (name, value) in Environment.values where name.hasPrefix("ATTENDANCE_KAFKA_") {
            let key = name.dropFirst("ATTENDANCE_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            guard !key.isEmpty else { continue }
            properties[key] = value
        }
        return properties
    }

    func kafkaConfiguration(brokers: String) -> KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: brokers, properties: kafkaProperties())
    }
}
