import CommandSupport
import Foundation

/// `attendance mock-cluster` as a child process: the fault suite's Kafka, outliving any service it kills.
final class MockClusterProcess: @unchecked Sendable {
    // @unchecked Sendable: used by the suite's threads one at a time (start, broker commands, stop).
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let logURL: URL
    private(set) var bootstrapServers = ""

    /// Starts the cluster; its log (stderr) goes to `<name>.log` in `logDirectory`.
    init(name: String, topicsDirectory: String, logDirectory: URL) throws {
        process.executableURL = ServiceProcess.executable
        process.arguments = ["mock-cluster", "--brokers", "3", "--topics-dir", topicsDirectory]
        // An abort (librdkafka's own assertions) should end the process at once: the Swift backtracer can stall
        // a crashing process that still holds the brokers' ports, and the assertion's line says enough.
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
        process.standardInput = input
        process.standardOutput = output
        logURL = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        // First line: "bootstrap <servers>".
        var line = [UInt8]()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first else {
                throw FaultSuiteError("mock cluster exited before printing its address")
            }
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("bootstrap ") else { throw FaultSuiteError("mock cluster said \(text)") }
        bootstrapServers = String(text.dropFirst("bootstrap ".count))
    }

    /// Takes `broker` down or brings it back. Throws ``MockClusterCrashed`` when the cluster process is gone (the
    /// suite ignores SIGPIPE, so writing to it then fails instead of ending the suite).
    func setBroker(_ broker: Int, up: Bool) throws {
        try checkRunning()
        do {
            try input.fileHandleForWriting.write(contentsOf: Data("\(up ? "up" : "down") \(broker)\n".utf8))
        } catch {
            try checkRunning()
            throw error
        }
    }

    /// Throws ``MockClusterCrashed`` if the cluster process ended while a scenario still used it.
    func checkRunning() throws {
        guard !process.isRunning else { return }
        let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        // librdkafka's mock code reports its own bugs as failed assertions on the first line.
        let reason = log.split(separator: "\n").first { $0.contains("Assertion") || $0.contains("assert") }
        throw MockClusterCrashed(
            status: process.terminationReason == .uncaughtSignal
                ? "signal \(process.terminationStatus)" : "exit status \(process.terminationStatus)",
            reason: reason.map(String.init) ?? "no assertion in \(logURL.lastPathComponent)"
        )
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        ServiceProcess.waitForExit(process, timeout: 30)
    }
}

/// The test broker itself ended mid-scenario (librdkafka's mock cluster has assertions of its own that a rare
/// sequence of rejoins can trip). Its topics and groups are gone with it, so the scenario cannot be judged; the
/// suite runs it again once and says so.
struct MockClusterCrashed: Error, CustomStringConvertible {
    let status: String
    let reason: String
    var description: String { "the test broker (mock-cluster process) ended with \(status): \(reason)" }
}

struct FaultSuiteError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
