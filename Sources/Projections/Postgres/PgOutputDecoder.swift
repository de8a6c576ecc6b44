/// What a logical replication stream delivers, decoded from the `pgoutput` plugin's protocol (version 1, with
/// `messages 'true'`). Only what the outbox relay needs is decoded in full; table changes come as `.ignored`.
public enum ReplicationEvent: Sendable, Equatable {
    case begin(finalLSN: LogSequenceNumber, xid: UInt32)
    case message(LogicalDecodingMessage)
    case commit(commitLSN: LogSequenceNumber, endLSN: LogSequenceNumber)
    /// The server's keepalive: everything before `walEnd` has been sent.
    case keepalive(walEnd: LogSequenceNumber, replyRequested: Bool)
    /// Any other pgoutput message (relation, type, origin, row changes), with the end of the WAL it came with.
    case ignored(walEnd: LogSequenceNumber)
}

/// A message written with `pg_logical_emit_message`.
public struct LogicalDecodingMessage: Sendable, Equatable {
    public var transactional: Bool
    public var lsn: LogSequenceNumber
    public var prefix: String
    public var content: [UInt8]

    public init(transactional: Bool, lsn: LogSequenceNumber, prefix: String, content: [UInt8]) {
        self.transactional = transactional
        self.lsn = lsn
        self.prefix = prefix
        self.content = content
    }
}

/// Decodes the CopyData payloads of a logical replication stream: the outer streaming-replication layer (`w`
/// XLogData, `k` keepalive) and inside it pgoutput's messages. Written by hand: libpq hands over raw bytes and no
/// maintained Swift library decodes pgoutput; the format is small and documented ("Logical Replication Message
/// Formats" in the Postgres manual). Every read is bounds-checked; malformed input throws, never traps.
public enum PgOutputDecoder {
    /// One CopyData payload from `START_REPLICATION`.
    public static func decode(_ bytes: [UInt8]) throws(PostgresError) -> ReplicationEvent {
        var reader = Reader(bytes: bytes[...])
        switch try reader.byte("message type") {
        case UInt8(ascii: "w"):
            _ = try reader.uint64("XLogData start")
            let walEnd = LogSequenceNumber(value: try reader.uint64("XLogData end"))
            _ = try reader.uint64("XLogData send time")
            return try Self.decodePgOutput(reader.rest, walEnd: walEnd)
        case UInt8(ascii: "k"):
            let walEnd = LogSequenceNumber(value: try reader.uint64("keepalive WAL end"))
            _ = try reader.uint64("keepalive send time")
            let reply = try reader.byte("keepalive reply flag")
            return .keepalive(walEnd: walEnd, replyRequested: reply != 0)
        case let other:
            throw Self.malformed("unknown replication message type \(Self.describe(other))")
        }
    }

    /// One pgoutput message without the XLogData header (as `pg_logical_slot_peek_binary_changes` returns them).
    public static func decodePgOutput(_ bytes: [UInt8]) throws(PostgresError) -> ReplicationEvent {
        try Self.decodePgOutput(bytes[...], walEnd: .zero)
    }

    static func decodePgOutput(_ bytes: ArraySlice<UInt8>, walEnd: LogSequenceNumber) throws(PostgresError)
        -> ReplicationEvent
    {
        var reader = Reader(bytes: bytes)
        switch try reader.byte("pgoutput message type") {
        case UInt8(ascii: "B"):
            let finalLSN = LogSequenceNumber(value: try reader.uint64("begin final LSN"))
            _ = try reader.uint64("begin commit time")
            let xid = try reader.uint32("begin xid")
            return .begin(finalLSN: finalLSN, xid: xid)
        case UInt8(ascii: "M"):
            let flags = try reader.byte("message flags")
            let lsn = LogSequenceNumber(value: try reader.uint64("message LSN"))
            let prefix = try reader.cString("message prefix")
            let length = try reader.uint32("message length")
            let content = try reader.take(Int(length), "message content")
            return .message(
                LogicalDecodingMessage(transactional: flags & 1 == 1, lsn: lsn, prefix: prefix, content: Array(content))
            )
        case UInt8(ascii: "C"):
            _ = try reader.byte("commit flags")
            let commitLSN = LogSequenceNumber(value: try reader.uint64("commit LSN"))
            let endLSN = LogSequenceNumber(value: try reader.uint64("commit end LSN"))
            _ = try reader.uint64("commit time")
            return .commit(commitLSN: commitLSN, endLSN: endLSN)
        default:
            return .ignored(walEnd: walEnd)
        }
    }

    static func malformed(_ what: String) -> PostgresError {
        PostgresError(code: .protocolViolation, message: "malformed replication data: \(what)")
    }

    private static func describe(_ byte: UInt8) -> String {
        (32..<127).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : "0x" + String(byte, radix: 16)
    }

    private struct Reader {
        var bytes: ArraySlice<UInt8>

        var rest: ArraySlice<UInt8> { bytes }

        mutating func take(_ count: Int, _ what: String) throws(PostgresError) -> ArraySlice<UInt8> {
            guard count >= 0, bytes.count >= count else {
                throw PgOutputDecoder.malformed("\(what) needs \(count) bytes, \(bytes.count) left")
            }
            defer { bytes = bytes.dropFirst(count) }
            return bytes.prefix(count)
        }

        mutating func byte(_ what: String) throws(PostgresError) -> UInt8 {
            try take(1, what).first!
        }

        mutating func uint32(_ what: String) throws(PostgresError) -> UInt32 {
            try take(4, what).reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func uint64(_ what: String) throws(PostgresError) -> UInt64 {
            try take(8, what).reduce(0) { $0 << 8 | UInt64($1) }
        }

        mutating func cString(_ what: String) throws(PostgresError) -> String {
            guard let end = bytes.firstIndex(of: 0) else {
                throw PgOutputDecoder.malformed("\(what) is not NUL-terminated")
            }
            let text = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
            bytes = bytes[(end + 1)...]
            return text
        }
    }
}
