import Consumer
import Foundation
import Projections
import Synchronization
import Testing

@Suite("DatabaseLane: one thread, one connection, reconnects with backoff", .timeLimit(.minutes(5)))
struct DatabaseLaneTests {
    private struct LaneTestError: Error, CustomStringConvertible {
        var description: String
    }

    private static func databaseURL() throws -> PostgresConfiguration {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw LaneTestError(
                description: "DATABASE_URL is not set: run `source scripts/setup.sh` in the repository root first"
            )
        }
        return try PostgresConfiguration(url)
    }

    @Test func jobsRunOnTheLaneThreadOnOneConnection() async throws {
        let url = try Self.databaseURL()
        let connects = Atomic(0)
        let lane = DatabaseLane(name: "lane-test-jobs") {
            connects.add(1, ordering: .relaxed)
            return try PostgresConnection.connect(url, applicationName: "attendance-tests")
        }
        defer { lane.shutdown() }
        #expect(!lane.isConnected)
        let first = try await lane.run { connection in (Thread.current.name, connection.backendProcessID) }
        let second = try await lane.run { $0.backendProcessID }
        #expect(first.0 == "lane-test-jobs")
        #expect(first.1 == second)
        #expect(connects.load(ordering: .relaxed) == 1)
        #expect(lane.isConnected)
    }

    @Test func aLostConnectionIsReplacedAtOnceAndTheHookRunsAgain() async throws {
        let url = try Self.databaseURL()
        let hooks = Atomic(0)
        let lane = DatabaseLane(
            name: "lane-test-lost",
            connect: { try PostgresConnection.connect(url, applicationName: "attendance-tests") },
            onConnect: { _ in hooks.add(1, ordering: .relaxed) }
        )
        defer { lane.shutdown() }
        let backend = try #require(try await lane.run { $0.backendProcessID })
        let admin = try PostgresConnection.connect(url, applicationName: "attendance-tests")
        defer { admin.close() }
        _ = try admin.execute("SELECT pg_terminate_backend($1)", ["\(backend)"])
        // The terminated session fails the next statement; the one after runs on a new session.
        await #expect(throws: PostgresError.self) {
            for _ in 0..<50 {
                _ = try await lane.run { try $0.execute("SELECT 1") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let replaced = try await lane.run { $0.backendProcessID }
        #expect(replaced != backend)
        #expect(hooks.load(ordering: .relaxed) == 2)
    }

    @Test func aFailedConnectHoldsTheNextAttemptBack() async throws {
        let attempts = Atomic(0)
        let lane = DatabaseLane(
            name: "lane-test-backoff",
            reconnectBackoff: Backoff(initial: .seconds(60), maximum: .seconds(60))
        ) {
            attempts.add(1, ordering: .relaxed)
            throw PostgresError(code: .connectionFailed, message: "refused")
        }
        defer { lane.shutdown() }
        for _ in 0..<3 {
            await #expect(throws: PostgresError.self) { try await lane.run { _ in () } }
        }
        #expect(attempts.load(ordering: .relaxed) == 1)
        #expect(!lane.isConnected)
    }

    @Test func aLoopStopsWhenItsTaskIsCancelled() async throws {
        let lane = DatabaseLane(name: "lane-test-loop") {
            throw PostgresError(code: .connectionFailed, message: "not used")
        }
        defer { lane.shutdown() }
        let stop = StopSignal()
        let started = Atomic(false)
        let loop = Task {
            try await lane.runLoop(stop: stop) { _ in
                started.store(true, ordering: .relaxed)
                while !stop.isStopped { stop.sleep(.milliseconds(10)) }
            }
        }
        while !started.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(10)) }
        loop.cancel()
        try await loop.value
        #expect(stop.isStopped)
    }
}
