import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// The bundled fake of the external reward APIs (PRODUCT §4), over real HTTP:
///
/// - `POST /v1/points/grants`  `{"member_id", "amount", "reference"}` → 200 `{"transaction_id"}`
/// - `POST /v1/coupons/issues` `{"member_id", "coupon_group_id", "reference"}` → 200 `{"transaction_id"}`
///
/// Both honour `Idempotency-Key` (same key → same transaction id, paid once; a key reused for a different request
/// → 422), and inject the faults of ``FakeRewardFaults``, which can be changed while it runs (an outage for a
/// circuit-breaker test). `GET /v1/ledger/summary` shows the counters.
///
/// A `Service`: run it in a task or service group; ``listeningPort(timeout:)`` tells where it listens.
public final class FakeRewardServer: Service, Sendable {
    public struct Configuration: Sendable {
        /// Default 127.0.0.1.
        public var host = "127.0.0.1"
        /// 0 picks a free port (see ``FakeRewardServer/listeningPort(timeout:)``).
        public var port = 0
        public var faults = FakeRewardFaults()

        public init(host: String = "127.0.0.1", port: Int = 0, faults: FakeRewardFaults = FakeRewardFaults()) {
            self.host = host
            self.port = port
            self.faults = faults
        }
    }

    public let configuration: Configuration
    public let ledger = FakeRewardLedger()
    private let faultState: Mutex<FakeRewardFaults>
    private let port = Mutex<Int?>(nil)
    private let logger: Logger

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "fake-reward-api")) {
        self.configuration = configuration
        self.faultState = Mutex(configuration.faults)
        self.logger = logger
    }

    /// The faults in force now.
    public var faults: FakeRewardFaults {
        get { faultState.withLock { $0 } }
        set { faultState.withLock { $0 = newValue } }
    }

    public func updateFaults(_ change: (inout FakeRewardFaults) -> Void) {
        faultState.withLock { change(&$0) }
    }

    /// `http://host:port` once listening, e.g. for `ATTENDANCE_POINTS_API_URL`.
    public func baseURL(timeout: Duration = .seconds(10)) async throws -> String {
        "http://\(configuration.host):\(try await listeningPort(timeout: timeout))"
    }

    public func listeningPort(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let port = port.withLock({ $0 }) { return port }
            guard ContinuousClock.now < deadline else {
                throw FakeRewardServerError(
                    description: "the fake reward API did not start listening within \(timeout)"
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func run() async throws {
        let router = Router()
        router.post("/v1/points/grants") { request, _ in try await self.handle(request, kind: .points) }
        router.post("/v1/coupons/issues") { request, _ in try await self.handle(request, kind: .coupon) }
        router.get("/v1/ledger/summary") { _, _ in
            Self.json(.ok, self.ledger.counters)
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                self.port.withLock { $0 = channel.localAddress?.port }
            },
            logger: quiet
        )
        do {
            try await app.run()
        } catch is CancellationError {
            // Cancelling the task is how an embedding program or a test stops the fake: a clean stop.
        }
    }

    private func handle(_ request: Request, kind: FakeRewardLedger.Payment.Kind) async throws -> Response {
        ledger.count { $0.requests += 1 }
        let faults = self.faults
        var delay = faults.latency
        if faults.latencyJitter > .zero { delay += faults.latencyJitter * Double.random(in: 0...1) }
        if delay > .zero { try await Task.sleep(for: delay) }
        if faults.down {
            ledger.count { $0.serverErrors += 1 }
            return Self.json(.serviceUnavailable, #"{"error":"down for maintenance"}"#)
        }
        let roll = Double.random(in: 0..<1)
        var threshold = faults.timeoutRate
        if roll < threshold {
            ledger.count { $0.timedOut += 1 }
            try await Task.sleep(for: faults.hangDuration)
            return Self.json(.gatewayTimeout, #"{"error":"timed out"}"#)
        }
        threshold += faults.serverErrorRate
        if roll < threshold {
            ledger.count { $0.serverErrors += 1 }
            return Self.json(.serviceUnavailable, ["error": "temporarily unavailable"])
        }
        threshold += faults.throttleRate
        if roll < threshold {
            ledger.count { $0.throttled += 1 }
            var response = Self.json(.tooManyRequests, ["error": "slow down"])
            response.headers[.retryAfter] = "1"
            return response
        }
        let dropsResponse = roll < threshold + faults.droppedResponseRate

        guard let key = request.headers.first(where: { $0.name.canonicalName == "idempotency-key" })?.value,
            !key.isEmpty, key.utf8.count <= 255
        else { return refuse(.badRequest, "Idempotency-Key header is required") }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let payload = try? JSONDecoder().decode(FakePaymentRequest.self, from: Data(buffer: body)),
            let memberID = payload.memberID, memberID > 0,
            let reference = payload.reference
        else { return refuse(.badRequest, "body must be JSON with member_id and reference") }
        guard reference == key else { return refuse(.badRequest, "reference must equal the Idempotency-Key") }
        if faults.refusedMembers.contains(memberID) { return refuse(.forbidden, "member \(memberID) is not eligible") }
        var amount: Int64 = 0
        var group: String?
        switch kind {
        case .points:
            guard let value = payload.amount, value > 0 else {
                return refuse(.badRequest, "amount must be a positive integer")
            }
            amount = value
        case .coupon:
            guard let value = payload.couponGroupID, !value.isEmpty else {
                return refuse(.badRequest, "coupon_group_id is required")
            }
            if faults.closedCouponGroups.contains(value) {
                return refuse(.unprocessableContent, "coupon group \(value) is closed")
            }
            group = value
        }
        let payment: FakeRewardLedger.Payment
        switch ledger.pay(key: key, kind: kind, memberID: memberID, amount: amount, couponGroupID: group) {
        case .new(let new): payment = new
        case .replayed(let earlier): payment = earlier
        case .conflict: return refuse(.unprocessableContent, "Idempotency-Key reused for a different request")
        }
        if dropsResponse {
            ledger.count { $0.dropped += 1 }
            try await Task.sleep(for: faults.hangDuration)
        }
        return Self.json(.ok, ["transaction_id": payment.transactionID])
    }

    private func refuse(_ status: HTTPResponse.Status, _ message: String) -> Response {
        ledger.count { $0.refused += 1 }
        return Self.json(status, ["error": message])
    }

    /// Encoded with `JSONEncoder` (a message may quote what the request sent); keys sorted so answers are stable.
    private static func json(_ status: HTTPResponse.Status, _ body: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data(#"{"error":"unencodable answer"}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

public struct FakeRewardServerError: Error, CustomStringConvertible {
    public let description: String
}
