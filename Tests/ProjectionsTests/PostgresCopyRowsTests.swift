import Projections
import Testing

/// Binary COPY rows reach the server as exactly the values encoded: every type the projector writes, NULLs,
/// hostile text, and dates and times on both sides of the Postgres epoch (2000-01-01).
@Suite("Binary COPY rows round trip through the server", .timeLimit(.minutes(2)))
struct PostgresCopyRowsTests {
    static let table =
        "CREATE TEMP TABLE copied (n int PRIMARY KEY, b bigint, i int, t text, d date, ts timestamptz, f float8)"

    @Test func valuesRoundTrip() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        try connection.execute(Self.table)
        let texts = PostgresParameterTests.hostileStrings
        // (days since 1970, expected ISO date), (microseconds since 1970, expected UTC text)
        let dates: [(Int?, String?)] = [
            (0, "1970-01-01"), (10_957, "2000-01-01"), (10_956, "1999-12-31"), (20_454, "2026-01-01"), (nil, nil),
            (-719_162, "0001-01-01"),
        ]
        let times: [(Int64?, String?)] = [
            (0, "1970-01-01 00:00:00+00"), (946_684_800_000_000, "2000-01-01 00:00:00+00"),
            (946_684_799_999_999, "1999-12-31 23:59:59.999999+00"),
            (1_767_225_600_123_456, "2026-01-01 00:00:00.123456+00"), (nil, nil),
        ]
        let doubles: [Double?] = [0.1, -2.25, nil, 1e300, 62.5, -Double.infinity]
        var copy = PostgresCopyRows(fieldsPerRow: 7)
        for (index, text) in texts.enumerated() {
            copy.beginRow()
            try copy.append(int32: index)
            copy.append(int64: index % 3 == 0 ? nil : (index % 2 == 0 ? Int64.min : Int64.max))
            try copy.append(int32: index % 4 == 0 ? nil : (index % 2 == 0 ? Int(Int32.min) : Int(Int32.max)))
            copy.append(text: text)
            try copy.append(dateDaysSinceUnixEpoch: dates[index % dates.count].0)
            try copy.append(timestampMicrosecondsSinceUnixEpoch: times[index % times.count].0)
            copy.append(float64: doubles[index % doubles.count])
        }
        #expect(copy.rowCount == texts.count)
        try connection.copyIn("COPY copied FROM STDIN (FORMAT binary)", data: copy.finished())
        try connection.execute("SET TIME ZONE 'UTC'")
        let rows = try connection.execute("SELECT n, b, i, t, d::text, ts::text, f FROM copied ORDER BY n")
        #expect(rows.count == texts.count)
        for index in 0..<rows.count {
            #expect(rows.int(index, 0) == index)
            #expect(rows.int64(index, 1) == (index % 3 == 0 ? nil : (index % 2 == 0 ? Int64.min : Int64.max)))
            #expect(rows.int(index, 2) == (index % 4 == 0 ? nil : (index % 2 == 0 ? Int(Int32.min) : Int(Int32.max))))
            #expect(rows.string(index, 3) == texts[index])
            #expect(rows.string(index, 4) == dates[index % dates.count].1)
            #expect(rows.string(index, 5) == times[index % times.count].1)
            #expect(rows.double(index, 6) == doubles[index % doubles.count])
        }
    }

    @Test func noRowsIsAnEmptyCopy() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        try connection.execute(Self.table)
        try connection.copyIn(
            "COPY copied FROM STDIN (FORMAT binary)",
            data: PostgresCopyRows(fieldsPerRow: 7).finished()
        )
        #expect(try connection.execute("SELECT count(*) FROM copied").int(0, 0) == 0)
    }

    /// A value of the wrong width for its column is refused by the server with a clear error, and nothing of the
    /// COPY stays; the connection goes on working.
    @Test func aWrongWidthIsRefusedAndNothingIsWritten() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        try connection.execute(Self.table)
        var copy = PostgresCopyRows(fieldsPerRow: 7)
        for index in 0..<3 {
            copy.beginRow()
            try copy.append(int32: index)
            try copy.append(int32: 7)  // a bigint column given 4 bytes
            try copy.append(int32: nil)
            copy.append(text: "x")
            try copy.append(dateDaysSinceUnixEpoch: nil)
            try copy.append(timestampMicrosecondsSinceUnixEpoch: nil)
            copy.append(float64: nil)
        }
        #expect {
            try connection.copyIn("COPY copied FROM STDIN (FORMAT binary)", data: copy.finished())
        } throws: { error in
            // "insufficient data left in message" (08P01) for a short value, 22P03 for a long one
            ["08P01", "22P03"].contains((error as? PostgresError)?.sqlState)
        }
        #expect(try connection.execute("SELECT count(*) FROM copied").int(0, 0) == 0)
    }

    /// What the wire form cannot hold is refused with the server's SQLSTATE before anything is sent, so the message
    /// that carried it is set aside like any refused message; nothing traps.
    @Test func valuesOutOfRangeAreRefusedBeforeSending() {
        var copy = PostgresCopyRows(fieldsPerRow: 1)
        copy.beginRow()
        func sqlState(_ body: (inout PostgresCopyRows) throws -> Void) -> String? {
            do {
                try body(&copy)
                return nil
            } catch let error as PostgresError {
                #expect(!error.isRetriable)
                return error.sqlState
            } catch {
                return "not a PostgresError: \(error)"
            }
        }
        #expect(sqlState { try $0.append(int32: Int(Int32.max) + 1) } == "22003")
        #expect(sqlState { try $0.append(int32: Int(Int32.min) - 1) } == "22003")
        #expect(sqlState { try $0.append(dateDaysSinceUnixEpoch: Int(Int32.min)) } == "22008")
        #expect(sqlState { try $0.append(timestampMicrosecondsSinceUnixEpoch: Int64.min + 1) } == "22008")
    }
}
