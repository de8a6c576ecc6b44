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

    /// `ATTENDANCE_KAFKA_SECURITY_PROTOCOL=SSL` → `security.protocol=SSL` for every client;
    /// `ATTENDANCE_KAFKA_CONSUMER_SESSION_TIMEOUT_MS=6000` → `session.timeout.ms=6000` for consumers only, and
    /// `ATTENDANCE_KAFKA_PRODUCER_…` for producers only. (No librdkafka property starts with `consumer.` or
    /// `producer.`.)
    func kafkaConfiguration(brokers: String) -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: brokers)
        for (name, value) in Environment.values where name.hasPrefix("ATTENDANCE_KAFKA_") {
            let key = name.dropFirst("ATTENDANCE_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            if key.hasPrefix("consumer."), key.count > "consumer.".count {
                configuration.consumerProperties[String(key.dropFirst("consumer.".count))] = value
            } else if key.hasPrefix("producer."), key.count > "producer.".count {
                configuration.producerProperties[String(key.dropFirst("producer.".count))] = value
            } else if !key.isEmpty {
                configuration.properties[key] = value
            }
        }
        return configuration
    }
}
