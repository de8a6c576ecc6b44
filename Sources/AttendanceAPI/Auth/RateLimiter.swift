import Synchronization

/// A token bucket per client (the token's subject): `rate` requests per second on average, bursts of `burst`.
///
/// Per instance: behind a load balancer with n instances a client gets up to n times the rate, which is the usual
/// trade for not sharing state between instances. Buckets idle for a minute are dropped, so memory follows the
/// active clients.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let rate: Double
    private let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    /// `rate` ≤ 0 turns the limit off.
    public init(ratePerSecond: Double, burst: Int) {
        self.rate = ratePerSecond
        self.burst = Double(max(1, burst))
    }

    /// Takes one token; returns the whole seconds to wait when there is none.
    public func admit(_ client: String) -> Int? {
        guard rate > 0 else { return nil }
        let now = clock.now
        return buckets.withLock { buckets in
            if buckets.count > 100_000 {
                buckets = buckets.filter { now - $0.value.updated < .seconds(60) }
            }
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.updated = now
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else {
                return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }
}
