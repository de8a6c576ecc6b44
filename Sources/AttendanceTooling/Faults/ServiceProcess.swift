import CommandSupport
import Foundation

/// One `attendance` subcommand running as its own OS process, so the fault suite can kill it with SIGKILL
/// (no clean-up, no graceful shutdown) and start it again.
final class ServiceProcess: @unchecked Sendable {
    // @unchecked Sendable: mutated only by the fault-suite thread that owns it.
    let name: String
    private let arguments: [String]
    private let environment: [String: String]
    private let logURL: URL
    private var process: Process?
    private(set) var kills = 0
    private(set) var starts = 0

    init(name: String, arguments: [String], environment: [String: String], logDirectory: URL) {
        self.name = name
        self.arguments = arguments
        self.environment = environment
        self.logURL = logDirectory.appendingPathComponent("\(name).log")
    }

    var isRunning: Bool { process?.isRunning ?? false }

    func start() throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        starts += 1
    }

    /// SIGKILL: the process gets no chance to finish a batch, commit or leave its group.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        Self.waitForExit(process)
        kills += 1
    }

    /// SIGTERM and wait: a graceful stop (finish the batch, commit, leave the group).
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        if !Self.waitForExit(process, timeout: 30) {
            Foundation.kill(process.processIdentifier, SIGKILL)
            Self.waitForExit(process)
        }
    }

    /// Polls instead of `Process.waitUntilExit()`, which can block forever when called off the main thread on
    /// Linux even after the child exited (it waits on a run loop nobody runs).
    @discardableResult
    static func waitForExit(_ process: Process, timeout: TimeInterval = 120) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    /// This executable: the suite runs its own binary's subcommands.
    static var executable: URL {
        let argument = CommandLine.arguments[0]
        if argument.contains("/") { return URL(fileURLWithPath: argument).standardizedFileURL }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }
}
