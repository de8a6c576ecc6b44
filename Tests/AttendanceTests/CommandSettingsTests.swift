import ArgumentParser
import Testing

@testable import Attendance

/// Each command shows (and so parses and validates) only the settings it uses.
@Suite("Command settings: each command lists only its own", .timeLimit(.minutes(1)))
struct CommandSettingsTests {
    static let everySetting = [
        "--brokers", "--database-url", "--schema", "--group-id", "--migrations-dir", "--topics-dir", "--batch-size",
        "--batch-wait-ms", "--consumers", "--log-level", "--http-addr", "--points-api-url", "--settler-group-id",
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        let command: any ParsableCommand.Type
        let settings: Set<String>
        var testDescription: String { command._commandName }
    }

    static let cases: [Case] = [
        Case(command: TopicsCommand.Apply.self, settings: ["--brokers", "--topics-dir"]),
        Case(command: RewardsRetryCommand.self, settings: ["--database-url", "--schema"]),
        Case(command: RewardsListCommand.self, settings: ["--database-url", "--schema"]),
        Case(command: MigrateCommand.self, settings: ["--database-url", "--schema", "--migrations-dir"]),
        Case(command: EventsCommand.Apply.self, settings: ["--database-url", "--schema"]),
        Case(command: StatusCommand.self, settings: ["--brokers", "--database-url", "--schema", "--group-id"]),
        Case(
            command: ConsumeCommand.self,
            settings: [
                "--brokers", "--database-url", "--schema", "--group-id", "--batch-size", "--batch-wait-ms",
                "--consumers", "--log-level", "--http-addr",
            ]
        ),
        Case(
            command: RelayCommand.self,
            settings: ["--brokers", "--database-url", "--schema", "--log-level", "--http-addr"]
        ),
        Case(
            command: SettleCommand.self,
            settings: [
                "--brokers", "--database-url", "--schema", "--log-level", "--http-addr", "--points-api-url",
                "--settler-group-id",
            ]
        ),
        Case(command: RunCommand.self, settings: Set(everySetting)),
        Case(
            command: ServeCommand.self,
            settings: ["--brokers", "--database-url", "--schema", "--log-level", "--http-addr"]
        ),
        Case(command: ReportCommand.self, settings: ["--database-url", "--schema"]),
        Case(command: TokenCommand.self, settings: []),
    ]

    @Test(arguments: cases)
    func helpListsOnlyTheSettingsTheCommandUses(_ testCase: Case) {
        let help = testCase.command.helpMessage(columns: 200)
        let listed = Set(Self.everySetting.filter { help.contains("\($0) ") || help.contains("\($0)\n") })
        #expect(listed == testCase.settings)
    }

    @Test func topicsApplyTakesNoDatabaseOrGroup() throws {
        #expect(throws: (any Error).self) { try TopicsCommand.Apply.parse(["--database-url", "x"]) }
        #expect(throws: (any Error).self) { try TopicsCommand.Apply.parse(["--group-id", "g"]) }
        let command = try TopicsCommand.Apply.parse(["--replication-factor", "1", "--min-insync-replicas", "1"])
        #expect(command.replicationFactor == 1 && command.minInsyncReplicas == 1)
        #expect(throws: (any Error).self) { try TopicsCommand.Apply.parse(["--replication-factor", "0"]) }
    }

    @Test func rewardsRetryTakesNoTopicsFolder() {
        #expect(throws: (any Error).self) { try RewardsRetryCommand.parse(["--all", "--topics-dir", "t"]) }
    }
}

/// `ATTENDANCE_KAFKA_*` variables: which clients each reaches, and a prefix with no property name is refused.
@Suite("Kafka settings from the environment")
struct KafkaEnvironmentTests {
    @Test func scopedVariablesReachTheirKindOfClientOnly() {
        let configuration = KafkaOptions().kafkaConfiguration(
            brokers: "broker:9092",
            environment: [
                "ATTENDANCE_KAFKA_SECURITY_PROTOCOL": "SSL",
                "ATTENDANCE_KAFKA_CONSUMER_SESSION_TIMEOUT_MS": "6000",
                "ATTENDANCE_KAFKA_PRODUCER_LINGER_MS": "10",
                "ATTENDANCE_BROKERS": "ignored:9092",
            ]
        )
        #expect(configuration.properties == ["security.protocol": "SSL"])
        #expect(configuration.consumerProperties == ["session.timeout.ms": "6000"])
        #expect(configuration.producerProperties == ["linger.ms": "10"])
    }

    @Test(arguments: ["ATTENDANCE_KAFKA_", "ATTENDANCE_KAFKA_CONSUMER_", "ATTENDANCE_KAFKA_PRODUCER_"])
    func aPrefixWithoutAPropertyIsRefusedByName(_ name: String) throws {
        let problem = try #require(KafkaOptions.unnamedProperty(in: [name: "1"]))
        #expect(problem.contains(name))
        #expect(problem.contains("names no librdkafka property"))
        let configuration = KafkaOptions().kafkaConfiguration(brokers: "broker:9092", environment: [name: "1"])
        #expect(configuration.properties.isEmpty)
        #expect(configuration.consumerProperties.isEmpty)
        #expect(configuration.producerProperties.isEmpty)
    }

    @Test func ordinaryVariablesPassValidation() {
        #expect(
            KafkaOptions.unnamedProperty(in: ["ATTENDANCE_KAFKA_CLIENT_ID": "a", "ATTENDANCE_BROKERS": "b"]) == nil
        )
    }
}
