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
    /// Ends the suite did not cause or that went wrong: a crash or an error exit on its own, a graceful stop that
    /// exited with an error or hung. A scenario with any of these fails, whatever the rows say.
    private(set) var exitProblems: [String] = []
    /// Whether the end of the current process is accounted for (by a kill, a stop, or a noted problem).
    private var endAccounted = false

    init(name: String, arguments: [String], environment: [String: String], logDirectory: URL) {
        self.name = name
        self.arguments = arguments
        self.environment = environment
        self.logURL = logDirectory.appendingPathComponent("\(name).log")
    }

    var isRunning: Bool { process?.isRunning ?? false }

    func start() throws {
        noteUnexpectedExit()
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
        endAccounted = false
        starts += 1
    }

    /// SIGKILL: the process gets no chance to finish a batch, commit or leave its group.
    func kill() {
        noteUnexpectedExit()
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        Self.waitForExit(process)
        endAccounted = true
        kills += 1
    }

    /// SIGTERM and wait: a graceful stop (finish the batch, commit, leave the group), which must end with exit
    /// status 0 within 30 s. A process still starting up may die of the SIGTERM itself: also a stop.
    func stop() {
        noteUnexpectedExit()
        guard let process, process.isRunning else { return }
        process.terminate()
        endAccounted = true
        guard Self.waitForExit(process, timeout: 30) else {
            exitProblems.append("\(name) did not stop within 30 s of SIGTERM (killed)")
            Foundation.kill(process.processIdentifier, SIGKILL)
            Self.waitForExit(process)
            return
        }
        let stoppedBySignal = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM
        let exitedCleanly = process.terminationReason == .exit && process.terminationStatus == 0
        if !exitedCleanly && !stoppedBySignal {
            exitProblems.append("\(name) stopped with \(Self.describeEnd(of: process)) on SIGTERM")
        }
    }

    /// A process that ended while nobody was stopping or killing it crashed or gave up: note it once.
    private func noteUnexpectedExit() {
        guard let process, !process.isRunning, !endAccounted else { return }
        endAccounted = true
        exitProblems.append("\(name) exited by itself with \(Self.describeEnd(of: process))")
    }

    private static func describeEnd(of process: Process) -> String {
        switch process.terminationReason {
        case .exit: "exit status \(process.terminationStatus)"
        case .uncaughtSignal: "signal \(process.terminationStatus)"
        @unknown default: "status \(process.terminationStatus)"
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
