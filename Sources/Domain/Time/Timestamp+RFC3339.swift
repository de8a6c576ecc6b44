extension Timestamp {
    /// Strict RFC 3339 `date-time`: `YYYY-MM-DD`, then `T`, `t` or one space, then `hh:mm:ss`,
    /// an optional fraction of 1–9 digits (truncated to microseconds), and a mandatory offset
    /// (`Z`, `z` or `±hh:mm`). Every field is range-checked, including leap days; nothing may follow.
    ///
    /// A leap second (`:60`) is accepted in any minute, since no leap-second table is kept, and
    /// becomes the last microsecond of that minute (`59.999999`): the instant keeps its order
    /// and its local day, and a request stamped during a leap second is not thrown away.
    ///
    /// Hand-written because Foundation's date formatters are slow and accept far more than this.
    public init?(rfc3339: String) {
        var text = rfc3339
        guard let micros = text.withUTF8({ Self.parseRFC3339($0) }) else { return nil }
        self.init(microsecondsSinceEpoch: micros)
    }

    static func parseRFC3339(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        // Shortest form: "YYYY-MM-DDThh:mm:ssZ".
        guard bytes.count >= 20, bytes.count <= 35,
            bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = DecimalDigits.value(bytes, 0..<4),
            let month = DecimalDigits.value(bytes, 5..<7),
            let day = DecimalDigits.value(bytes, 8..<10),
            let hour = DecimalDigits.value(bytes, 11..<13),
            let minute = DecimalDigits.value(bytes, 14..<16),
            var second = DecimalDigits.value(bytes, 17..<19),
            CivilCalendar.isValid(year: year, month: month, day: day),
            hour < 24, minute < 60, second <= 60
        else { return nil }

        var index = 19
        var fraction: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                if index - fractionStart < 6 {
                    fraction = fraction * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                }
                index += 1
            }
            let digits = index - fractionStart
            guard (1...9).contains(digits) else { return nil }
            for _ in digits..<max(digits, 6) { fraction *= 10 }
        }

        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 <= bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let offsetHours = DecimalDigits.value(bytes, (index + 1)..<(index + 3)),
                let offsetMinutes = DecimalDigits.value(bytes, (index + 4)..<(index + 6)),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }

        if second == 60 {
            second = 59
            fraction = Self.microsecondsPerSecond - 1
        }
        let days = CivilCalendar.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return seconds * Self.microsecondsPerSecond + fraction
    }
}
