import AsyncHTTPClient
import FakeRewardAPI
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The bundled fake of the reward APIs over real HTTP: what the settler tests and `bench rewards` rely on it to do.
@Suite("Fake reward API", .timeLimit(.minutes(2)))
struct FakeRewardServerTests {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var json: [String: Any]
        var error: String { json["error"] as? String ?? "" }
    }

    static func call(
        _ base: String,
        _ path: String,
        method: HTTPMethod = .POST,
        key: String? = nil,
        body: String = "",
        timeout: Duration = .seconds(10)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        if !body.isEmpty {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: TimeAmount(timeout))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: headers, json: json)
    }

    static func grant(_ member: Int, _ amount: Int, _ key: String) -> String {
        #"{"member_id": \#(member), "amount": \#(amount), "reference": "\#(key)"}"#
    }

    @Test func theSameKeyPaysOnceAndAnswersTheFirstTransactionAgain() async throws {
        try await withFakeRewardAPI { fake, url in
            let first = try await Self.call(
                url,
                "/v1/points/grants",
                key: "att:1:7:2026-01-01:DAILY",
                body: Self.grant(7, 100, "att:1:7:2026-01-01:DAILY")
            )
            let again = try await Self.call(
                url,
                "/v1/points/grants",
                key: "att:1:7:2026-01-01:DAILY",
                body: Self.grant(7, 100, "att:1:7:2026-01-01:DAILY")
            )
            let coupon = try await Self.call(
                url,
                "/v1/coupons/issues",
                key: "att:1:7:2026-01-01:BONUS:r1",
                body: #"{"member_id": 7, "coupon_group_id": "CG-7", "reference": "att:1:7:2026-01-01:BONUS:r1"}"#
            )
            #expect(first.status == 200 && again.status == 200 && coupon.status == 200)
            #expect(first.headers["content-type"] == "application/json")
            let transaction = try #require(first.json["transaction_id"] as? String)
            #expect(again.json["transaction_id"] as? String == transaction)
            #expect(coupon.json["transaction_id"] as? String != transaction)
            #expect(fake.ledger.paidCount == 2)
            #expect(fake.ledger.totalPoints == 100)
            #expect(fake.ledger.payment(for: "att:1:7:2026-01-01:DAILY")?.requests == 2)
            let summary = try await Self.call(url, "/v1/ledger/summary", method: .GET)
            #expect(summary.json["requests"] as? Int == 3)
            #expect(summary.json["paid"] as? Int == 2)
            #expect(summary.json["replayed"] as? Int == 1)
        }
    }

    @Test func badRequestsAreRefusedWithAnErrorThatNamesTheProblem() async throws {
        var faults = FakeRewardFaults()
        faults.refusedMembers = [13]
        faults.closedCouponGroups = ["CG-CLOSED"]
        try await withFakeRewardAPI(faults) { fake, url in
            _ = try await Self.call(url, "/v1/points/grants", key: "k1", body: Self.grant(1, 10, "k1"))
            let cases: [(Reply, Int, String)] = [
                (
                    try await Self.call(url, "/v1/points/grants", key: "k1", body: Self.grant(1, 11, "k1")),
                    422, "reused for a different request"
                ),
                (try await Self.call(url, "/v1/points/grants", body: Self.grant(1, 10, "k2")), 400, "Idempotency-Key"),
                (try await Self.call(url, "/v1/points/grants", key: "k3", body: "{not json"), 400, "member_id"),
                (
                    try await Self.call(url, "/v1/points/grants", key: "k4", body: Self.grant(1, 10, "other")),
                    400, "reference must equal"
                ),
                (try await Self.call(url, "/v1/points/grants", key: "k5", body: Self.grant(1, 0, "k5")), 400, "amount"),
                (
                    try await Self.call(url, "/v1/points/grants", key: "k6", body: Self.grant(13, 10, "k6")),
                    403, "member 13"
                ),
                (
                    try await Self.call(
                        url,
                        "/v1/coupons/issues",
                        key: "k7",
                        body: #"{"member_id": 1, "coupon_group_id": "CG-CLOSED", "reference": "k7"}"#
                    ),
                    422, "CG-CLOSED is closed"
                ),
                (
                    try await Self.call(
                        url,
                        "/v1/coupons/issues",
                        key: "k8",
                        body: #"{"member_id": 1, "reference": "k8"}"#
                    ),
                    400, "coupon_group_id"
                ),
                (
                    try await Self.call(
                        url,
                        "/v1/points/grants",
                        key: "k9",
                        body: String(repeating: " ", count: 70_000) + Self.grant(1, 10, "k9")
                    ),
                    413, "at most"
                ),
                (try await Self.call(url, "/v1/points/grants", method: .GET), 405, "GET is not allowed"),
                (try await Self.call(url, "/v1/nothing", key: "k10", body: "{}"), 404, "/v1/nothing"),
            ]
            for (reply, status, message) in cases {
                #expect(reply.status == status, "\(message)")
                #expect(reply.error.contains(message), "\(reply.error)")
            }
            #expect(fake.ledger.paidCount == 1)
            #expect(fake.ledger.counters.refused == 9)
        }
    }

    @Test func faultsAreInjectedAsConfiguredAndCanChangeWhileItRuns() async throws {
        var faults = FakeRewardFaults()
        faults.throttleRate = 1
        try await withFakeRewardAPI(faults) { fake, url in
            let throttled = try await Self.call(url, "/v1/points/grants", key: "t1", body: Self.grant(1, 10, "t1"))
            #expect(throttled.status == 429)
            #expect(throttled.headers["retry-after"] == "1")

            fake.updateFaults {
                $0 = FakeRewardFaults(); $0.down = true
            }
            let down = try await Self.call(url, "/v1/points/grants", key: "t1", body: Self.grant(1, 10, "t1"))
            #expect(down.status == 503)

            fake.updateFaults {
                $0.down = false; $0.latency = .milliseconds(150)
            }
            let start = ContinuousClock.now
            let slow = try await Self.call(url, "/v1/points/grants", key: "t1", body: Self.grant(1, 10, "t1"))
            #expect(slow.status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(150))

            // A hang outlasts the client's deadline: nothing was paid, and the fake counts the timeout.
            fake.updateFaults {
                $0.latency = .zero; $0.timeoutRate = 1; $0.hangDuration = .seconds(2)
            }
            await #expect(throws: (any Error).self) {
                _ = try await Self.call(
                    url,
                    "/v1/points/grants",
                    key: "t2",
                    body: Self.grant(1, 10, "t2"),
                    timeout: .milliseconds(200)
                )
            }
            #expect(fake.ledger.payment(for: "t2") == nil)
            #expect(fake.ledger.counters.timedOut == 1)
            #expect(fake.ledger.counters.throttled == 1)
            #expect(fake.ledger.counters.serverErrors == 1)
            #expect(fake.ledger.paidCount == 1)
        }
    }

    /// Sends `bytes` on a raw connection, closes its sending side, and returns all that comes back until the fake
    /// closes the connection.
    static func exchange(_ base: String, _ bytes: String) async throws -> String {
        let address = try #require(URL(string: base))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: try #require(address.host), port: try #require(address.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true)
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: bytes))
            outbound.finish()
            var received = ""
            for try await chunk in inbound { received += String(buffer: chunk) }
            return received
        }
    }

    static func rawGrant(_ key: String, amount: Int) -> String {
        let body = grant(1, amount, key)
        return "POST /v1/points/grants HTTP/1.1\r\nHost: fake\r\nIdempotency-Key: \(key)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func pipelinedRequestsFromAHalfClosedClientAreAllAnsweredInOrder() async throws {
        var faults = FakeRewardFaults()
        faults.latency = .milliseconds(50)
        try await withFakeRewardAPI(faults) { fake, url in
            // Two requests in one write, then the client's FIN: both are paid and answered, in order, before the
            // fake closes its side.
            let received = try await Self.exchange(
                url,
                Self.rawGrant("p1", amount: 10) + Self.rawGrant("p2", amount: 20)
            )
            let answers = received.components(separatedBy: "HTTP/1.1 ").dropFirst()
            #expect(answers.count == 2, "\(received)")
            #expect(answers.allSatisfy { $0.hasPrefix("200 ") }, "\(received)")
            let first = try #require(fake.ledger.payment(for: "p1")?.transactionID)
            let second = try #require(fake.ledger.payment(for: "p2")?.transactionID)
            let firstAt = try #require(received.range(of: first)).lowerBound
            let secondAt = try #require(received.range(of: second)).lowerBound
            #expect(firstAt < secondAt)
            #expect(fake.ledger.totalPoints == 30)
        }
    }

    @Test func cancellingItsTaskStopsItCleanlyAndClosesItsConnections() async throws {
        let fake = FakeRewardServer(configuration: .init(), logger: TestSupport.logger("fake-reward-api"))
        let running = Task { try await fake.run() }
        let url = try await fake.baseURL()
        let paid = try await Self.call(url, "/v1/points/grants", key: "c1", body: Self.grant(1, 10, "c1"))
        #expect(paid.status == 200)
        running.cancel()
        try await running.value
        await #expect(throws: (any Error).self) {
            _ = try await Self.call(
                url,
                "/v1/points/grants",
                key: "c2",
                body: Self.grant(1, 10, "c2"),
                timeout: .seconds(2)
            )
        }
        #expect(fake.ledger.paidCount == 1)
    }
}
