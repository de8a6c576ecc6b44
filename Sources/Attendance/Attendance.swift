import ArgumentParser
import AttendanceTooling
import CommandSupport
import Consumer
import Foundation
import Logging
import Projections

/// `attendance`: the one executable of the platform (PRODUCT §8).
@main
struct Attendance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attendance",
        abstract: "Daily check-in platform: Kafka check-ins projected into Postgres, exactly once.",
        subcommands: [
            MigrateCommand.self, TopicsCommand.self, EventsCommand.self, ConsumeCommand.self, RelayCommand.self,
            RunCommand.self, ReplayCommand.self, SettleCommand.self, RewardsCommand.self, FakeRewardAPICommand.self,
            BenchCommand.self, MockClusterCommand.self, FaultSuiteCommand.self, StatusCommand.self, ServeCommand.self,
            TokenCommand.self, ReportCommand.self, LogCommand.self,
        ]
    )

    /// Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration (PRODUCT §8).
    static func main() async {
        bootstrapLogging()
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // Parsing and every command's validate(): bad usage or configuration, whatever error type a validate()
            // threw (ArgumentParser reports a ConfigurationError from there as a failure, exit 1, with its own dump).
            if exitCode(for: error) == .success { Self.exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Self.exit(withError: error)
            }
            let usage = error is ConfigurationError || isArgumentParserError(error)
            let message = usage ? fullMessage(for: error) : "error: \(error)"
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(usage ? 2 : 1)
        }
    }

    /// JSON lines for log collectors; plain text on a terminal. `ATTENDANCE_LOG_FORMAT=json|text` overrides.
    private static func bootstrapLogging() {
        let format = ProcessInfo.processInfo.environment["ATTENDANCE_LOG_FORMAT"]?.lowercased()
        let json = format.map { $0 == "json" } ?? (isatty(STDERR_FILENO) == 0)
        if json {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        } else {
            LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
        }
    }

    private static func isArgumentParserError(_ error: any Error) -> Bool {
        // ArgumentParser reports parse and validation problems with exit codes other than success/failure.
        let code = exitCode(for: error)
        return code != .failure && code != .success
    }
}

/// A setting is missing or invalid. Names the flag and its environment variable. Exit code 2.
