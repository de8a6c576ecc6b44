import ArgumentParser
import Consumer
import Foundation
import Projections

/// Settings shared by the commands that talk to Kafka and Postgres. Every flag can also come from an
/// environment variable; the flag wins. Validated once, with messages that name the setting.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers (env ATTENDANCE_BROKERS).")
    var brokers: String?

    @Option(name: .customLong("database-url"), help: "libpq connection URI or conninfo string (env DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .long, help: "Postgres schema holding the tables (env ATTENDANCE_SCHEMA, default event_platform).")
    var schema: String?

    @Option(name: .customLong("group-id"), help: "Consumer group id (env ATTENDANCE_GROUP_ID, default attendance-check-in).")
    var groupID: String?

    @Option(name: .customLong("migrations-dir"), help: "Folder of ordered SQL migrations (env ATTENDANCE_MIGRATIONS_DIR, default ./migrations).")
    var migrationsDirectory: String?

    @Option(name: .customLong("topics-dir"), help: "Folder of topic specs (env ATTENDANCE_TOPICS_DIR, default ./topics).")
    var topicsDirectory: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func resolvedBrokers() -> String? {
        nonEmpty(brokers) ?? nonEmpty(environment["ATTENDANCE_BROKERS"])
    }

    func requireBrokers() throws -> String {
        guard let brokers = resolvedBrokers() else {
            throw ConfigurationError("no Kafka brokers: pass --brokers or set ATTENDANCE_BROKERS")
        }
        return brokers
    }

    func requireDatabaseURL() throws -> String {
        if let url = nonEmpty(databaseURL) ?? nonEmpty(environment["DATABASE_URL"]) { return url }
        if let file = nonEmpty(environment["DATABASE_URL_FILE"]) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let url = nonEmpty(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { throw ConfigurationError("DATABASE_URL_FILE=\(file) cannot be read or is empty") }
            return url
        }
        throw ConfigurationError("no database: pass --database-url or set DATABASE_URL (a libpq URI or conninfo)")
    }

    func resolvedSchema() throws -> String {
        let schema = nonEmpty(schema) ?? nonEmpty(environment["ATTENDANCE_SCHEMA"]) ?? "event_platform"
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw ConfigurationError("--schema / ATTENDANCE_SCHEMA \"\(schema)\" must match [a-z_][a-z0-9_]{0,62}")
        }
        return schema
    }

    func resolvedGroupID() throws -> String {
        let group = nonEmpty(groupID) ?? nonEmpty(environment["ATTENDANCE_GROUP_ID"]) ?? "attendance-check-in"
        guard group.count <= 255 else { throw ConfigurationError("--group-id / ATTENDANCE_GROUP_ID is longer than 255") }
        return group
    }

    func migrationsURL() -> URL {
        URL(fileURLWithPath: nonEmpty(migrationsDirectory) ?? nonEmpty(environment["ATTENDANCE_MIGRATIONS_DIR"]) ?? "migrations")
    }

    func topicsURL() -> URL {
        URL(fileURLWithPath: nonEmpty(topicsDirectory) ?? nonEmpty(environment["ATTENDANCE_TOPICS_DIR"]) ?? "topics")
    }

    /// `ATTENDANCE_KAFKA_SECURITY_PROTOCOL=SSL` → `security.protocol=SSL`: librdkafka settings passed through.
    func kafkaProperties() -> [String: String] {
        var properties: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("ATTENDANCE_KAFKA_") {
            let key = name.dropFirst("ATTENDANCE_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            guard !key.isEmpty else { continue }
            properties[key] = value
        }
        return properties
    }

    func kafkaConfiguration(brokers: String) -> KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: brokers, properties: kafkaProperties())
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
