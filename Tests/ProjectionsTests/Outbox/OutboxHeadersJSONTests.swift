import Testing

@testable import Projections

/// Outbox headers are stored as JSONB and read back for every relayed message.
@Suite(.timeLimit(.minutes(1)))
struct OutboxHeadersJSONTests {
    @Test func headersRoundTripThroughTheirStoredForm() {
        let message = OutboxMessage(
            topic: "t",
            key: nil,
            payload: nil,
            headers: [
                MessageHeader(name: "dlq.reason", value: Array("BAD_JSON".utf8)),
                MessageHeader(name: "binary", value: [0x00, 0xFF, 0x0A]),
                MessageHeader(name: "empty", value: nil),
            ]
        )
        #expect(message.headersJSON == #"[["dlq.reason","4241445f4a534f4e"],["binary","00ff0a"],["empty",null]]"#)
        #expect(OutboxMessage.decodeHeaders(message.headersJSON) == message.headers)
    }

    @Test func readsPostgresSpacingAndSkipsWhatIsNotAPair() {
        let headers = OutboxMessage.decodeHeaders(#"[["a", "6869"], ["b", null], ["c"], [1, "00"]]"#)
        #expect(headers == [MessageHeader(name: "a", value: Array("hi".utf8)), MessageHeader(name: "b", value: nil)])
        #expect(OutboxMessage.decodeHeaders("not json").isEmpty)
        #expect(OutboxMessage.decodeHeaders(#"{"a":"b"}"#).isEmpty)
    }
}
