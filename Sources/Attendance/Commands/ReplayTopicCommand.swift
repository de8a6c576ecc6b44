import ArgumentParser
import CommandSupport
import Consumer
import Domain
import Foundation
import Logging
import Projections
import ServiceLifecycle

struct ReplayTopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Re-consume the check-in topic into a separate schema with its own group; no rewards, no analytics.",
        discussion: """
            Migrates --into, copies the events and every policy version from --schema (the live one) into it, then runs \
            a check-in consumer there with its own consumer group, starting where --from-* says for partitions the \
            group has not stored yet. Nothing goes to the outbox: no reward commands, analytics facts or dead-letter \
            copies. For a blue/green rebuild or to run a new version side by side. Stops on Ctrl-C, or with \
            --until-caught-up once it has read everything that was in the topic.
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var consumerGroup: GroupOptions
    @OptionGroup var migrationsFolder: MigrationsFolderOptions
    @OptionGroup var tuning: ConsumerOptions
    @OptionGroup var log: LogOptions

    @Option(help: "Schema to replay into (created and migrated; must differ from --schema).")
    var into: String

    @Option(name: .customLong("replay-group"), help: "Consumer group of the replay (default attendance-replay-<into>).")
    var replayGroup: String?

    @Option(name: .customLong("from-offset"), help: "Start every partition at this offset.")
    var fromOffset: Int64?

    @Option(name: .customLong("from-timestamp"), help: "Start at the first message at or after this RFC 3339 instant.")
    var fromTimestamp: String?

    @Flag(name: .customLong("until-caught-up"), help: "Exit once every assigned partition has no lag left.")
    var untilCaughtUp = false

    func validate() throws {
        guard PostgresConnection.isValidSchemaName(into) else {
            throw ConfigurationError("--into \"\(into)\" must match [a-z_][a-z0-9_]{0,62}")
        }
        guard fromOffset == nil || fromTimestamp == nil else {
            throw ConfigurationError("--from-offset and --from-timestamp exclude each other")
        }
        if let fromOffset, fromOffset < 0 { throw ConfigurationError("--from-offset must be ≥ 0") }
        if let fromTimestamp, Timestamp(rfc3339: fromTimestamp) == nil {
            throw ConfigurationError("--from-timestamp \"\(fromTimestamp)\" is not RFC 3339 with an offset")
        }
    }

    func run() async throws {
        let brokers = try kafka.requireBrokers()
        let postgres = try database.requireDatabase()
        let live = try database.resolvedSchema()
        let liveGroup = try consumerGroup.resolvedGroupID()
        let group = replayGroup ?? "attendance-replay-\(into)"
        guard into != live else { throw ConfigurationError("--into must differ from the live schema \(live)") }
        guard group != liveGroup else {
            throw ConfigurationError("--replay-group must differ from the live group \(liveGroup)")
        }
        let logger = try log.logger(label: "attendance.replay")
        let migrations = migrationsFolder.migrationsURL()
        let target = into
        let events = try await Blocking.run("replay-setup") {
            _ = try Setup.migrate(postgres: postgres, schema: target, directory: migrations, publishes: false)
            let connection = try PostgresConnection.connect(postgres, applicationName: "attendance-replay")
            defer { connection.close() }
            return try ReplaySchema.copyEvents(from: live, to: target, on: connection)
        }
        say("replay topic: schema \(into) migrated, \(events) events copied from \(live); group \(group)")

        var configuration = tuning.consumerConfiguration(
            kafka: kafka.kafkaConfiguration(brokers: brokers),
            groupID: group,
            postgres: postgres,
            schema: into
        )
        configuration.emitsSideEffects = false
        configuration.startPosition =
            if let fromOffset {
                .offset(fromOffset)
            } else if let fromTimestamp, let at = Timestamp(rfc3339: fromTimestamp) {
                .timestamp(millisecondsSinceEpoch: at.microsecondsSinceEpoch / 1_000)
            } else { .earliest }
        let consumer = CheckInConsumer(configuration: configuration, logger: logger)
        let watcher = ReplayTopicWatcher(consumer: consumer, stopWhenCaughtUp: untilCaughtUp)
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: consumer),
                    .init(service: watcher, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await serviceGroup.run()
        let snapshot = consumer.statistics.snapshot
        say(
            "replay topic: logged \(snapshot.logged), successes \(snapshot.successes), duplicates \(snapshot.duplicates), malformed \(snapshot.deadLettered) (not dead-lettered in a replay)"
        )
    }
}

/// Prints a progress line every few seconds and, with `stopWhenCaughtUp`, returns once the consumer has no lag
/// left and handled nothing new for three seconds (which ends the service group gracefully).
struct ReplayTopicWatcher: Service {
    let consumer: CheckInConsumer
    let stopWhenCaughtUp: Bool

    func run() async throws {
        var quietSeconds = 0
        var lastHandled = -1
        var tick = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            tick += 1
            let snapshot = consumer.statistics.snapshot
            let lag = snapshot.lag.values.reduce(0, +)
            if tick % 5 == 0 {
                say(
                    "replay topic: logged \(snapshot.logged), successes \(snapshot.successes), lag \(lag), retries \(snapshot.retries)"
                )
            }
            quietSeconds = snapshot.handled == lastHandled ? quietSeconds + 1 : 0
            lastHandled = snapshot.handled
            if stopWhenCaughtUp, !snapshot.lag.isEmpty, lag == 0, quietSeconds >= 3 {
                say("replay topic: caught up")
                return
            }
        }
    }
}
