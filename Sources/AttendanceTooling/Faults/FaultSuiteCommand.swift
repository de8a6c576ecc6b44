import ArgumentParser
import CommandSupport
import Foundation
import Logging

package struct FaultSuiteCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract:
            "Run the fault suite: services as separate processes, faults injected under traffic, invariants checked.",
        discussion: """
            Each scenario gets its own schema (faults_<scenario>) and Kafka-protocol cluster process, runs two \
            consumers and a relay as `attendance` processes, and ends by checking that every request has exactly \
            one log row, every success exactly one history row, every earned reward one reward row, every bad \
            message one DLQ entry, and that nothing is left unconsumed or unpublished. Exit 1 if any check fails.
            """
    )

    @OptionGroup var database: DatabaseURLOptions
    @OptionGroup var migrationsFolder: MigrationsFolderOptions
    @OptionGroup var topicsFolder: TopicsFolderOptions

    @Flag(help: "The long form (≥ 50 kills, more of everything); the default is the short form run in CI.")
    var long = false

    @Option(
        help: "Scenarios to run, comma-separated (\(FaultScenario.allCases.map(\.rawValue).joined(separator: ", ")))."
    )
    var only: String?

    @Option(help: "Valid requests to produce at least, per scenario (default 8000 short, 60000 long).")
    var requests: Int?

    @Option(
        name: .customLong("postgres-restart"),
        help:
            "Shell command that restarts the PostgreSQL server (env ATTENDANCE_FAULTS_POSTGRES_RESTART); required for postgres-restart."
    )
    var postgresRestart: String?

    package func run() async throws {
        // A child that died (the test broker above all) must fail a write to its pipe, not end the suite.
        signal(SIGPIPE, SIG_IGN)
        let postgres = try database.requireDatabase()
        let scenarios = try selectedScenarios()
        let restart = postgresRestart ?? Environment.values["ATTENDANCE_FAULTS_POSTGRES_RESTART"]
        let logDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("attendance-faults-\(Int(Date().timeIntervalSince1970))")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let logger = {
            var logger = Logger(label: "attendance.faults")
            logger.logLevel = .error
            return logger
        }()
        say("fault suite (\(long ? "long" : "short") form); service logs in \(logDirectory.path)")
        var reports: [FaultReport] = []
        for scenario in scenarios {
            let settings = FaultRun.Settings(
                scenario: scenario,
                long: long,
                minimumRequests: requests ?? (long ? 60_000 : 8_000),
                postgres: postgres,
                migrations: migrationsFolder.migrationsURL(),
                topicsDirectory: topicsFolder.topicsURL().path,
                logDirectory: logDirectory,
                postgresRestart: restart
            )
            say("\(scenario.rawValue): \(scenario.summary) …")
            func execute(_ settings: FaultRun.Settings) async throws -> FaultReport {
                try await Blocking.run("faults-\(scenario.rawValue)") {
                    try FaultRun(settings, logger: logger).execute()
                }
            }
            var report: FaultReport
            do {
                report = try await execute(settings)
            } catch let crash as MockClusterCrashed {
                // Not the system under test: production runs on Kafka brokers. Once more, from a fresh schema and
                // cluster; a second crash fails the suite.
                let again = settings.loggingTo(logDirectory.appendingPathComponent("\(scenario.rawValue)-again"))
                try FileManager.default.createDirectory(at: again.logDirectory, withIntermediateDirectories: true)
                say(
                    "\(scenario.rawValue): \(crash); running the scenario again once, logs in \(again.logDirectory.path)"
                )
                report = try await execute(again)
                report.secondRunBecause = crash.description
            }
            reports.append(report)
            say(Self.line(report))
        }
        say("")
        say(
            "| scenario | injected | requests | log rows | history | rewards (earned) | settled / paid by API / parked "
                + "| DLQ distinct (copies / expected) | seconds | result |"
        )
        say("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for report in reports {
            say(
                "| \(report.scenario.rawValue) | \(report.injected) | \(report.requests) | \(report.logRows) | \(report.historyRows) "
                    + "| \(report.rewardRows) (\(report.expectedRewards)) "
                    + "| \(report.rewardsSucceeded) / \(report.paidByAPI) / \(report.rewardsParked) "
                    + "| \(report.deadLetters) (\(report.deadLetterCopies) / "
                    + "\(report.expectedDeadLetters)) | \(Int(report.seconds)) | \(report.passed ? "pass" : "FAIL")"
                    + (report.secondRunBecause == nil ? " |" : " (second run: the test broker crashed) |")
            )
        }
        let failed = reports.filter { !$0.passed }
        if !failed.isEmpty {
            for report in failed { say("\(report.scenario.rawValue): " + report.problems.joined(separator: "; ")) }
            say("\(reports.count - failed.count) passed, \(failed.count) failed")
            throw ExitCode.failure
        }
        say("\(reports.count) passed, 0 failed")
    }

    private func selectedScenarios() throws -> [FaultScenario] {
        guard let only else { return FaultScenario.allCases }
        return try only.split(separator: ",").map { name in
            guard let scenario = FaultScenario(rawValue: String(name)) else {
                throw ConfigurationError("--only: unknown scenario \(name)")
            }
            return scenario
        }
    }

    static func line(_ report: FaultReport) -> String {
        let verdict = report.passed ? "pass" : "FAIL: " + report.problems.joined(separator: "; ")
        return "  \(report.injected) injected, \(report.requests) requests, \(report.logRows) log rows, "
            + "\(report.historyRows) history, \(report.rewardRows)/\(report.expectedRewards) rewards "
            + "(\(report.rewardsSucceeded) settled, \(report.paidByAPI) paid, \(report.rewardsParked) parked), "
            + "\(report.deadLetters)/\(report.expectedDeadLetters) dead letters → \(verdict)"
    }
}
