import ArgumentParser
import CommandSupport
import Foundation
import Projections

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Keep event_attendance_log bounded.",
        subcommands: [LogArchiveCommand.self]
    )
}

struct LogArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Move old FAIL rows of event_attendance_log into a JSON Lines file.",
        discussion: """
            Only FAIL rows older than --older-than-days (at least 14: the input topic keeps 7 days) are moved: \
            successes stay, because history references them. Rows are appended to --to and flushed to disk before \
            each chunk's delete commits, so a failure never loses a row (a row may appear twice after one; \
            deduplicate by id). Afterwards the API answers 404 for the outcome of an archived request, and the same \
            request id sent again is a new attempt. See docs/operations.md, "Growth".
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("older-than-days"), help: "Archive FAIL rows created more than this many days ago.")
    var olderThanDays = 90

    @Option(help: "The JSON Lines file the rows are appended to (created if missing).")
    var to: String

    @Option(name: .customLong("chunk-size"), help: "Rows per transaction.")
    var chunkSize = 10_000

    func validate() throws {
        guard olderThanDays >= AttendanceLogArchive.minimumAgeDays else {
            throw ValidationError(
                "--older-than-days must be at least \(AttendanceLogArchive.minimumAgeDays): "
                    + "a younger request may still be redelivered or retried and needs its row"
            )
        }
        guard (1...100_000).contains(chunkSize) else { throw ValidationError("--chunk-size must be 1...100000") }
        guard !to.isEmpty else { throw ValidationError("--to must name a file") }
    }

    func run() async throws {
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        let (path, chunkSize) = (to, chunkSize)
        let cutoff = Date().addingTimeInterval(-Double(olderThanDays) * 86_400)
        let archived = try await Blocking.run("log-archive") { () throws -> Int in
            let archive = try ArchiveFile(path: path)
            defer { archive.close() }
            let connection = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-log-archive",
                searchPath: schema
            )
            defer { connection.close() }
            return try AttendanceLogArchive.archiveFailures(
                createdBefore: cutoff,
                chunkSize: chunkSize,
                on: connection
            ) { rows in
                try archive.append(rows)
                say("archived \(rows.count) rows through log id \(rows.last?.id ?? 0)")
            }
        }
        say("archived \(archived) FAIL rows created before \(ISO8601DateFormatter().string(from: cutoff)) to \(path)")
    }
}

/// The archive: one JSON object per line, appended, and on disk before the rows' delete commits.
private final class ArchiveFile {
    private let handle: FileHandle
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        if !FileManager.default.fileExists(atPath: path) {
            // Member ids and request details: readable by the owner and its group only.
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640])
            else { throw ConfigurationError("cannot create the archive file \(path)") }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw ConfigurationError("cannot open the archive file \(path) for appending: \(error)")
        }
    }

    func append(_ rows: [AttendanceLogArchive.Row]) throws {
        var data = Data()
        for row in rows {
            data.append(try encoder.encode(row))
            data.append(0x0A)
        }
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }

    func close() { try? handle.close() }
}
