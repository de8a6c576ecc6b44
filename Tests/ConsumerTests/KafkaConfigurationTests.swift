import Consumer
import Testing

@Suite("Configuration validation", .timeLimit(.minutes(5)))
struct KafkaConfigurationTests {
    @Test func anUnknownPropertyIsNamed() {
        let configuration = KafkaConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "1"])
        #expect {
            try KafkaProducer(configuration: configuration, logger: TestSupport.logger())
        } throws: { error in
            (error as? KafkaError)?.message.contains("no.such.property") == true
        }
    }

    @Test func anInvalidValueNamesThePropertyButHidesSecrets() throws {
        let invalid = KafkaConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["linger.ms": "soon"])
        let error = try #require(throws: KafkaError.self) {
            try KafkaConsumer(
                configuration: invalid,
                groupID: "g",
                rebalanceListener: nil,
                logger: TestSupport.logger()
            )
        }
        #expect(error.message.contains("linger.ms") && error.name == "_INVALID_ARG" && !error.isRetriable)

        let secret = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:1",
            properties: ["sasl.kerberos.min.time.before.relogin": "hunter2-secret", "sasl.password": "hunter3"]
        )
        let secretError = try #require(throws: KafkaError.self) {
            try KafkaAdmin(configuration: secret, logger: TestSupport.logger())
        }
        #expect(secretError.message.contains("sasl.kerberos.min.time.before.relogin"))
        #expect(!"\(secretError)".contains("hunter2"))
        #expect(!"\(secret)".contains("hunter") && "\(secret)".contains("sasl.password=<redacted>"))
    }

    @Test func aKeySetForEveryClientOrForOneKindCountsForThatKindOnly() {
        let configuration = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:1",
            properties: ["client.id": "a"],
            consumerProperties: ["fetch.wait.max.ms": "10"],
            producerProperties: ["message.timeout.ms": "2000"]
        )
        #expect(configuration.sets("client.id", for: .consumer) && configuration.sets("client.id", for: .admin))
        #expect(configuration.sets("fetch.wait.max.ms", for: .consumer))
        #expect(!configuration.sets("fetch.wait.max.ms", for: .producer))
        #expect(configuration.sets("message.timeout.ms", for: .producer))
        #expect(!configuration.sets("message.timeout.ms", for: .consumer))
        #expect(!configuration.sets("message.timeout.ms", for: .admin))
    }

    @Test func scopedPropertiesReachOnlyTheirKindOfClient() throws {
        // An invalid value shows which clients a property reaches: only those refuse to start.
        let consumerOnly = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:1",
            consumerProperties: ["session.timeout.ms": "soon"]
        )
        #expect(throws: KafkaError.self) {
            try KafkaConsumer(
                configuration: consumerOnly,
                groupID: "g",
                rebalanceListener: nil,
                logger: TestSupport.logger()
            )
        }
        try KafkaProducer(configuration: consumerOnly, logger: TestSupport.logger()).close(flushTimeout: .zero)
        _ = try KafkaAdmin(configuration: consumerOnly, logger: TestSupport.logger())

        let producerOnly = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:1",
            properties: ["linger.ms": "1"],
            producerProperties: ["linger.ms": "soon"]
        )
        let error = try #require(throws: KafkaError.self) {
            try KafkaProducer(configuration: producerOnly, logger: TestSupport.logger())
        }
        #expect(error.message.contains("linger.ms"))
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(
                bootstrapServers: "127.0.0.1:1",
                consumerProperties: ["session.timeout.ms": "6000"],
                producerProperties: ["linger.ms": "soon"]
            ),
            groupID: "g",
            rebalanceListener: nil,
            logger: TestSupport.logger()
        )
        consumer.close()
        #expect("\(producerOnly)".contains("producer:linger.ms=soon"))
    }

    @Test func fixedProducerPropertiesCannotBeOverridden() throws {
        let acksOne = KafkaConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["acks": "1"])
        let error = try #require(throws: KafkaError.self) {
            try KafkaProducer(configuration: acksOne, logger: TestSupport.logger())
        }
        #expect(error.message.contains("acks=all"))
        // Same values are accepted, and so is acks=-1 (librdkafka's spelling of all).
        let same = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:1",
            properties: ["acks": "-1", "enable.idempotence": "true"]
        )
        _ = try KafkaProducer(configuration: same, logger: TestSupport.logger())
    }

    @Test func conflictsFoundByRdKafkaNewNameTheProperty() throws {
        let conflicting = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:1",
            properties: ["max.in.flight.requests.per.connection": "20"]
        )
        let error = try #require(throws: KafkaError.self) {
            try KafkaProducer(configuration: conflicting, logger: TestSupport.logger())
        }
        #expect(error.message.contains("max.in.flight"))
    }
}
