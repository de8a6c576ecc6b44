import AsyncHTTPClient
import Domain
import Foundation
import Projections

/// The HTTP client of the external reward APIs (PRODUCT §4), on AsyncHTTPClient: pooled keep-alive connections,
/// a deadline per call, and the reward's idempotency key as `Idempotency-Key` on every attempt.
public final class RewardAPIClient: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Base URL of the points API (`ATTENDANCE_POINTS_API_URL`), e.g. `https://points.internal`.
        public var pointsBaseURL: String
        /// Base URL of the coupons API (`ATTENDANCE_COUPONS_API_URL`).
        public var couponsBaseURL: String
        /// Whole-call deadline; past it the outcome is unknown and the reward is re-driven with the same key.
        /// Default 5 s.
        public var requestTimeout: Duration = .seconds(5)
        /// Default 1 s.
        public var connectTimeout: Duration = .seconds(1)
        /// Keep-alive connections per API host. Default 256.
        public var maxConnectionsPerHost = 256

        public init(pointsBaseURL: String, couponsBaseURL: String) {
            self.pointsBaseURL = pointsBaseURL
            self.couponsBaseURL = couponsBaseURL
        }

        /// Problems with a setting, each naming it; empty when valid.
        public var problems: [String] {
            var problems: [String] = []
            for (name, url) in [("points API URL", pointsBaseURL), ("coupons API URL", couponsBaseURL)] {
                guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
                    parsed.host != nil
                else {
                    problems.append("\(name) \"\(url)\" must be an http(s) URL with a host")
                    continue
                }
            }
            if requestTimeout <= .zero { problems.append("request timeout must be positive") }
            if connectTimeout <= .zero { problems.append("connect timeout must be positive") }
            if maxConnectionsPerHost < 1 { problems.append("connections per host must be at least 1") }
            return problems
        }
    }

    /// What one call returned: the classification, and the HTTP status when a response arrived.
    public struct Answer: Sendable, Hashable {
        public let result: RewardCallResult
        public let httpStatus: Int?
    }

    public let configuration: Configuration
    private let http: HTTPClient

    public init(configuration: Configuration) {
        self.configuration = configuration
        var http = HTTPClient.Configuration()
        // No read timeout: each call's deadline (`requestTimeout`) bounds it whole. An idle-read timer would be
        // scheduled per request and moved on every response part, on the same event loops as the calls.
        http.timeout = .init(connect: .milliseconds(configuration.connectTimeout.wholeMilliseconds))
        http.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnectionsPerHost
        )
        // The service bootstraps no tracer, and the client's default (the global no-op tracer) still builds every
        // request's span attributes: about 3% of a settler's CPU in `bench rewards`.
        http.tracing.tracer = nil
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
    }

    /// Closes the pooled connections. Call once, after the last `pay`.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The API that pays `reward`.
    public static func api(for reward: ClaimedReward) -> RewardCircuitBreakers.API {
        switch reward.payout {
        case .points: .points
        case .coupon: .coupons
        }
    }

    /// One attempt. Throws only `CancellationError` (the settler is stopping: nothing is recorded, and the claim's
    /// lease makes the reward due again).
    public func pay(_ reward: ClaimedReward) async throws -> Answer {
        let url: String
        var body = JSONText(reservingCapacity: 160)
        body.beginObject()
        body.field("member_id", reward.memberID)
        switch reward.payout {
        case .points(let amount):
            url = configuration.pointsBaseURL + "/v1/points/grants"
            body.field("amount", amount)
        case .coupon(let groupID):
            url = configuration.couponsBaseURL + "/v1/coupons/issues"
            body.field("coupon_group_id", groupID)
        }
        body.field("reference", reward.idempotencyKey)
        body.endObject()

        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Idempotency-Key", value: reward.idempotencyKey)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body.utf8)
        do {
            let response = try await http.execute(
                request,
                timeout: .milliseconds(configuration.requestTimeout.wholeMilliseconds)
            )
            let status = Int(response.status.code)
            let bytes = try await response.body.collect(upTo: 64 * 1024)
            let text = String(decoding: bytes.readableBytesView, as: UTF8.self)
            return Answer(
                result: Self.classify(
                    status: status,
                    body: text,
                    retryAfter: response.headers.first(name: "Retry-After")
                ),
                httpStatus: status
            )
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            return Answer(result: Self.classify(error), httpStatus: nil)
        }
    }

    /// PRODUCT §4: 200 with a transaction id pays; 5xx and 429 are retryable; other 4xx are permanent.
    static func classify(status: Int, body: String, retryAfter: String?) -> RewardCallResult {
        switch status {
        case 200..<300:
            guard let receipt = try? receiptDecoder.decode(Receipt.self, from: Data(body.utf8)),
                let transactionID = receipt.transactionID, !transactionID.isEmpty
            else {
                // Paid or not, we cannot tell from this answer: ask again with the same key.
                return .unknown(reason: "HTTP \(status) without a transaction_id")
            }
            return .paid(transactionID: transactionID)
        case 429:
            return .retryable(reason: "HTTP 429", retryAfter: retryAfter.flatMap(Int.init).map { .seconds($0) })
        case 500...:
            return .retryable(reason: "HTTP \(status)", retryAfter: nil)
        default:
            return .rejected(reason: "HTTP \(status): " + String(body.prefix(300)))
        }
    }

    private static let receiptDecoder = JSONDecoder()

    /// The part of a 2xx answer that proves payment.
    private struct Receipt: Decodable {
        let transactionID: String?

        enum CodingKeys: String, CodingKey {
            case transactionID = "transaction_id"
        }
    }

    static func classify(_ error: any Error) -> RewardCallResult {
        if let error = error as? HTTPClientError, error == .connectTimeout {
            return .retryable(reason: "connect timeout", retryAfter: nil)
        }
        let text = String(describing: error)
        // Refused before anything was sent: known not paid.
        if text.localizedCaseInsensitiveContains("connection refused") || text.contains("connectTimeout") {
            return .retryable(reason: String(text.prefix(300)), retryAfter: nil)
        }
        return .unknown(reason: String(text.prefix(300)))
    }
}

extension Duration {
    var wholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
