/// A bounded, strict RFC 8259 reader over UTF-8 bytes: the reader of the hot messages (check-ins here; reward
/// commands and outbox headers in the modules above). Everything else reads JSON with `Codable`.
///
/// Recursion is capped at ``maximumDepth`` so hostile input (10,000 nested arrays) is refused
/// instead of overflowing the stack; every loop advances through the input, so it cannot hang.
public struct JSONReader {
    static let maximumDepth = 64

    /// Why a document is not JSON.
    public struct Failure: Error, Equatable {
        /// Byte offset of the problem; never the offending bytes, which may be anything.
        public let offset: Int
        public let reason: String
    }

    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses a whole document: one value, surrounded by nothing but whitespace.
    public static func parseDocument(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var reader = JSONReader(bytes)
        let value = try reader.readValue(depth: 1)
        try reader.expectEnd()
        return value
    }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek() == byte else { throw failure("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    mutating func expectEnd() throws(Failure) {
        guard peek() == nil else { throw failure("unexpected characters after the value") }
    }

    func failure(_ reason: String) -> Failure {
        Failure(offset: index, reason: reason)
    }

    // MARK: Values

    mutating func readValue(depth: Int) throws(Failure) -> JSONValue {
        switch peek() {
        case UInt8(ascii: "{"):
            var members: [JSONMember] = []
            try readContainer(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), depth: depth) {
                (reader) throws(Failure) in
                let key = try reader.readString()
                try reader.expect(UInt8(ascii: ":"))
                members.append(JSONMember(key: key, value: try reader.readValue(depth: depth + 1)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            var elements: [JSONValue] = []
            try readContainer(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), depth: depth) {
                (reader) throws(Failure) in
                elements.append(try reader.readValue(depth: depth + 1))
            }
            return .array(elements)
        case UInt8(ascii: "\""):
            return .string(try readString())
        default:
            return try readScalar()
        }
    }

    /// Like ``readValue(depth:)`` but builds nothing: for fields nobody asked for.
    mutating func skipValue(depth: Int) throws(Failure) {
        switch peek() {
        case UInt8(ascii: "{"):
            try readContainer(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), depth: depth) {
                (reader) throws(Failure) in
                try reader.skipString()
                try reader.expect(UInt8(ascii: ":"))
                try reader.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            try readContainer(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), depth: depth) {
                (reader) throws(Failure) in
                try reader.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "\""):
            try skipString()
        default:
            _ = try readScalar()
        }
    }

    /// Reads `open`, then `element`s separated by commas, then `close`.
    mutating func readContainer(
        open: UInt8,
        close: UInt8,
        depth: Int,
        element: (inout JSONReader) throws(Failure) -> Void
    ) throws(Failure) {
        guard depth <= Self.maximumDepth else {
            throw failure("nested deeper than \(Self.maximumDepth) levels")
        }
        try expect(open)
        if peek() == close {
            index += 1
            return
        }
        while true {
            if open == UInt8(ascii: "{"), peek() != UInt8(ascii: "\"") {
                throw failure("expected a member name")
            }
            try element(&self)
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case close: index += 1; return
            default: throw failure("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
        }
    }

    /// `null`, `true`, `false` or a number.
    mutating func readScalar() throws(Failure) -> JSONValue {
        guard let byte = peek() else { throw failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "n"): try readLiteral("null"); return .null
        case UInt8(ascii: "t"): try readLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try readLiteral("false"); return .bool(false)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        default: throw failure("unexpected character")
        }
    }

    private mutating func readLiteral(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        let matches =
            index + count <= bytes.count
            && (0..<count).allSatisfy { bytes[index + $0] == literal.utf8Start[$0] }
        guard matches else { throw failure("unexpected character") }
        index += count
    }

    // MARK: Numbers

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, with integers accumulated exactly.
    mutating func readNumber() throws(Failure) -> JSONNumber {
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }

        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw failure("invalid number: leading zero") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = sum
                index += 1
            }
        }

        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            try skipDigits()
            isInteger = false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            try skipDigits()
            isInteger = false
        }

        guard isInteger else { return .nonInteger }
        if negative {
            guard !overflow, magnitude <= UInt64(Int64.max) + 1 else { return .integerOutOfRange(negative: true) }
            return .integer(magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude))
        }
        guard !overflow, magnitude <= UInt64(Int64.max) else { return .integerOutOfRange(negative: false) }
        return .integer(Int64(magnitude))
    }

    private mutating func skipDigits() throws(Failure) {
        let start = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        guard index > start else { throw failure("invalid number") }
    }

    func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }
}
