import Testing

@testable import Projections

/// The replication protocol bytes the relay reads, built by hand from the Postgres manual's message formats.
@Suite(.timeLimit(.minutes(1)))
struct PgOutputDecoderTests {
    static func be<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    static func xLogData(_ body: [UInt8], walEnd: UInt64 = 0x10) -> [UInt8] {
        [UInt8(ascii: "w")] + be(UInt64(1)) + be(walEnd) + be(UInt64(0)) + body
    }

    static let begin = [UInt8(ascii: "B")] + be(UInt64(0x1_0000_0200)) + be(UInt64(7)) + be(UInt32(731))
    static let message =
        [UInt8(ascii: "M"), 1] + be(UInt64(0x1_0000_0100)) + Array("attendance:s".utf8) + [0] + be(UInt32(3))
        + [0, 0xFF, 7]
    static let commit =
        [UInt8(ascii: "C"), 0] + be(UInt64(0x1_0000_0200)) + be(UInt64(0x1_0000_0230)) + be(UInt64(9))

    @Test func decodesBeginMessageCommitInsideXLogData() throws {
        #expect(
            try PgOutputDecoder.decode(Self.xLogData(Self.begin))
                == .begin(finalLSN: LogSequenceNumber(value: 0x1_0000_0200), xid: 731)
        )
        #expect(
            try PgOutputDecoder.decode(Self.xLogData(Self.message))
                == .message(
                    LogicalDecodingMessage(
                        transactional: true,
                        lsn: LogSequenceNumber(value: 0x1_0000_0100),
                        prefix: "attendance:s",
                        content: [0, 0xFF, 7]
                    )
                )
        )
        #expect(
            try PgOutputDecoder.decode(Self.xLogData(Self.commit))
                == .commit(
                    commitLSN: LogSequenceNumber(value: 0x1_0000_0200),
                    endLSN: LogSequenceNumber(value: 0x1_0000_0230)
                )
        )
    }

    @Test func decodesKeepalivesAndIgnoresTableChanges() throws {
        let keepalive = [UInt8(ascii: "k")] + Self.be(UInt64(0x2A)) + Self.be(UInt64(0)) + [1]
        #expect(
            try PgOutputDecoder.decode(keepalive)
                == .keepalive(walEnd: LogSequenceNumber(value: 0x2A), replyRequested: true)
        )
        let relation = [UInt8(ascii: "R")] + Self.be(UInt32(16384)) + Array("public\0t\0".utf8)
        #expect(
            try PgOutputDecoder.decode(Self.xLogData(relation, walEnd: 99))
                == .ignored(walEnd: LogSequenceNumber(value: 99))
        )
    }

    @Test func theBarePgOutputFormOfPeekedChanges() throws {
        guard case .message(let message) = try PgOutputDecoder.decodePgOutput(Self.message) else {
            Issue.record("not a message")
            return
        }
        #expect(message.prefix == "attendance:s")
    }

    @Test(arguments: [
        [UInt8](),
        [UInt8(ascii: "x")],
        [UInt8(ascii: "k"), 0, 0],
        xLogData([UInt8(ascii: "B"), 0, 0]),
        xLogData(Array(message.dropLast(2))),  // content shorter than its length
        xLogData([UInt8(ascii: "M"), 1] + be(UInt64(1)) + Array("no terminator".utf8)),
        xLogData(Array(commit.prefix(10))),
    ])
    func truncatedOrUnknownInputThrows(_ bytes: [UInt8]) {
        #expect(throws: PostgresError.self) { try PgOutputDecoder.decode(bytes) }
    }

    @Test func logSequenceNumbersReadAndWriteTheirTextForm() {
        #expect(LogSequenceNumber("16/B374D848")?.value == 0x16_B374_D848)
        #expect(LogSequenceNumber(value: 0x16_B374_D848).description == "16/B374D848")
        #expect(LogSequenceNumber("0/0") == .zero)
        for bad in ["", "16", "16/", "/1", "x/1", "123456789/0", "1/2/3", "+1/0", "1/-0", " 1/0"] {
            #expect(LogSequenceNumber(bad) == nil, "\(bad)")
        }
        #expect(LogSequenceNumber("1/0")! > LogSequenceNumber("0/FFFFFFFF")!)
    }
}
