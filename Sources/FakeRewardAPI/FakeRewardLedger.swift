import Synchronization

/// What the fake reward API paid: one entry per idempotency key, the first request's transaction id, and how
/// many requests carried the key. Tests read it to prove "paid once per key".
public final class FakeRewardLedger: Sendable {
    /// One payment.
    public struct Payment: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            case points = "POINTS"
            case coupon = "COUPON"
        }

        public let idempotencyKey: String
        public let transactionID: String
        public let kind: Kind
        public let memberID: Int64
        /// Points granted (0 for a coupon).
        public let amount: Int64
        /// The coupon group (nil for points).
        public let couponGroupID: String?
        /// Requests that carried this key (1 + replays answered from the ledger).
        public var requests: Int
    }

    /// Requests per answer, for the fake's own summary (`GET /v1/ledger/summary`, snake_case keys) and the tests.
    public struct Counters: Sendable, Hashable, Codable {
        public var requests = 0
        public var paid = 0
        public var replayed = 0
        public var serverErrors = 0
        public var throttled = 0
        public var timedOut = 0
        public var dropped = 0
        public var refused = 0

        enum CodingKeys: String, CodingKey {
            case requests, paid, replayed
            case serverErrors = "server_errors"
            case throttled
            case timedOut = "timed_out"
            case dropped, refused
        }
    }

    private struct State {
        var payments: [String: Payment] = [:]
        var order: [String] = []
        var counters = Counters()
        var nextTransaction = 1
    }

    private let state = Mutex(State())
    private let prefix: String

    public init(transactionPrefix: String = "tx") {
        self.prefix = transactionPrefix
    }

    public enum Entry: Sendable {
        case new(Payment)
        case replayed(Payment)
        /// The key was used before for a different request.
        case conflict
    }

    /// Pays once per key: a key seen before returns its first payment (if the request matches it).
    func pay(key: String, kind: Payment.Kind, memberID: Int64, amount: Int64, couponGroupID: String?) -> Entry {
        state.withLock { state in
            if var existing = state.payments[key] {
                guard existing.kind == kind, existing.memberID == memberID, existing.amount == amount,
                    existing.couponGroupID == couponGroupID
                else { return .conflict }
                existing.requests += 1
                state.payments[key] = existing
                state.counters.replayed += 1
                return .replayed(existing)
            }
            let payment = Payment(
                idempotencyKey: key,
                transactionID: "\(prefix)-\(kind == .points ? "p" : "c")-\(state.nextTransaction)",
                kind: kind,
                memberID: memberID,
                amount: amount,
                couponGroupID: couponGroupID,
                requests: 1
            )
            state.nextTransaction += 1
            state.payments[key] = payment
            state.order.append(key)
            state.counters.paid += 1
            return .new(payment)
        }
    }

    func count(_ update: (inout Counters) -> Void) {
        state.withLock { update(&$0.counters) }
    }

    /// Every payment, in the order they were made.
    public var payments: [Payment] {
        state.withLock { state in state.order.compactMap { state.payments[$0] } }
    }

    public func payment(for key: String) -> Payment? {
        state.withLock { $0.payments[key] }
    }

    /// Distinct keys paid (each key pays once by construction; `payments.count` is the same number).
    public var paidCount: Int { state.withLock { $0.order.count } }

    public var totalPoints: Int64 {
        state.withLock { state in state.payments.values.reduce(0) { $0 + $1.amount } }
    }

    public var counters: Counters { state.withLock { $0.counters } }
}
