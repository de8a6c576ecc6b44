/// A position in Postgres's write-ahead log (`pg_lsn`), written `16/B374D848` (high and low 32 bits in hex).
public struct LogSequenceNumber: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64

    public static let zero = LogSequenceNumber(value: 0)

    public init(value: UInt64) {
        self.value = value
    }

    /// Parses the text form; nil when it is not `HEX/HEX` with each half fitting 32 bits.
    public init?(_ text: String) {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        // Hex digits only: `UInt64(_:radix:)` alone would also take a sign ("+1/-0").
        guard halves.count == 2, halves.allSatisfy({ (1...8).contains($0.count) && $0.allSatisfy(\.isHexDigit) }),
            let high = UInt64(halves[0], radix: 16), let low = UInt64(halves[1], radix: 16)
        else { return nil }
        self.value = high << 32 | low
    }

    public var description: String {
        String(self.value >> 32, radix: 16, uppercase: true) + "/"
            + String(self.value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}
