import ArgumentParser
import CommandSupport
import Consumer
import Foundation
import Projections

struct ReplayHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract:
            "Rebuild event_attendance_history from event_attendance_log into a shadow table, diff, optionally swap.",
        discussion: """
            Reads the CHECK_IN rows of the log in (event, member, log id) order, places each on the day its own policy \
            version gives, recomputes totals and streaks, and writes event_attendance_history_rebuild. No outbox rows, no \
            reward rows, no Kafka, no external calls. Ctrl-C stops after the chunk in flight; --resume continues. Ends \
            with a diff against the live table; --swap then corrects the live table in one transaction.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Continue the stopped rebuild instead of starting over.")
    var resume = false

    @Flag(name: .customLong("diff-only"), help: "Skip the rebuild; diff (and --swap) the completed one.")
    var diffOnly = false

    @Flag(help: "Make the live table equal to the rebuilt one (one transaction, exclusive lock while it runs).")
    var swap = false

    @Flag(help: "Print the result as JSON on standard output (progress still goes to standard error).")
    var json = false

    @Flag(name: .customLong("fail-on-diff"), help: "Exit 1 when the live table differs (after a swap: never).")
    var failOnDiff = false

    @Option(name: .customLong("chunk-size"), help: "Log rows per chunk (one fetch, one COPY, one commit).")
    var chunkSize = 20_000

    @Option(help: "Differing rows listed in the report.")
    var samples = 20

    func validate() throws {
        guard (1...1_000_000).contains(chunkSize) else { throw ConfigurationError("--chunk-size must be 1...1000000") }
        guard (0...10_000).contains(samples) else { throw ConfigurationError("--samples must be 0...10000") }
        guard !(resume && diffOnly) else { throw ConfigurationError("--resume and --diff-only exclude each other") }
    }

    func run() async throws {
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        let configuration = {
            var configuration = HistoryRebuild.Configuration()
            configuration.chunkSize = chunkSize
            configuration.diffSampleLimit = samples
            return configuration
        }()
        let stop = StopSignal()
        let interrupt = InterruptHandler { stop.stop() }
        defer { interrupt.cancel() }
        let (resume, diffOnly, swap) = (resume, diffOnly, swap)

        let result = try await Blocking.run("replay-history") { () throws -> ReplayHistoryResult in
            let reader = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-replay-read",
                searchPath: schema
            )
            let writer = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-replay",
                searchPath: schema
            )
            defer {
                reader.close()
                writer.close()
            }
            let rebuild = HistoryRebuild(configuration: configuration, reader: reader, writer: writer)
            var result = ReplayHistoryResult()
            if !diffOnly {
                let display = ProgressDisplay()
                let clock = ContinuousClock()
                let started = clock.now
                let outcome = try rebuild.rebuild(
                    resume: resume,
                    progress: display.show,
                    shouldStop: { stop.isStopped }
                )
                display.finish()
                switch outcome {
                case .stopped(let progress):
                    result.stoppedAt = progress
                    return result
                case .completed(let counts):
                    result.rebuild = counts
                    result.seconds = (clock.now - started).seconds
                }
            }
            result.diff = swap ? try rebuild.swap() : try rebuild.diff()
            result.swapped = swap
            return result
        }
        if json {
            say(String(decoding: try result.jsonEncoded(), as: UTF8.self))
        } else {
            for line in result.reportLines() { say(line) }
        }
        if let diff = result.diff, failOnDiff, !diff.isIdentical, !result.swapped {
            throw ReplayDiffFound()
        }
    }
}

/// `--fail-on-diff` and the tables differ. Exit code 1.
struct ReplayDiffFound: Error, CustomStringConvertible {
    var description: String { "the live table differs from the rebuilt one (see the report)" }
}
