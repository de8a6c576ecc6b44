/// What one call to a reward API told us, classified by PRODUCT §4.
public enum RewardCallResult: Sendable, Hashable {
    /// 200 with a transaction id: paid (or paid earlier under the same key).
    case paid(transactionID: String)
    /// A 4xx other than 429: the API will never pay this request.
    case rejected(reason: String)
    /// 5xx, 429 or a connection refused before the request was sent: known not paid, try again.
    case retryable(reason: String, retryAfter: Duration?)
    /// A timeout or a response lost after the request went out: maybe paid. Re-driven with the same key, so the
    /// API's answer to the next attempt reconciles it; never guessed either way.
    case unknown(reason: String)

    /// The `outcome` column of `event_attendance_reward_attempt`.
    public var outcomeName: String {
        switch self {
        case .paid: "PAID"
        case .rejected: "REJECTED"
        case .retryable: "RETRYABLE"
        case .unknown: "UNKNOWN"
        }
    }

    public var reason: String? {
        switch self {
        case .paid: nil
        case .rejected(let reason), .retryable(let reason, _), .unknown(let reason): reason
        }
    }
}
