import CommandSupport
import Foundation

/// `attendance mock-cluster` as a child process: the fault suite's Kafka, outliving any service it kills.
final class MockClusterProcess: @unchecked Sendable {
    // @unchecked Sendable: used by the suite's threads one at a time (start, broker commands, stop).
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private(set) var bootstrapServers = ""

    init(topicsDirectory: String, logDirectory: URL) throws {
        process.executableURL = ServiceProcess.executable
        process.arguments = ["mock-cluster", "--brokers", "3", "--topics-dir", topicsDirectory]
        process.standardInput = input
        process.standardOutput = output
        let log = logDirectory.appendingPathComponent("mock-cluster.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
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

    func setBroker(_ broker: Int, up: Bool) {
        input.fileHandleForWriting.write(Data("\(up ? "up" : "down") \(broker)\n".utf8))
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        ServiceProcess.waitForExit(process, timeout: 30)
    }
}

struct FaultSuiteError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
