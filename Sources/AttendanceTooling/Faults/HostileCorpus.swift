import CommandSupport

/// Messages that must never crash a consumer, stall a partition or reach a table: at least one of every kind
/// the fault suite promises (not JSON, invalid UTF-8, huge, deeply nested, wrong types, overflowing numbers,
/// SQL-looking strings, unknown events, far-future and far-past timestamps), varied by a seeded generator.
/// Some are dead letters (no usable ids), others are well-formed requests that must fail with a reason.
struct HostileCorpus {
    enum Expectation { case deadLetter, logged }

    struct Message {
        let key: [UInt8]?
        let value: [UInt8]
        let expectation: Expectation
    }

    static let kinds = 12

    /// The `index`-th hostile message (kinds rotate; ids are unique per index so logged ones never collide).
    static func message(_ index: Int, random: inout SplitMix64) -> Message {
        let member = Int64(900_000 + index)
        let key = Array("1:\(member)".utf8)
        switch index % kinds {
        case 0:
            return Message(key: key, value: Array("{not json \(index)".utf8), expectation: .deadLetter)
        case 1:
            var bytes = Array(#"{"request_id":"h\#(index)","event_id":1,"member_id":\#(member),"x":""#.utf8)
            bytes += [0xC3, 0x28, 0xFF, 0xFE]
            bytes += Array("\"}".utf8)
            return Message(key: key, value: bytes, expectation: .deadLetter)
        case 2:
            return Message(
                key: key,
                value: Array(repeating: UInt8(ascii: "a"), count: 70_000 + Int(random.next() % 1_000)),
                expectation: .deadLetter
            )
        case 3:
            let depth = 1_000 + Int(random.next() % 9_000)
            return Message(
                key: key,
                value: Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8),
                expectation: .deadLetter
            )
        case 4:
            return Message(
                key: key,
                value: Array(#"{"request_id":"h\#(index)","event_id":"1","member_id":\#(member)}"#.utf8),
                expectation: .deadLetter
            )
        case 5:
            return Message(
                key: key,
                value: Array(#"{"request_id":"h\#(index)","event_id":1,"member_id":99999999999999999999999}"#.utf8),
                expectation: .deadLetter
            )
        case 6:
            return Message(
                key: key,
                value: Array(
                    #"{"request_id":"h\#(index)';DROP/**/TABLE/**/event_attendance_log;--","event_id":1,"member_id":\#(member),"requested_at":"2026-01-01T00:00:00Z","channel":"x' OR '1'='1'; DROP TABLE x;--"}"#
                        .utf8
                ),
                expectation: .logged
            )
        case 7:
            let unknownEvent = Int64(8_000_000 + index)
            return Message(
                key: Array("\(unknownEvent):\(member)".utf8),
                value: Array(
                    #"{"request_id":"h\#(index)","event_id":\#(unknownEvent),"member_id":\#(member),"requested_at":"2026-01-01T00:00:00Z"}"#
                        .utf8
                ),
                expectation: .logged
            )
        case 8:
            return Message(
                key: key,
                value: Array(
                    #"{"request_id":"h\#(index)","event_id":1,"member_id":\#(member),"requested_at":"9999-12-31T23:59:59+14:00"}"#
                        .utf8
                ),
                expectation: .logged
            )
        case 9:
            return Message(
                key: key,
                value: Array(
                    #"{"request_id":"h\#(index)","event_id":1,"member_id":\#(member),"requested_at":"0001-01-01T00:00:00-12:00"}"#
                        .utf8
                ),
                expectation: .logged
            )
        case 10:
            return Message(
                key: key,
                value: Array(
                    #"{"request_id":"h\#(index)","event_id":1,"member_id":\#(member),"requested_at":"2026-01-01T00:00:00Z","channel":"x\u0000y"}"#
                        .utf8
                ),
                expectation: .logged
            )
        default:
            return Message(
                key: nil,
                value: Array(#"{"request_id":"h\#(index)","event_id":1,"member_id":1}"#.utf8),
                expectation: .deadLetter
            )
        }
    }
}
