/// A value that can be an element of an array parameter.
///
/// Arrays are sent as text array literals in which every element is double-quoted with `"` and `\`
/// backslash-escaped, and `nil` is an unquoted `NULL`. This is correct for any string content — commas,
/// braces, quotes, backslashes, whitespace, the text `NULL`, the empty string — so the server reads back
/// exactly the strings that were bound. Cast the parameter to the element type in SQL (`$1::bigint[]`).
///
/// `[UInt8]` is the exception: an array of bytes is a single binary `bytea` value. An array of byte strings
/// (`[[UInt8]?]`) is a text array of `\x<hex>` elements, read with `$1::bytea[]`.
public protocol PostgresArrayElement: Sendable {
    /// This element's text inside the array literal, before quoting; `nil` for `NULL`.
    var postgresArrayElementText: String? { get }

    /// How an array of this element type is bound. Defaults to a text array literal.
    static func postgresBinding(of array: [Self]) -> PostgresBinding
}

extension PostgresArrayElement {
    public static func postgresBinding(of array: [Self]) -> PostgresBinding {
        .text(PostgresArrayLiteral.render(array.lazy.map { $0.postgresArrayElementText }))
    }
}

enum PostgresArrayLiteral {
    /// `{"a","b\"c",NULL}`: every element quoted, so no element text can change the array's shape.
    static func render(_ elements: some Sequence<String?>) -> String {
        // Works on UTF-8 bytes: `"` and `\` are ASCII, and no byte of a multi-byte UTF-8 sequence can equal
        // them, so escaping byte by byte is exact. (Appending unicode scalars one at a time was the hot spot
        // of a batch write.)
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(elements.underestimatedCount * 16 + 2)
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            guard let element else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `{1,-2,NULL}`: integers need no quoting, and writing their digits straight into the buffer avoids a
    /// String per element (batches bind tens of thousands of them).
    static func renderIntegers(_ elements: some Sequence<Int64?>) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(elements.underestimatedCount * 12 + 2)
        var digits = [UInt8](repeating: 0, count: 20)
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            guard let value = element else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            var count = 0
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[index]) }
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String: PostgresArrayElement {
    public var postgresArrayElementText: String? { self }
}

extension Int: PostgresArrayElement {
    public var postgresArrayElementText: String? { String(self) }

    public static func postgresBinding(of array: [Int]) -> PostgresBinding {
        .text(PostgresArrayLiteral.renderIntegers(array.lazy.map { Int64($0) }))
    }
}

extension Int64: PostgresArrayElement {
    public var postgresArrayElementText: String? { String(self) }

    public static func postgresBinding(of array: [Int64]) -> PostgresBinding {
        .text(PostgresArrayLiteral.renderIntegers(array.lazy.map { Int64($0) }))
    }
}

extension Int32: PostgresArrayElement {
    public var postgresArrayElementText: String? { String(self) }

    public static func postgresBinding(of array: [Int32]) -> PostgresBinding {
        .text(PostgresArrayLiteral.renderIntegers(array.lazy.map { Int64($0) }))
    }
}

extension Bool: PostgresArrayElement {
    public var postgresArrayElementText: String? { self ? "true" : "false" }
}

extension UInt8: PostgresArrayElement {
    public var postgresArrayElementText: String? { String(self) }

    /// A byte array is one `bytea` value, sent in binary.
    public static func postgresBinding(of array: [UInt8]) -> PostgresBinding { .binary(array) }
}

/// A byte string inside an array: `\x<hex>` text, the `bytea` hex input format.
extension Array: PostgresArrayElement where Element == UInt8 {
    public var postgresArrayElementText: String? { PostgresByteaText.hex(self) }
}

extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static func postgresBinding(of array: [Wrapped?]) -> PostgresBinding {
        // Integer columns take the digit-writing path; the type test is on metadata, not on each element.
        if Wrapped.self == Int64.self {
            return .text(PostgresArrayLiteral.renderIntegers(unsafeBitCast(array, to: [Int64?].self)))
        }
        if Wrapped.self == Int.self {
            return .text(
                PostgresArrayLiteral.renderIntegers(
                    unsafeBitCast(array, to: [Int?].self).lazy.map { $0.map(Int64.init) }
                )
            )
        }
        if Wrapped.self == Int32.self {
            return .text(
                PostgresArrayLiteral.renderIntegers(
                    unsafeBitCast(array, to: [Int32?].self).lazy.map { $0.map(Int64.init) }
                )
            )
        }
        return .text(PostgresArrayLiteral.render(array.lazy.map { $0.postgresArrayElementText }))
    }

    // A switch, not `flatMap(\.postgresArrayElementText)`: a key path in this generic context is instantiated by
    // the runtime (type demangling included) on every call, which profiling showed costing more than the write.
    public var postgresArrayElementText: String? {
        switch self {
        case .some(let wrapped): wrapped.postgresArrayElementText
        case .none: nil
        }
    }
}
