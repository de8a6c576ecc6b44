import ArgumentParser
import CommandSupport
import Foundation
import Projections

struct RewardsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewards",
        abstract: "Inspect reward settlement and re-drive parked rewards.",
        subcommands: [RewardsListCommand.self, RewardsRetryCommand.self]
    )
}

struct RewardsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Count rewards per status and list them (most recently changed first)."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "PENDING, SUCCEEDED, FAILED, BUDGET_EXCEEDED or PARKED (default: all).") var status: String?
    @Option(help: "Only this event.") var event: Int64?
    @Option(help: "Most rewards listed.") var limit = 50

    func run() async throws {
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        var filter: RewardStatus?
        if let status {
            guard let parsed = RewardStatus(rawValue: status.uppercased()) else {
                throw ConfigurationError(
                    "--status \(status) is not one of \(RewardStatus.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            filter = parsed
        }
        let (counts, rewards) = try await Blocking.run("rewards-list") { [event, limit, filter] in
            let connection = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-rewards",
                searchPath: schema
            )
            defer { connection.close() }
            return (
                try RewardStore.counts(eventID: event, on: connection),
                try RewardStore.list(status: filter, eventID: event, limit: limit, on: connection)
            )
        }
        say(RewardStatus.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: " | "))
        for reward in rewards {
            var line =
                "\(reward.status)\t\(reward.idempotencyKey)\t\(reward.rewardType) \(reward.payout)\tattempts \(reward.attempts)"
            if let transactionID = reward.transactionID { line += "\ttx \(transactionID)" }
            if let next = reward.nextAttemptAt { line += "\tnext \(next)" }
            if let error = reward.lastError { line += "\t\(error)" }
            say(line)
        }
    }
}

struct RewardsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Re-drive parked rewards (same idempotency key, so a reward paid meanwhile is not paid twice).",
        discussion: "Idempotent: only PARKED rewards move (to PENDING, due now); running it again changes nothing."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("key"), help: "Idempotency key of a parked reward (repeatable).") var keys: [String] = []
    @Option(help: "Every parked reward of this event.") var event: Int64?
    @Flag(help: "Every parked reward.") var all = false

    func validate() throws {
        guard !keys.isEmpty || event != nil || all else {
            throw ValidationError("name what to re-drive: --key KEY, --event ID or --all")
        }
    }

    func run() async throws {
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        let redriven = try await Blocking.run("rewards-retry") { [keys, event] in
            let connection = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-rewards",
                searchPath: schema
            )
            defer { connection.close() }
            return try RewardStore.redrive(keys: keys, eventID: event, on: connection)
        }
        say("re-driven: \(redriven.count) parked reward(s); a running settler picks them up now")
        for key in redriven { say("  \(key)") }
    }
}
