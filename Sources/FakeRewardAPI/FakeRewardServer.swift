import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
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
/// Served by a plain SwiftNIO HTTP/1.1 pipeline rather than a web framework: `bench rewards` runs it on the same
/// cores as the settler it measures, so its cost per request is kept to parsing, one ledger update and one
/// scheduled write (the latency is a timer on the event loop, not a task per request).
///
/// A `Service`: run it in a task or service group; ``listeningPort(timeout:)`` tells where it listens. Cancelling
/// the task or a graceful shutdown stops it.
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
    private let connections = FakeRewardConnections()
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
        let connections = self.connections
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1_024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // A client that stops sending (half-close) still gets the answer to its last request.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FakeRewardHandler(server: self))
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw FakeRewardServerError(
                description:
                    "the fake reward API cannot listen on \(configuration.host):\(configuration.port): \(error)"
            )
        }
        port.withLock { $0 = listener.localAddress?.port }
        logger.info("fake reward API listening", metadata: ["port": "\(listener.localAddress?.port ?? 0)"])
        do {
            try await withGracefulShutdownHandler {
                try await withTaskCancellationHandler {
                    try await listener.closeFuture.get()
                } onCancel: {
                    listener.close(promise: nil)
                }
            } onGracefulShutdown: {
                listener.close(promise: nil)
            }
        } catch is CancellationError {
            // Cancelling the task is how an embedding program or a test stops the fake: a clean stop.
        }
        // The listener is closed (stopped, or for another reason): leave no connection behind.
        await connections.closeAll()
        port.withLock { $0 = nil }
    }

    // MARK: - Answers (called on the connection's event loop by FakeRewardHandler)

    /// What a finished request gets, once its latency has passed: a status, a JSON body, and how long to hang
    /// before sending it (a timeout or a dropped response).
    struct Answer {
        var status: HTTPResponseStatus
        var body: [UInt8]
        var retryAfterSeconds: Int?
        var hang: Duration = .zero
    }

    /// The request's part of the faults: its latency, rolled when it arrives.
    func delay(for faults: FakeRewardFaults) -> Duration {
        var delay = faults.latency
        if faults.latencyJitter > .zero { delay += faults.latencyJitter * Double.random(in: 0...1) }
        return delay
    }

    /// Routes a complete request; `faults` are those in force when it arrived.
    func answer(_ request: FakeRewardRequest, faults: FakeRewardFaults) -> Answer {
        switch (request.method, request.path) {
        case (.POST, "/v1/points/grants"): return pay(request, kind: .points, faults: faults)
        case (.POST, "/v1/coupons/issues"): return pay(request, kind: .coupon, faults: faults)
        case (.GET, "/v1/ledger/summary"): return Answer(status: .ok, body: Self.summary(ledger.counters))
        case (_, "/v1/points/grants"), (_, "/v1/coupons/issues"), (_, "/v1/ledger/summary"):
            return Self.error(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)")
        default:
            return Self.error(.notFound, "no route \(request.path)")
        }
    }

    private func pay(_ request: FakeRewardRequest, kind: FakeRewardLedger.Payment.Kind, faults: FakeRewardFaults)
        -> Answer
    {
        ledger.count { $0.requests += 1 }
        if faults.down {
            ledger.count { $0.serverErrors += 1 }
            return Self.error(.serviceUnavailable, "down for maintenance")
        }
        let roll = Double.random(in: 0..<1)
        var threshold = faults.timeoutRate
        if roll < threshold {
            ledger.count { $0.timedOut += 1 }
            var answer = Self.error(.gatewayTimeout, "timed out")
            answer.hang = faults.hangDuration
            return answer
        }
        threshold += faults.serverErrorRate
        if roll < threshold {
            ledger.count { $0.serverErrors += 1 }
            return Self.error(.serviceUnavailable, "temporarily unavailable")
        }
        threshold += faults.throttleRate
        if roll < threshold {
            ledger.count { $0.throttled += 1 }
            var answer = Self.error(.tooManyRequests, "slow down")
            answer.retryAfterSeconds = 1
            return answer
        }
        let dropsResponse = roll < threshold + faults.droppedResponseRate

        guard request.bodyTooLarge == false else {
            return refuse(.payloadTooLarge, "body must be at most \(FakeRewardRequest.maximumBody) bytes")
        }
        guard let key = request.idempotencyKey, !key.isEmpty, key.utf8.count <= 255 else {
            return refuse(.badRequest, "Idempotency-Key header is required")
        }
        guard let payload = FakePaymentRequest.decode(request.body),
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
                return refuse(.unprocessableEntity, "coupon group \(value) is closed")
            }
            group = value
        }
        let payment: FakeRewardLedger.Payment
        switch ledger.pay(key: key, kind: kind, memberID: memberID, amount: amount, couponGroupID: group) {
        case .new(let new): payment = new
        case .replayed(let earlier): payment = earlier
        case .conflict: return refuse(.unprocessableEntity, "Idempotency-Key reused for a different request")
        }
        var answer = Answer(status: .ok, body: Self.object("transaction_id", payment.transactionID))
        if dropsResponse {
            ledger.count { $0.dropped += 1 }
            answer.hang = faults.hangDuration
        }
        return answer
    }

    private func refuse(_ status: HTTPResponseStatus, _ message: String) -> Answer {
        ledger.count { $0.refused += 1 }
        return Self.error(status, message)
    }

    private static func error(_ status: HTTPResponseStatus, _ message: String) -> Answer {
        Answer(status: status, body: object("error", message))
    }

    /// `{"<name>": "<value>"}`, escaped (a message may quote what the request sent).
    private static func object(_ name: String, _ value: String) -> [UInt8] {
        var json = JSONText(reservingCapacity: 48 + value.utf8.count)
        json.beginObject()
        json.field(name, value)
        json.endObject()
        return json.utf8
    }

    /// The counters (rarely asked for: `JSONEncoder` with the counters' own coding keys), keys sorted.
    private static func summary(_ counters: FakeRewardLedger.Counters) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(counters)).map { Array($0) } ?? object("error", "unencodable counters")
    }
}

/// The open connections, so a stop can close them rather than leave keep-alive clients attached to a fake that
/// no longer runs.
final class FakeRewardConnections: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var stopped = false
    }

    private let state = Mutex(State())

    /// Registers an accepted connection; one accepted while the server stops is closed at once.
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let accepted = state.withLock { state in
            guard !state.stopped else { return false }
            state.open[id] = channel
            return true
        }
        guard accepted else { return channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in _ = self.state.withLock { $0.open.removeValue(forKey: id) } }
    }

    /// Closes every connection and refuses new ones; returns once they are closed.
    func closeAll() async {
        let channels = state.withLock { state in
            state.stopped = true
            return Array(state.open.values)
        }
        for channel in channels { try? await channel.close() }
    }
}

public struct FakeRewardServerError: Error, CustomStringConvertible {
    public let description: String
}
