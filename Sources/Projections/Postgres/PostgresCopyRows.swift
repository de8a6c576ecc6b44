/// Rows in the binary `COPY … FROM STDIN (FORMAT binary)` format, built in memory for one `copyIn`.
///
/// Written by hand: no maintained Swift library speaks libpq's COPY, and the format is small (a signature, then
/// per row a field count and length-prefixed big-endian values, then a trailer). Binary spares both sides the
/// text work: the batch's statements once spent a third of the consumer's CPU rendering array literals and the
/// server parsed them again (`array_in`, `timestamptz_in`).
///
/// Each value must be in the exact binary form of its column's type (an `integer` column takes 4 bytes, a
/// `bigint` 8); the server refuses a wrong length (SQLSTATE 08P01 or 22P03) rather than guessing.
public struct PostgresCopyRows: Sendable {
    /// 2000-01-01, the epoch of Postgres dates and timestamps, in days and microseconds after 1970-01-01.
    static let postgresEpochDays = 10_957
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    public private(set) var bytes: [UInt8]
    public private(set) var rowCount = 0
    private let fieldsPerRow: Int16
    private var fieldsInRow: Int16 = 0

    public init(fieldsPerRow: Int16, reservingRows rows: Int = 0) {
        self.fieldsPerRow = fieldsPerRow
        bytes = []
        bytes.reserveCapacity(19 + rows * Int(fieldsPerRow) * 12 + 2)
        // The signature: PGCOPY\n\377\r\n\0
        bytes.append(contentsOf: [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00])
        append32(0)  // flags: no OIDs
        append32(0)  // header extension length
    }

    /// Starts a row; every row has exactly `fieldsPerRow` values.
    public mutating func beginRow() {
        precondition(fieldsInRow == 0 || fieldsInRow == fieldsPerRow, "a COPY row has \(fieldsInRow) fields")
        rowCount += 1
        fieldsInRow = 0
        append16(UInt16(bitPattern: fieldsPerRow))
    }

    /// `bigint`.
    public mutating func append(int64 value: Int64?) {
        guard let value else { return appendNull() }
        appendLength(8)
        append64(UInt64(bitPattern: value))
    }

    /// `integer`. A value outside its range is refused as the server would refuse it (22003), so the message that
    /// carried it can be set aside instead of the process trapping.
    public mutating func append(int32 value: Int?) throws(PostgresError) {
        guard let value else { return appendNull() }
        guard let exact = Int32(exactly: value) else { throw Self.outOfRange("22003", "integer out of range") }
        appendLength(4)
        append32(UInt32(bitPattern: exact))
    }

    /// `double precision`.
    public mutating func append(float64 value: Double?) {
        guard let value else { return appendNull() }
        appendLength(8)
        append64(value.bitPattern)
    }

    /// `text`: the UTF-8 bytes. The server still refuses a NUL byte, as it does in text format.
    public mutating func append(text value: String?) {
        guard var text = value else { return appendNull() }
        text.withUTF8 { utf8 in
            appendLength(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// `date`, given as days since 1970-01-01; the server checks the range of what fits in the wire form.
    public mutating func append(dateDaysSinceUnixEpoch days: Int?) throws(PostgresError) {
        guard let days else { return appendNull() }
        guard let exact = Int32(exactly: days - Self.postgresEpochDays) else {
            throw Self.outOfRange("22008", "date out of range")
        }
        appendLength(4)
        append32(UInt32(bitPattern: exact))
    }

    /// `timestamptz`, given as microseconds since 1970-01-01 UTC; the server checks the range of what fits.
    public mutating func append(timestampMicrosecondsSinceUnixEpoch microseconds: Int64?) throws(PostgresError) {
        guard let microseconds else { return appendNull() }
        let (shifted, overflow) = microseconds.subtractingReportingOverflow(Self.postgresEpochMicroseconds)
        guard !overflow else { throw Self.outOfRange("22008", "timestamp out of range") }
        appendLength(8)
        append64(UInt64(bitPattern: shifted))
    }

    /// The data to stream: the rows and the trailer.
    public func finished() -> [UInt8] {
        precondition(fieldsInRow == fieldsPerRow || rowCount == 0, "the last COPY row has \(fieldsInRow) fields")
        var data = bytes
        data.append(contentsOf: [0xFF, 0xFF])
        return data
    }

    private static func outOfRange(_ sqlState: String, _ message: String) -> PostgresError {
        PostgresError(code: .queryFailed, sqlState: sqlState, message: message + " (refused before sending)")
    }

    private mutating func appendNull() {
        fieldsInRow += 1
        append32(UInt32.max)  // length -1
    }

    private mutating func appendLength(_ length: Int) {
        fieldsInRow += 1
        append32(UInt32(length))
    }

    private mutating func append16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    private mutating func append32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func append64(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

extension PostgresConnection {
    /// Streams `rows` by binary `COPY … FROM STDIN (FORMAT binary)`; `encode` appends one row's values, in the
    /// order of the SQL's column list. Nothing is sent for no rows.
    public func copyIn<Row>(
        _ sql: String,
        binaryRows rows: some Collection<Row>,
        fieldsPerRow: Int16,
        file: String = #fileID,
        line: Int = #line,
        _ encode: (Row, inout PostgresCopyRows) throws -> Void
    ) throws {
        guard !rows.isEmpty else { return }
        var copy = PostgresCopyRows(fieldsPerRow: fieldsPerRow, reservingRows: rows.count)
        for row in rows {
            copy.beginRow()
            try encode(row, &copy)
        }
        try copyIn(sql, data: copy.finished(), file: file, line: line)
    }
}
