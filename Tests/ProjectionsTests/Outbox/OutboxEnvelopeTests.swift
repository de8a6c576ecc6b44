import Testing

@testable import Projections

/// The bytes a batch writes into the write-ahead log for the relay: one envelope holding every message of the
/// transaction, read back in order, with what an earlier release wrote still readable.
@Suite(.timeLimit(.minutes(1)))
struct OutboxEnvelopeTests {
    static let fact = OutboxMessage(
        topic: "attendance.events.v1",
        key: Array("1:2".utf8),
        payload: nil,
        headers: [
            MessageHeader(name: "traceparent", value: Array("00-abc".utf8)),
            MessageHeader(name: "empty", value: nil),
            MessageHeader(name: "binary", value: [0, 0xFF]),
        ]
    )
    static let command = OutboxMessage(
        topic: "attendance.reward-commands.v1",
        key: nil,
        payload: Array(#"{"amount":100}"#.utf8),
        headers: []
    )

    @Test func aBatchRoundTripsInOrder() throws {
        let messages = [Self.fact, Self.command, Self.fact]
        #expect(try OutboxEnvelope.decode(OutboxEnvelope.encode(messages)) == messages)
        #expect(try OutboxEnvelope.decode(OutboxEnvelope.encode([])) == [])
    }

    @Test func aSingleMessageOfThePreviousReleaseIsStillRead() throws {
        // Version 1, as the previous release wrote one envelope per message: no count.
        let topic = Array(Self.command.topic.utf8)
        let payload = Self.command.payload ?? []
        var bytes: [UInt8] = [1, 0, UInt8(topic.count)] + topic
        bytes += [0xFF, 0xFF, 0xFF, 0xFF]  // null key
        bytes += [0, 0, 0, UInt8(payload.count)] + payload
        bytes += [0, 0]  // no headers
        #expect(try OutboxEnvelope.decode(bytes) == [Self.command])
    }

    @Test func damageIsRefusedWithoutReadingPastTheEnd() {
        let bytes = OutboxEnvelope.encode([Self.fact, Self.command])
        let damages: [[UInt8]] = [
            Array(bytes.dropLast()),  // truncated
            bytes + [0],  // trailing byte
            [9] + bytes.dropFirst(),  // unknown version
            [],  // nothing
            [2, 0xFF, 0xFF, 0xFF, 0xFF],  // a count no body could hold
            [2, 0, 0, 0, 3] + bytes.dropFirst(5),  // more messages claimed than written
        ]
        for damaged in damages {
            #expect(throws: OutboxEnvelope.Malformed.self) { try OutboxEnvelope.decode(damaged) }
        }
    }
}
