internal import CLibPQ
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A logical replication stream from one slot, decoded by the built-in `pgoutput` plugin with logical decoding
/// messages enabled: what the outbox relay reads the batch transactions' messages from, in commit order.
///
/// The connection is a `replication=database` libpq connection in COPY BOTH mode. ``next(timeout:)`` reads and
/// decodes one event; ``acknowledge(upTo:)`` tells the server everything before a position is safely delivered,
/// which lets the slot release that WAL and is where a new stream of the slot starts. The server's keepalives that
/// ask for an answer are answered here, and a status update goes out at least every 10 s, so `wal_sender_timeout`
/// never ends a healthy but idle stream.
///
/// Blocking, like ``PostgresConnection``: run it on a dedicated thread. Not thread-safe.
public final class PostgresReplicationStream: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let logger: Logger
    public private(set) var acknowledged: LogSequenceNumber
    private var lastStatusSent = ContinuousClock.now
    private static let statusInterval: Duration = .seconds(10)

    private init(handle: OpaquePointer, acknowledged: LogSequenceNumber, logger: Logger) {
        self.handle = handle
        self.acknowledged = acknowledged
        self.logger = logger
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Connects and starts streaming `slot` from its acknowledged position.
    ///
    /// Throws a ``PostgresError`` with ``PostgresError/isSlotInUse`` when another session streams the slot (one
    /// stream per slot: the relay's leader lock), and with SQLSTATE 42704 when the slot does not exist.
    public static func start(
        _ configuration: PostgresConfiguration,
        slot: String,
        publication: String,
        applicationName: String,
        logger: Logger
    ) throws(PostgresError) -> PostgresReplicationStream {
        for (what, name) in [("slot", slot), ("publication", publication)] where !Self.isPlainName(name) {
            throw PostgresError(
                code: .invalidConfiguration,
                message: "\(what) name \"\(name)\" must match ^[a-z_][a-z0-9_]{0,62}$"
            )
        }
        let handle = try PostgresConnection.openHandle(
            configuration.connectionString,
            applicationName: applicationName,
            extra: [("replication", "database")]
        )
        do {
            // Where the stream will start: the slot's acknowledged position (SQL works on a database replication
            // connection before START_REPLICATION).
            let position = try Self.run(
                handle,
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '\(slot)'",
                expecting: PGRES_TUPLES_OK
            )
            let command = """
                START_REPLICATION SLOT \(slot) LOGICAL 0/0 \
                (proto_version '1', publication_names '\(publication)', messages 'true')
                """
            _ = try Self.run(handle, command, expecting: PGRES_COPY_BOTH)
            logger.debug("replication stream started", metadata: ["slot": "\(slot)", "from": "\(position ?? "?")"])
            return PostgresReplicationStream(
                handle: handle,
                acknowledged: position.flatMap(LogSequenceNumber.init) ?? .zero,
                logger: logger
            )
        } catch {
            PQfinish(handle)
            throw error
        }
    }

    /// The next event, or nil when none arrived within `timeout`. A zero timeout still reads what the socket holds.
    public func next(timeout: Duration) throws(PostgresError) -> ReplicationEvent? {
        guard let handle else { throw Self.closed() }
        let deadline = ContinuousClock.now + timeout
        var hasReadSocket = false
        while true {
            if ContinuousClock.now - lastStatusSent >= Self.statusInterval {
                try sendStatus(replyRequested: false)
            }
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &buffer, 1)
            if length > 0, let buffer {
                let bytes = buffer.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                    Array(UnsafeBufferPointer(start: $0, count: Int(length)))
                }
                PQfreemem(buffer)
                let event = try PgOutputDecoder.decode(bytes)
                if case .keepalive(_, true) = event {
                    logger.trace("answering the server's keepalive", metadata: ["acknowledged": "\(acknowledged)"])
                    try sendStatus(replyRequested: false)
                }
                return event
            }
            if length == -1 { throw Self.streamEnded(handle) }
            if length < -1 { throw Self.lost(handle) }
            // Nothing buffered: wait for the socket until the deadline, then read what arrived. The socket is read
            // at least once, so a zero or already passed timeout still sees data that is waiting.
            let remaining = max(deadline - ContinuousClock.now, .zero)
            guard remaining > .zero || !hasReadSocket else { return nil }
            hasReadSocket = true
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(
                clamping: remaining.components.seconds * 1_000
                    + (remaining.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
            )
            let ready = poll(&descriptor, 1, min(milliseconds, 1_000))
            if ready < 0, errno != EINTR { throw Self.lost(handle) }
            if PQconsumeInput(handle) == 0 { throw Self.lost(handle) }
        }
    }

    /// Reports everything before `lsn` as received, written and flushed: the slot may release it and a new stream
    /// starts after it.
    public func acknowledge(upTo lsn: LogSequenceNumber) throws(PostgresError) {
        if lsn > acknowledged { acknowledged = lsn }
        try sendStatus(replyRequested: false)
    }

    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    // MARK: - Internals

    /// Standby status update: 'r', written, flushed, applied, client time (µs since 2000-01-01), reply flag.
    private func sendStatus(replyRequested: Bool) throws(PostgresError) {
        guard let handle else { throw Self.closed() }
        var message: [UInt8] = [UInt8(ascii: "r")]
        for _ in 0..<3 { message += Self.bigEndian(acknowledged.value) }
        let microseconds = Int64((Date().timeIntervalSince1970 - 946_684_800) * 1_000_000)
        message += Self.bigEndian(UInt64(bitPattern: microseconds))
        message.append(replyRequested ? 1 : 0)
        let sent = message.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1, PQflush(handle) == 0 else { throw Self.lost(handle) }
        lastStatusSent = .now
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// Runs a command; returns the first column of the first row for queries.
    private static func run(_ handle: OpaquePointer, _ sql: String, expecting status: ExecStatusType)
        throws(PostgresError) -> String?
    {
        guard let result = PQexec(handle, sql) else { throw lost(handle) }
        defer { PQclear(result) }
        guard PQresultStatus(result) == status else {
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorMessage(result).map { String(cString: $0) } ?? ""
            throw PostgresError(
                code: PQstatus(handle) == CONNECTION_OK ? .queryFailed : .connectionLost,
                sqlState: sqlState,
                message: PostgresConnectionString.firstLine(message)
            )
        }
        guard status == PGRES_TUPLES_OK, PQntuples(result) > 0, PQgetisnull(result, 0, 0) == 0 else { return nil }
        return String(cString: PQgetvalue(result, 0, 0))
    }

    private static func streamEnded(_ handle: OpaquePointer) -> PostgresError {
        // The server ended COPY: its reason is in the result that follows.
        var message = "the server ended the replication stream"
        var sqlState: String?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) == PGRES_FATAL_ERROR {
                sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
                message += ": " + PostgresConnectionString.firstLine(String(cString: PQresultErrorMessage(result)))
            }
            PQclear(result)
        }
        return PostgresError(code: .connectionLost, sqlState: sqlState, message: message)
    }

    private static func lost(_ handle: OpaquePointer) -> PostgresError {
        PostgresError(
            code: .connectionLost,
            message: "replication stream: "
                + PostgresConnectionString.firstLine(String(cString: PQerrorMessage(handle)))
        )
    }

    private static func closed() -> PostgresError {
        PostgresError(code: .connectionClosed, message: "replication stream was closed")
    }

    private static func isPlainName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63, first == UInt8(ascii: "_") || (97...122).contains(first)
        else { return false }
        return bytes.allSatisfy { $0 == UInt8(ascii: "_") || (97...122).contains($0) || (48...57).contains($0) }
    }
}

extension PostgresError {
    /// Another session streams this replication slot (SQLSTATE 55006, object in use).
    public var isSlotInUse: Bool { sqlState == "55006" }
}
