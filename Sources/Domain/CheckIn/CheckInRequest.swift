/// A check-in request whose identity (event, member, request id) is usable, so it gets a log row.
///
/// Problems with the rest of the message do not make it a dead letter: they are carried in
/// ``invalidReason`` and decided as `INVALID_REQUEST` (PRODUCT §3).
public struct CheckInRequest: Hashable, Sendable {
    public let eventID: Int64
    public let memberID: Int64
    public let requestID: String
    /// `nil` when the message had no usable `requested_at`.
    public let requestedAt: Timestamp?
    public let channel: String?
    /// Non-nil makes the request `INVALID_REQUEST`; names the field, e.g.
    /// `requested_at: not RFC 3339 with an offset`.
    public let invalidReason: String?
    /// W3C `traceparent` of the message, passed through for tracing; parsing leaves it `nil`.
    public let traceParent: String?

    public init(
        eventID: Int64,
        memberID: Int64,
        requestID: String,
        requestedAt: Timestamp?,
        channel: String? = nil,
        invalidReason: String? = nil,
        traceParent: String? = nil
    ) {
        self.eventID = eventID
        self.memberID = memberID
        self.requestID = requestID
        self.requestedAt = requestedAt
        self.channel = channel
        self.invalidReason = invalidReason
        self.traceParent = traceParent
    }
}
