/// The bytes of a transaction's outbox messages inside ONE logical decoding message in the write-ahead log.
///
/// One WAL record per batch rather than per message: each record costs the writing backend an XLogInsert and the
/// walsender a decode, a reorder-buffer entry and a CopyData frame, which at two messages per check-in was a
/// visible share of the CPU. Written by hand rather than as JSON: it holds arbitrary key, payload and header
/// bytes without escaping, and is read only by our own relay. Layout (big-endian):
///
///     version        UInt8 = 2
///     count          UInt32, then per message:
///       topic        UInt16 length, UTF-8
///       key, payload Int32 length (-1 for null), bytes
///       header count UInt16
///       per header   UInt16 name length, UTF-8 name; Int32 value length (-1 for null), bytes
///
/// Version 1 (one message, no count) is what the previous release wrote; it is still read, so a relay upgraded
/// while its slot holds such messages publishes them.
public enum OutboxEnvelope {
    static let version: UInt8 = 2
    static let singleMessageVersion: UInt8 = 1

    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
    }

    public static func encode(_ messages: [OutboxMessage]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(
            5 + messages.reduce(0) { $0 + 32 + $1.topic.utf8.count + ($1.key?.count ?? 0) + ($1.payload?.count ?? 0) }
        )
        out.append(Self.version)
        out.append(contentsOf: Self.bigEndian(UInt32(messages.count)))
        for message in messages { Self.append(message, to: &out) }
        return out
    }

    /// The messages of one envelope, in the order they were written.
    public static func decode(_ bytes: [UInt8]) throws(Malformed) -> [OutboxMessage] {
        var reader = Reader(bytes: bytes)
        let version = try reader.byte()
        var messages: [OutboxMessage] = []
        switch version {
        case Self.version:
            let count = try reader.uint32()
            // Every message takes at least 11 bytes: a count beyond that is damage, not a reason to reserve memory.
            guard Int(count) <= (bytes.count - reader.index) / 11 else {
                throw Malformed(description: "outbox envelope claims \(count) messages in \(bytes.count) bytes")
            }
            messages.reserveCapacity(Int(count))
            for _ in 0..<count { messages.append(try reader.message()) }
        case Self.singleMessageVersion:
            messages.append(try reader.message())
        default:
            throw Malformed(
                description: "outbox envelope version \(version) is not supported (expected \(Self.version))"
            )
        }
        guard reader.isAtEnd else {
            throw Malformed(description: "outbox envelope has \(bytes.count - reader.index) trailing bytes")
        }
        return messages
    }

    private static func append(_ message: OutboxMessage, to out: inout [UInt8]) {
        Self.appendShort(Array(message.topic.utf8), to: &out)
        Self.appendLong(message.key, to: &out)
        Self.appendLong(message.payload, to: &out)
        out.append(contentsOf: Self.bigEndian(UInt16(clamping: message.headers.count)))
        for header in message.headers.prefix(Int(UInt16.max)) {
            Self.appendShort(Array(header.name.utf8), to: &out)
            Self.appendLong(header.value, to: &out)
        }
    }

    private static func appendShort(_ bytes: [UInt8], to out: inout [UInt8]) {
        let bytes = bytes.prefix(Int(UInt16.max))
        out.append(contentsOf: Self.bigEndian(UInt16(bytes.count)))
        out.append(contentsOf: bytes)
    }

    private static func appendLong(_ bytes: [UInt8]?, to out: inout [UInt8]) {
        guard let bytes else {
            out.append(contentsOf: Self.bigEndian(UInt32(bitPattern: -1)))
            return
        }
        out.append(contentsOf: Self.bigEndian(UInt32(bytes.count)))
        out.append(contentsOf: bytes)
    }

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var isAtEnd: Bool { index == bytes.count }

        mutating func byte() throws(Malformed) -> UInt8 {
            guard index < bytes.count else { throw Malformed(description: "outbox envelope ends early") }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func uint16() throws(Malformed) -> UInt16 {
            UInt16(try byte()) << 8 | UInt16(try byte())
        }

        mutating func uint32() throws(Malformed) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 { value = value << 8 | UInt32(try byte()) }
            return value
        }

        mutating func int32() throws(Malformed) -> Int32 { Int32(bitPattern: try uint32()) }

        mutating func take(_ count: Int) throws(Malformed) -> [UInt8] {
            guard count >= 0, count <= bytes.count - index else {
                throw Malformed(description: "outbox envelope field of \(count) bytes runs past its end")
            }
            defer { index += count }
            return Array(bytes[index..<index + count])
        }

        mutating func short() throws(Malformed) -> [UInt8] { try take(Int(try uint16())) }

        mutating func long() throws(Malformed) -> [UInt8]? {
            let length = try int32()
            return length == -1 ? nil : try take(Int(length))
        }

        mutating func message() throws(Malformed) -> OutboxMessage {
            let topic = try short()
            let key = try long()
            let payload = try long()
            let count = try uint16()
            var headers: [MessageHeader] = []
            headers.reserveCapacity(Int(count))
            for _ in 0..<count {
                let name = try short()
                headers.append(MessageHeader(name: String(decoding: name, as: UTF8.self), value: try long()))
            }
            return OutboxMessage(
                topic: String(decoding: topic, as: UTF8.self),
                key: key,
                payload: payload,
                headers: headers
            )
        }
    }
}
