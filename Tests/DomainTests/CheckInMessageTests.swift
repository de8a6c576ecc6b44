import Testing

@testable import Domain

@Suite(.timeLimit(.minutes(1)))
struct CheckInMessageTests {
    typealias Code = MalformedCheckIn.Code

    static let key = "42:1001"
    static let valid =
        #"{"request_id":"req-1","event_id":42,"member_id":1001,"requested_at":"2026-11-24T09:15:00+09:00","channel":"APP"}"#

    static func value(
        eventID: String = "42",
        memberID: String = "1001",
        requestID: String = #""req-1""#,
        extra: String = ""
    ) -> String {
        #"{"event_id":\#(eventID),"member_id":\#(memberID),"request_id":\#(requestID),"requested_at":"2026-11-24T09:15:00+09:00"\#(extra)}"#
    }

    static func parse(key: String?, value: String?) -> Result<CheckInRequest, MalformedCheckIn> {
        CheckInMessage.parse(key: key.map { Array($0.utf8) }, value: value.map { Array($0.utf8) })
    }

    /// A case of the malformed table: raw bytes so invalid UTF-8 can be expressed.
    struct Malformed: CustomStringConvertible, Sendable {
        let name: String
        let key: [UInt8]?
        let value: [UInt8]?
        let code: Code

        init(_ name: String, key: String? = CheckInMessageTests.key, value: String?, _ code: Code) {
            self.init(name, key: key.map { Array($0.utf8) }, bytes: value.map { Array($0.utf8) }, code)
        }

        init(_ name: String, key: [UInt8]?, bytes: [UInt8]?, _ code: Code) {
            self.name = name
            self.key = key
            self.value = bytes
            self.code = code
        }

        var description: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed("no key", key: nil, value: valid, .missingKey),
        Malformed("empty key", key: "", value: valid, .missingKey),
        Malformed("key without colon", key: "421001", value: valid, .invalidKey),
        Malformed("key with sign", key: "+42:1001", value: valid, .invalidKey),
        Malformed("key with leading zero", key: "042:1001", value: valid, .invalidKey),
        Malformed("key with space", key: "42: 1001", value: valid, .invalidKey),
        Malformed("key with zero member", key: "42:0", value: valid, .invalidKey),
        Malformed("key with three parts", key: "42:1001:7", value: valid, .invalidKey),
        Malformed("key beyond Int64", key: "9223372036854775808:1", value: valid, .invalidKey),
        Malformed("key not UTF-8", key: [0x34, 0x32, 0x3A, 0xFF], bytes: Array(valid.utf8), .invalidKey),
        Malformed("no value", value: nil, .notJSON),
        Malformed("empty value", value: "", .notJSON),
        Malformed("not JSON", value: "hello", .notJSON),
        Malformed("truncated JSON", value: #"{"event_id":42,"#, .notJSON),
        Malformed("trailing garbage", value: valid + "x", .notJSON),
        Malformed("NaN token", value: value(eventID: "NaN"), .notJSON),
        Malformed("Infinity token", value: value(eventID: "Infinity"), .notJSON),
        Malformed("leading zero number", value: value(eventID: "042"), .notJSON),
        Malformed("single quotes", value: "{'event_id':42}", .notJSON),
        Malformed(
            "invalid UTF-8 in a string",
            key: Array(key.utf8),
            bytes: Array(#"{"x":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8),
            .notJSON
        ),
        Malformed("lone surrogate escape", value: value(extra: #","x":"\ud800""#), .notJSON),
        Malformed("raw control character", value: value(extra: ",\"x\":\"a\u{01}b\""), .notJSON),
        Malformed(
            "10,000-deep nesting",
            value: value(
                extra: ",\"x\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            ),
            .notJSON
        ),
        Malformed("array", value: "[1,2,3]", .notObject),
        Malformed("string", value: "\"42:1001\"", .notObject),
        Malformed("number", value: "42", .notObject),
        Malformed("null", value: "null", .notObject),
        Malformed("missing event_id", value: #"{"member_id":1001,"request_id":"r"}"#, .missingField),
        Malformed("missing member_id", value: #"{"event_id":42,"request_id":"r"}"#, .missingField),
        Malformed("missing request_id", value: #"{"event_id":42,"member_id":1001}"#, .missingField),
        Malformed("event_id 1.0", value: value(eventID: "1.0"), .wrongType),
        Malformed("event_id 1e3", value: value(eventID: "1e3"), .wrongType),
        Malformed("event_id \"42\"", value: value(eventID: "\"42\""), .wrongType),
        Malformed("event_id true", value: value(eventID: "true"), .wrongType),
        Malformed("event_id null", value: value(eventID: "null"), .wrongType),
        Malformed("member_id object", value: value(memberID: "{}"), .wrongType),
        Malformed("request_id number", value: value(requestID: "5"), .wrongType),
        Malformed("event_id negative", value: value(eventID: "-42"), .outOfRange),
        Malformed("event_id zero", value: value(eventID: "0"), .outOfRange),
        Malformed("member_id 2^63", value: value(memberID: "9223372036854775808"), .outOfRange),
        Malformed("member_id huge", value: value(memberID: String(repeating: "9", count: 400)), .outOfRange),
        Malformed("event_id differs from key", value: value(eventID: "43"), .keyMismatch),
        Malformed("member_id differs from key", value: value(memberID: "1002"), .keyMismatch),
        Malformed("request_id empty", value: value(requestID: #""""#), .invalidRequestID),
        Malformed(
            "request_id 65 chars",
            value: value(requestID: "\"\(String(repeating: "r", count: 65))\""),
            .invalidRequestID
        ),
        Malformed("request_id with space", value: value(requestID: #""req 1""#), .invalidRequestID),
        Malformed("request_id non-ASCII", value: value(requestID: #""req-é""#), .invalidRequestID),
        Malformed("request_id with tab escape", value: value(requestID: #""req\t1""#), .invalidRequestID),
        Malformed(
            "value over 64 KiB",
            value: value(extra: ",\"pad\":\"\(String(repeating: "a", count: CheckInMessage.maximumValueBytes))\""),
            .tooLarge
        ),
    ]

    @Test("malformed messages are refused with their code", arguments: malformed)
    func malformedMessages(testCase: Malformed) throws {
        let result = CheckInMessage.parse(key: testCase.key, value: testCase.value)
        guard case .failure(let error) = result else {
            Issue.record("expected \(testCase.code.rawValue), got \(result)")
            return
        }
        #expect(error.code == testCase.code)
        #expect(!error.detail.isEmpty)
        #expect(error.detail.utf8.count <= 120, "details must not echo the payload")
        #expect(error.description.hasPrefix(testCase.code.rawValue + ": "))
    }

    @Test("every malformed code is reachable")
    func everyCodeCovered() {
        #expect(Set(Self.malformed.map(\.code)) == Set(Code.allCases))
    }

    @Test(
        "requests with a bad requested_at or channel are INVALID_REQUEST, not dead letters",
        arguments: [
            (#"{"event_id":42,"member_id":1001,"request_id":"r"}"#, "requested_at: missing"),
            (#"{"event_id":42,"member_id":1001,"request_id":"r","requested_at":null}"#, "requested_at: missing"),
            (
                #"{"event_id":42,"member_id":1001,"request_id":"r","requested_at":"2026-11-24T09:15:00"}"#,
                "requested_at: not RFC 3339 with an offset"
            ),
            (
                #"{"event_id":42,"member_id":1001,"request_id":"r","requested_at":1795479300}"#,
                "requested_at: must be a string, got an integer"
            ),
            (
                value(extra: #","channel":"\#(String(repeating: "C", count: 33))""#),
                "channel: longer than 32 characters"
            ),
            (value(extra: #","channel":7"#), "channel: must be a string, got an integer"),
            (value(extra: #","channel":"a\u0000b""#), "channel: contains a control character"),
            (value(extra: #","channel":"line\nbreak""#), "channel: contains a control character"),
        ]
    )
    func invalidRequests(value: String, reason: String) throws {
        let request = try Self.parse(key: Self.key, value: value).get()
        #expect(request.invalidReason == reason)
        #expect(request.eventID == 42)
        #expect(request.memberID == 1001)
        #expect(request.channel == nil)
    }

    @Test("a valid message, with unknown fields ignored")
    func validMessage() throws {
        let value = #"""
            { "schema": {"v": [1, {"deep": [true, null, -1.5e-3]}]}, "request_id": "8d0f-A_b.c~!",
              "event_id": 42, "member_id": 1001, "requested_at": "2026-11-24T09:15:00.123+09:00",
              "channel": "APP", "note": "caf\u00e9 \ud83d\ude00 ☕" }
            """#
        let request = try Self.parse(key: Self.key, value: value).get()
        #expect(
            request
                == CheckInRequest(
                    eventID: 42,
                    memberID: 1001,
                    requestID: "8d0f-A_b.c~!",
                    requestedAt: timestamp("2026-11-24T00:15:00.123Z"),
                    channel: "APP",
                    invalidReason: nil,
                    traceParent: nil
                )
        )
    }

    @Test("edge values that are valid")
    func validEdges() throws {
        let maxID = "9223372036854775807"
        let request = try Self.parse(
            key: "\(maxID):\(maxID)",
            value: Self.value(
                eventID: maxID,
                memberID: maxID,
                requestID: "\"\(String(repeating: "~", count: 64))\"",
                extra: #","channel":"\#(String(repeating: "채", count: 32))""#
            )
        ).get()
        #expect(request.eventID == .max)
        #expect(request.memberID == .max)
        #expect(request.requestID.count == 64)
        #expect(request.channel?.count == 32)
        #expect(request.invalidReason == nil)

        // Escaped key names and a channel of null are fine; the last of duplicated fields wins.
        let escaped =
            #"{"event\u005fid":1,"event_id":42,"member_id":1001,"request_id":"r","requested_at":"2026-11-24T00:00:00Z","channel":null}"#
        let second = try Self.parse(key: Self.key, value: escaped).get()
        #expect(second.eventID == 42)
        #expect(second.channel == nil)
        #expect(second.invalidReason == nil)

        // Exactly the size limit is still parsed.
        let unpadded = Self.value(extra: #","pad":"""#).utf8.count
        let pad = String(repeating: "a", count: CheckInMessage.maximumValueBytes - unpadded)
        let padded = Self.value(extra: #","pad":"\#(pad)""#)
        #expect(padded.utf8.count == CheckInMessage.maximumValueBytes)
        #expect(throws: Never.self) { try Self.parse(key: Self.key, value: padded).get() }
    }

    @Test("every truncation of a valid message is NOT_JSON, never a crash or a partial request")
    func truncations() {
        let bytes = Array(Self.valid.utf8)
        for length in 0..<bytes.count {
            let result = CheckInMessage.parse(key: Array(Self.key.utf8), value: Array(bytes[..<length]))
            guard case .failure(let error) = result else {
                Issue.record("prefix of \(length) bytes parsed: \(result)")
                continue
            }
            #expect(error.code == .notJSON, "prefix of \(length) bytes")
        }
    }

    @Test("parsing keeps up with the consumer (rough loop; numbers are not asserted)")
    func throughputSmoke() throws {
        let key = Array(Self.key.utf8)
        let value = Array(Self.valid.utf8)
        var parsed = 0
        for _ in 0..<2_000 {
            if case .success = CheckInMessage.parse(key: key, value: value) { parsed += 1 }
        }
        #expect(parsed == 2_000)
    }
}
