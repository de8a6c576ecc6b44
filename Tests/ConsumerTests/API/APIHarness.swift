import AsyncHTTPClient
import AttendanceAPI
import Consumer
import Domain
import Foundation
import NIOCore
import NIOHTTP1
import Projections
import ServiceLifecycle

/// A running `serve` on a free port, over a ``Pipeline`` (its schema and mock cluster), with a known HS256 secret,
/// and an HTTP client to call it over loopback.
struct APIHarness: Sendable {
    static let secret = Array("a-test-secret-that-is-long-enough-for-hs256".utf8)
    static let issuer = "attendance-tests"
    static let audience = "attendance-api"

    let pipeline: Pipeline
    let server: APIServer
    let baseURL: String

    struct Reply: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data

        var text: String { String(decoding: body, as: UTF8.self) }

        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw PipelineTestError(description: "not a JSON object: \(text)")
            }
            return object
        }

        /// The problem type's last part (`urn:attendance:problem:<name>`), after checking the media type.
        func problem() throws -> String {
            guard headers["content-type"] == "application/problem+json" else {
                throw PipelineTestError(description: "not problem+json (\(headers["content-type"] ?? "none")): \(text)")
            }
            return (try json()["type"] as? String)?.replacingOccurrences(of: "urn:attendance:problem:", with: "") ?? ""
        }
    }

    /// Runs `body` with the API (plus a check-in consumer and the relay unless `pipelineRunning` is false).
    static func with<T: Sendable>(
        rateLimit: Double = 0,
        rateBurst: Int = 1,
        pipelineRunning: Bool = true,
        kafkaProperties: [String: String] = [:],
        _ body: @escaping @Sendable (APIHarness) async throws -> T
    ) async throws -> T {
        try await Pipeline.with { pipeline in
            var reads = ReadLanes.Configuration(postgres: pipeline.postgres, schema: pipeline.schema)
            reads.connections = 2
            var configuration = APIConfiguration(
                address: .init(host: "127.0.0.1", port: 0),
                reads: reads,
                kafka: KafkaConfiguration(
                    bootstrapServers: pipeline.cluster.bootstrapServers,
                    properties: kafkaProperties
                ),
                keys: .init(hs256Secret: secret),
                issuer: issuer,
                audience: audience
            )
            configuration.rateLimit = rateLimit
            configuration.rateBurst = rateBurst
            let server = try await APIServer(configuration: configuration, logger: pipeline.logger)
            let consumer = pipeline.checkInConsumer(group: "api-tests")
            let relay = pipeline.relay()
            let services: [any Service] = pipelineRunning ? [server, consumer, relay] : [server]
            return try await withServices(services) {
                let port = try await server.listeningPort()
                let harness = APIHarness(pipeline: pipeline, server: server, baseURL: "http://127.0.0.1:\(port)")
                try await harness.waitUntilReady()
                if pipelineRunning {
                    // A submission waits at most 10 s for its outcome; on a loaded machine the mock's first group
                    // join alone can take most of that. Tests start once the pipeline is in place.
                    try await pipeline.blocking {
                        try pipeline.waitUntil("the consumer has its partitions and the relay its slot") {
                            consumer.statistics.snapshot.assignedPartitions > 0 && relay.statistics.isLeader
                        }
                    }
                }
                return try await body(harness)
            }
        }
    }

    func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if server.readiness.ready { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PipelineTestError(description: "API not ready: \(server.readiness.checks)")
    }

    static func token(
        scopes: [String] = ["checkins:write", "attendance:read", "reports:read"],
        subject: String = "tests",
        memberID: Int64? = nil,
        expires: Date = Date().addingTimeInterval(600),
        audience: String = audience,
        secret: [UInt8] = secret
    ) async throws -> String {
        try await AccessToken.signHS256(
            AccessToken(
                issuer: issuer,
                audience: audience,
                subject: subject,
                expires: expires,
                scopes: scopes,
                memberID: memberID
            ),
            secret: secret
        )
    }

    func call(
        _ method: HTTPMethod,
        _ path: String,
        token: String?,
        body: String? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 4 * 1024 * 1024)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: headers, body: Data(buffer: bytes))
    }

    func submit(event: Int64, _ body: String, token: String, waitMilliseconds: Int? = nil) async throws -> Reply {
        let query = waitMilliseconds.map { "?wait_ms=\($0)" } ?? ""
        return try await call(.POST, "/v1/events/\(event)/check-ins\(query)", token: token, body: body)
    }
}
