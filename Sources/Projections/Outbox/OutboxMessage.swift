import Domain
import Foundation

/// A Kafka message waiting in the outbox table for the relay.
public struct OutboxMessage: Sendable, Hashable {
    /// The outbox row id; nil until stored. Publication order is id order.
    public var id: Int64?
    public let topic: String
    public let key: [UInt8]?
    public let payload: [UInt8]?
    public let headers: [MessageHeader]

    public init(id: Int64? = nil, topic: String, key: [UInt8]?, payload: [UInt8]?, headers: [MessageHeader] = []) {
        self.id = id
        self.topic = topic
        self.key = key
        self.payload = payload
        self.headers = headers
    }

    /// Headers as stored in the `headers` JSONB column: `[[name, hex value or null], ...]`.
    /// Hex keeps arbitrary header bytes (not always UTF-8) inside JSON without loss.
    var headersJSON: String {
        var json = JSONText()
        json.beginArray()
        for header in headers {
            json.beginArray()
            json.value(header.name)
            json.value(header.value.map(Hex.encode))
            json.endArray()
        }
        json.endArray()
        return json.string
    }

    /// Read for every relayed message, so with the bounded reader of the hot path rather than `JSONDecoder`.
    static func decodeHeaders(_ text: String) -> [MessageHeader] {
        guard case .array(let pairs)? = try? JSONReader.parseDocument(Array(text.utf8)) else { return [] }
        return pairs.compactMap { pair in
            guard case .array(let parts) = pair, parts.count == 2, case .string(let name) = parts[0] else { return nil }
            guard case .string(let hex) = parts[1] else { return MessageHeader(name: name, value: nil) }
            return MessageHeader(name: name, value: Hex.decode(hex))
        }
    }
}

enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
