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
        .text(PostgresArrayLiteral.render(array.lazy.map(\.postgresArrayElementText)))
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
}

extension String: PostgresArrayElement {
    public var postgresArrayElementText: String? { self }
}

extension Int: PostgresArrayElement {
    public var postgresArrayElementText: String? { String(self) }
}

extension Int64: PostgresArrayElement {
    public var postgresArrayElementText: String? { String(self) }
}

extension Int32: PostgresArrayElement {
    public var postgresArrayElementText: String? { String(self) }
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
    public var postgresArrayElementText: String? { self.flatMap(\.postgresArrayElementText) }
}
