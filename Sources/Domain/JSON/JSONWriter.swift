/// Writes compact JSON text; callers emit object keys in sorted order themselves.
struct JSONWriter {
    private(set) var text = ""

    mutating func raw(_ fragment: String) {
        text += fragment
    }

    mutating func integer<T: BinaryInteger>(_ value: T) {
        text += String(value)
    }

    mutating func optionalInteger<T: BinaryInteger>(_ value: T?) {
        if let value { integer(value) } else { raw("null") }
    }

    mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    /// Escapes `"`, `\` and control characters; everything else is written as UTF-8.
    mutating func string(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16, uppercase: false)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// `"key":` — the caller writes the comma between members.
    mutating func key(_ key: String) {
        string(key)
        text += ":"
    }
}
