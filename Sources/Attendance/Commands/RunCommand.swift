import ArgumentParser
import AttendanceAPI
import CommandSupport
import Consumer
import Domain
import FakeRewardAPI
import Foundation
import Logging
import Operations
import Projections
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the check-in consumer, the outbox relay and the reward settler together.",
        discussion: """
            With no brokers configured (or --embedded) it starts an in-process Kafka-protocol cluster \
            (3 brokers), creates the topics, applies demo events, feeds generated check-ins and prints \
            a live summary until stopped (Ctrl-C); rewards are then settled against an in-process fake reward API. \
            Otherwise the settler runs when the reward API URLs are configured.
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var consumerGroup: GroupOptions
    @OptionGroup var migrationsFolder: MigrationsFolderOptions
    @OptionGroup var topicsFolder: TopicsFolderOptions
    @OptionGroup var tuning: ConsumerOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var rewards: RewardOptions
    @OptionGroup var operations: OperationsOptions
    @OptionGroup var api: APIOptions

    static let embeddedSchema = "attendance_demo"

    @Flag(
        help:
            "Start the embedded cluster and demo traffic even if brokers are configured (schema attendance_demo, recreated)."
    )
    var embedded = false

    @Option(name: .customLong("demo-rate"), help: "Generated check-ins per second in embedded mode.")
    var demoRate = 2_000

    @Option(name: .customLong("demo-members"), help: "Members in the embedded demo.")
    var demoMembers = 20_000

    func run() async throws {
        let postgres = try database.requireDatabase()
        let logger = try log.logger(label: "attendance.run")
        let (address, registry) = try operations.bootstrap(for: .run)
        let isEmbedded = embedded || kafka.resolvedBrokers() == nil
        var database = database
        var groupID = try consumerGroup.resolvedGroupID()
        if isEmbedded {
            // The embedded cluster is new and empty every run, so its data must be too: offsets stored for an
            // earlier cluster would skip this one's messages. The demo gets its own schema, recreated each run,
            // and a group id of its own.
            if database.usesDefaultSchema {
                database.schema = Self.embeddedSchema
                try await Blocking.run("reset") {
                    try Setup.drop(schema: Self.embeddedSchema, postgres: postgres)
                }
            }
            groupID = "attendance-embedded-\(Int(Date().timeIntervalSince1970))"
        }
        let schema = try database.resolvedSchema()

        var mock: KafkaMockCluster?
        let brokers: String
        if isEmbedded {
            let specs = try TopicSpec.loadAll(from: topicsFolder.topicsURL())
            let cluster = try KafkaMockCluster(brokers: 3)
            let created = try TopicReconciler.apply(specs, mock: cluster)
            mock = cluster
            brokers = cluster.bootstrapServers
            say("embedded Kafka-protocol cluster (3 brokers) at \(brokers); topics: \(created.joined(separator: ", "))")
            say("  send more:  echo '1:1001|{...}' | kcat -P -b \(brokers) -t attendance.check-in-requests.v1 -K '|'")
            say("  watch:      kcat -C -b \(brokers) -t attendance.reward-commands.v1 -f '%k %s\\n'")
        } else {
            brokers = try kafka.requireBrokers()
        }
        var kafkaConfiguration = kafka.kafkaConfiguration(brokers: brokers)
        if isEmbedded {
            // Consumers only (a producer given a consumer property warns at every start); a configured value wins.
            for (key, value) in KafkaMockCluster.lowLatencyConsumerProperties
            where !kafkaConfiguration.sets(key, for: .consumer) {
                kafkaConfiguration.consumerProperties[key] = value
            }
        }

        let migrationsURL = migrationsFolder.migrationsURL()
        let report = try await Blocking.run("migrate") {
            try Setup.migrate(postgres: postgres, schema: schema, directory: migrationsURL)
        }
        say("database schema \(schema): \(report.applied.count) migrations applied, \(report.alreadyApplied) already")

        var services: [any Service] = []
        let consumerConfiguration = tuning.consumerConfiguration(
            kafka: kafkaConfiguration,
            groupID: groupID,
            postgres: postgres,
            schema: schema
        )
        let consumers = (0..<(try tuning.resolvedConsumers())).map { _ in
            CheckInConsumer(configuration: consumerConfiguration, logger: logger)
        }
        let relay = OutboxRelay(
            configuration: OutboxRelay.Configuration(
                kafka: kafkaConfiguration,
                postgres: postgres,
                schema: schema
            ),
            logger: logger
        )
        services.append(contentsOf: consumers as [any Service])
        services.append(relay)

        var generator: CheckInGenerator?
        if isEmbedded {
            let days = 14
            let firstDay = DemoEvents.firstDay(daysAgo: days)
            let policies = try DemoEvents.policies(ids: [1, 2], startingAt: firstDay)
            let outcomes = try await Blocking.run("events") {
                try Setup.apply(policies, postgres: postgres, schema: schema)
            }
            for (policy, outcome) in outcomes { print("demo event \(policy.id): \(outcome)") }
            let settings = CheckInWorkload.Settings(
                eventIDs: policies.map(\.id),
                members: demoMembers,
                days: days,
                firstDay: firstDay,
                newMembersEachRound: true,
                seed: UInt64(UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)))
            )
            let feed = CheckInGenerator(
                kafka: kafkaConfiguration,
                topic: TopicNames.standard.checkInRequests,
                ratePerSecond: demoRate,
                settings: settings,
                logger: logger
            )
            generator = feed
            services.append(feed)
            say(
                "feeding \(demoRate) generated check-ins/s for \(demoMembers) members over the last \(days) days, "
                    + "then the next \(demoMembers) members, and so on; Ctrl-C stops"
            )
        }
        // Reward settlement: against an in-process fake reward API when embedded (20 ms latency, 5% transient
        // failures), else against the configured APIs. The fake runs beside the service group, which needs its URL.
        let fake: FakeRewardServer? =
            isEmbedded
            ? FakeRewardServer(configuration: .init(faults: .transient(0.05, latency: .milliseconds(20)))) : nil
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            if let fake { tasks.addTask { try await fake.run() } }
            var settler: RewardSettler?
            let urls: (points: String, coupons: String)?
            if let fake {
                let url = try await fake.baseURL()
                urls = (url, url)
                say("fake reward API at \(url) (20 ms latency, 5% transient failures)")
            } else {
                urls = rewards.resolvedURLs()
                if urls == nil {
                    say("reward settler off: set ATTENDANCE_POINTS_API_URL and ATTENDANCE_COUPONS_API_URL to run it")
                }
            }
            if let urls {
                let rewardSettler = RewardSettler(
                    configuration: try rewards.settlerConfiguration(
                        kafka: kafkaConfiguration,
                        postgres: postgres,
                        schema: schema,
                        urls: urls
                    ),
                    logger: logger
                )
                settler = rewardSettler
                services.append(rewardSettler)
            }
            if let server = try await apiServer(
                kafka: kafkaConfiguration,
                postgres: postgres,
                schema: schema,
                embedded: isEmbedded,
                logger: logger
            ) {
                services.append(server)
            }
            services.append(LiveSummary(consumers: consumers, relay: relay, generator: generator, settler: settler))
            let surface = OperationsSurface(
                address: address,
                registry: registry,
                sampler: .init(postgres: postgres, schema: schema, kafka: kafkaConfiguration),
                consumers: consumers,
                relay: relay,
                settler: settler,
                logger: logger
            )
            services.append(contentsOf: [surface.sampler, surface.server] as [any Service])
            if address.port != 0 { say("metrics and health at http://\(address)/metrics, /health/ready") }
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            )
            try await OperationsOptions.run(group)
            tasks.cancelAll()
            try await tasks.waitForAll()
        }
        withExtendedLifetime(mock) {}
        if isEmbedded {
            // The demo's rows stay for a look, but nothing will read its outbox slot again (the next embedded run
            // recreates the schema), and an unread slot keeps every WAL segment from now on.
            try await Blocking.run("release-slot") {
                try Setup.releaseSlot(schema: Self.embeddedSchema, postgres: postgres)
            }
        }
        say("stopped cleanly")
    }
}

extension RunCommand {
    /// The HTTP API beside the pipeline. Embedded, it verifies tokens with a secret made for this run and prints a
    /// token and a few requests to try; otherwise it runs when a verification key is configured.
    func apiServer(
        kafka: KafkaConfiguration,
        postgres: PostgresConfiguration,
        schema: String,
        embedded: Bool,
        logger: Logger
    ) async throws -> APIServer? {
        var demoSecret: [UInt8]?
        if embedded, try api.resolvedKeys() == nil {
            var generator = SystemRandomNumberGenerator()
            demoSecret = (0..<48).map { _ in UInt8.random(in: 0...255, using: &generator) }
        } else if try api.resolvedKeys() == nil {
            say(
                "API off: set ATTENDANCE_JWT_HS256_SECRET_FILE, ATTENDANCE_JWT_PUBLIC_KEY_FILES or ATTENDANCE_JWT_JWKS_FILE to serve it"
            )
            return nil
        }
        let configuration = try api.configuration(
            kafka: kafka,
            postgres: postgres,
            schema: schema,
            keys: demoSecret.map { TokenVerifier.Keys(hs256Secret: $0) },
            issuer: embedded ? "attendance-demo" : nil,
            audience: embedded ? "attendance-api" : nil
        )
        let server = try await ServeCommand.server(configuration, logger: logger)
        let base = "http://\(configuration.address)"
        say("API at \(base)/ (document: \(base)/openapi.yaml)")
        if let demoSecret {
            let token = try await AccessToken.signHS256(
                AccessToken(
                    issuer: configuration.issuer,
                    audience: configuration.audience,
                    subject: "demo",
                    expires: Date().addingTimeInterval(3_600),
                    scopes: Principal.Scope.allCases.map(\.rawValue)
                ),
                secret: demoSecret
            )
            say("  token (1 h, all scopes): TOKEN=\(token)")
            say("  check in:  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\")
            say("               -d '{\"member_id\": 7, \"request_id\": \"try-1\"}' \(base)/v1/events/1/check-ins")
            say("  member:    curl -s -H \"Authorization: Bearer $TOKEN\" \(base)/v1/events/1/members/7/attendance")
            say("  summary:   curl -s -H \"Authorization: Bearer $TOKEN\" '\(base)/v1/events/1/summary?format=csv'")
        }
        return server
    }
}
