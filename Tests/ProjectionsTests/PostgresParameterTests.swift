import Projections
import Testing

@Suite("Parameters round trip through the server", .timeLimit(.minutes(5)))
struct PostgresParameterTests {
    static let hostileStrings: [String?] = [
        "plain", "", "NULL", "null", nil, "with,comma", "{braces}", "}", "{", "\"quoted\"", "\"", "back\\slash",
        "\\", "\\\\", "trailing backslash\\", " leading and trailing ", "tab\tnew\nline\r", "unicode 🌍 ë 한국어",
        "'single'", "a\"b\\c{d}e,f", "(1,2)", "$1", "--", "x'; DROP TABLE t; --", "ARRAY[1]", "\u{7f}\u{1}",
    ]

    @Test func scalarsRoundTrip() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        let noText: String? = nil
        let rows = try connection.execute(
            "SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint, $6::bigint, $7::bool, $8::bool, "
                + "$9::int, $10::int, $11::float8, $12::float8",
            [
                "héllo 🌍 한국어", "it's \"quoted\" \\ back", "", noText, Int64.max, Int64.min, true, false,
                Int32.min, 42, 0.1, -Double.infinity,
            ]
        )
        #expect(rows.string(0, 0) == "héllo 🌍 한국어")
        #expect(rows.string(0, 1) == "it's \"quoted\" \\ back")
        #expect(rows.string(0, 2) == "")
        #expect(!rows.isNull(0, 2))
        #expect(rows.isNull(0, 3))
        #expect(rows.int64(0, 4) == Int64.max)
        #expect(rows.int64(0, 5) == Int64.min)
        #expect(rows.bool(0, 6) == true)
        #expect(rows.bool(0, 7) == false)
        #expect(rows.int(0, 8) == Int(Int32.min))
        #expect(rows.int(0, 9) == 42)
        #expect(rows.double(0, 10) == 0.1)
        #expect(rows.double(0, 11) == -Double.infinity)
    }

    @Test func byteaRoundTripsAllByteValues() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        let allBytes = (0...255).map { UInt8($0) }
        let rows = try connection.execute(
            "SELECT $1::bytea, octet_length($1), $1 = decode($2, 'hex'), $3::bytea",
            [allBytes, allBytes.map { String(format: "%02x", $0) }.joined(), [UInt8]()]
        )
        #expect(rows.bytes(0, 0) == allBytes)
        #expect(rows.int(0, 1) == 256)
        #expect(rows.bool(0, 2) == true)
        #expect(rows.bytes(0, 3) == [])

        // The escape output format decodes too.
        try connection.execute("SET bytea_output = escape")
        #expect(try connection.execute("SELECT $1::bytea", [allBytes]).bytes(0, 0) == allBytes)
    }

    @Test func nulBytesAreRefusedBeforeSending() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        let scalar = #expect(throws: PostgresError.self) { try connection.execute("SELECT $1::text", ["a\0secret"]) }
        #expect(scalar?.code == .queryFailed)
        #expect(scalar?.message.contains("NUL") == true)
        #expect(scalar?.description.contains("secret") == false)

        let inArray = #expect(throws: PostgresError.self) {
            try connection.execute("SELECT $1::text[]", [["ok", "a\0b"]])
        }
        #expect(inArray?.code == .queryFailed)
        #expect(try connection.execute("SELECT 1").int(0, 0) == 1)
    }

    @Test func hostileStringArraysRoundTripThroughUnnest() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try connection.execute("CREATE TABLE notes (id bigint PRIMARY KEY, body text)")
            let ids = (1...Self.hostileStrings.count).map { Int64($0) }
            let inserted = try connection.execute(
                "INSERT INTO notes (id, body) SELECT * FROM unnest($1::bigint[], $2::text[])",
                [ids, Self.hostileStrings]
            )
            #expect(inserted.affectedRows == Self.hostileStrings.count)
            let rows = try connection.execute("SELECT body FROM notes ORDER BY id")
            let readBack = (0..<rows.count).map { rows.string($0, 0) }
            #expect(readBack == Self.hostileStrings)
        }
    }

    @Test func arraysOfEveryElementTypeRoundTrip() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        let numbers: [Int64?] = [Int64.min, nil, 0, Int64.max]
        let flags: [Bool?] = [true, nil, false]
        let small: [Int32] = [Int32.min, -1, Int32.max]
        let plain: [Int] = [1, 2, 3]
        let blobs: [[UInt8]?] = [[0, 1, 0xff], nil, [], Array("\"\\{},".utf8)]
        let empty: [String] = []

        let rows = try connection.execute(
            """
            SELECT (SELECT array_agg(x)::text FROM unnest($1::bigint[]) AS x),
                   (SELECT array_agg(x)::text FROM unnest($2::bool[]) AS x),
                   $3::int[]::text, $4::bigint[]::text,
                   cardinality($5::text[]), cardinality($6::bytea[])
            """,
            [numbers, flags, small, plain, empty, blobs]
        )
        #expect(rows.string(0, 0) == "{-9223372036854775808,NULL,0,9223372036854775807}")
        #expect(rows.string(0, 1) == "{t,NULL,f}")
        #expect(rows.string(0, 2) == "{-2147483648,-1,2147483647}")
        #expect(rows.string(0, 3) == "{1,2,3}")
        #expect(rows.int(0, 4) == 0)
        #expect(rows.int(0, 5) == 4)

        let optionalInts: [Int?] = [-5, nil, 7, Int.min]
        let optionalSmall: [Int32?] = [nil, Int32.min, 0]
        let integers = try connection.execute(
            "SELECT $1::bigint[]::text, $2::int[]::text",
            [optionalInts, optionalSmall]
        )
        #expect(integers.string(0, 0) == "{-5,NULL,7,-9223372036854775808}")
        #expect(integers.string(0, 1) == "{NULL,-2147483648,0}")

        let unnested = try connection.execute(
            "SELECT b FROM unnest($1::bytea[]) WITH ORDINALITY AS t(b, n) ORDER BY n",
            [blobs]
        )
        #expect((0..<unnested.count).map { unnested.bytes($0, 0) } == blobs)
    }
}
