/// Strings: escapes decoded, UTF-8 validated, control characters refused.
extension JSONReader {
    mutating func readString() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // Fast path: no escapes, so the string is the bytes themselves (validated as UTF-8).
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            case UInt8(ascii: "\\"):
                var decoded = Array(bytes[start..<index])
                return try readEscapedRemainder(into: &decoded)
            default:
                try advanceOverCharacter()
            }
        }
        throw failure("unterminated string")
    }

    /// Validates a string without building it.
    mutating func skipString() throws(Failure) {
        try expect(UInt8(ascii: "\""))
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                _ = try readEscape()
            default:
                try advanceOverCharacter()
            }
        }
        throw failure("unterminated string")
    }

    private mutating func readEscapedRemainder(into decoded: inout [UInt8]) throws(Failure) -> String {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let scalar = try readEscape()
                decoded.append(contentsOf: String(Character(scalar)).utf8)
            default:
                let start = index
                try advanceOverCharacter()
                decoded.append(contentsOf: bytes[start..<index])
            }
        }
        throw failure("unterminated string")
    }

    /// Moves past one unescaped character inside a string: no control characters, valid UTF-8.
    private mutating func advanceOverCharacter() throws(Failure) {
        let byte = bytes[index]
        if byte < 0x20 { throw failure("control character in string") }
        if byte < 0x80 {
            index += 1
            return
        }
        guard let end = UTF8Validation.scalarEnd(in: bytes, at: index) else { throw failure("invalid UTF-8") }
        index = end
    }

    /// Reads `\x` or `\uXXXX` (with surrogate pairs) at `index`; lone surrogates are refused.
    private mutating func readEscape() throws(Failure) -> Unicode.Scalar {
        index += 1
        guard index < bytes.count else { throw failure("unterminated string") }
        let escaped = bytes[index]
        index += 1
        switch escaped {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try readHex4()
            switch unit {
            case 0xD800...0xDBFF:
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw failure("unpaired surrogate escape") }
                index += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate escape") }
                return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
            case 0xDC00...0xDFFF:
                throw failure("unpaired surrogate escape")
            default:
                return Unicode.Scalar(unit)!
            }
        default:
            throw failure("invalid escape")
        }
    }

    private mutating func readHex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
