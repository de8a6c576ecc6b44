/// Fixed-width decimal fields, as used by ISO 8601 / RFC 3339 text.
enum DecimalDigits {
    /// The value of `range` if every byte in it is an ASCII digit.
    static func value(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard range.upperBound <= bytes.count else { return nil }
        var value = 0
        for index in range {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Appends `value` (non-negative) left-padded with zeros to at least `width` digits.
    static func append<T: BinaryInteger>(_ value: T, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.utf8.count < width {
            text += String(repeating: "0", count: width - digits.utf8.count)
        }
        text += digits
    }
}
