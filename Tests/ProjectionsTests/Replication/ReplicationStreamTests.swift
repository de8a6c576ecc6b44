import Foundation
import Logging
import Testing

@testable import Projections

/// The outbox's path through the write-ahead log against the real server: messages emitted in a transaction reach
/// the slot's stream only if it commits, in order, and an acknowledged position is where the next stream starts.
@Suite(.timeLimit(.minutes(1)), .serialized)
struct ReplicationStreamTests {
    static let logger = Logger(label: "attendance.tests.replication")

    /// A schema with its slot; the slot is dropped afterwards whatever happened (an unread slot keeps WAL).
    func withSlot(_ body: (TestSchema, MessageSlot, PostgresConfiguration) throws -> Void) async throws {
        try await TestDatabase.withSchema { schema in
            let slot = MessageSlot(schema: schema.name)
            let admin = try TestDatabase.connect()
            defer {
                try? slot.drop(on: admin, force: true)
                admin.close()
            }
            #expect(try slot.ensure(on: admin))
            #expect(try slot.ensure(on: admin) == false)  // already there
            try body(schema, slot, try PostgresConfiguration(TestDatabase.url()))
        }
    }

    static func emit(_ topics: [String], on connection: PostgresConnection, commit: Bool) throws {
        let messages = topics.map { OutboxMessage(topic: $0, key: nil, payload: Array($0.utf8)) }
        if commit {
            try connection.transaction { try OutboxStore.append(messages, on: $0) }
        } else {
            try connection.execute("BEGIN")
            try OutboxStore.append(messages, on: connection)
            try connection.execute("ROLLBACK")
        }
    }

    /// Reads whole transactions of this schema's messages until `count` arrived; returns them and the last commit end.
    /// Gives up after `within`; `timeout` is what each `next` waits.
    static func read(
        _ count: Int,
        from stream: PostgresReplicationStream,
        prefix: String,
        within: Duration = .seconds(20),
        timeout: Duration = .milliseconds(200)
    ) throws -> ([String], LogSequenceNumber) {
        var topics: [String] = []
        var end = LogSequenceNumber.zero
        var inTransaction = false
        let deadline = ContinuousClock.now + within
        while topics.count < count || inTransaction, ContinuousClock.now < deadline {
            switch try stream.next(timeout: timeout) {
            case .begin?:
                inTransaction = true
            case .message(let message)? where message.prefix == prefix:
                #expect(message.transactional)
                topics.append(contentsOf: try OutboxEnvelope.decode(message.content).map(\.topic))
            case .commit(_, let endLSN)?:
                inTransaction = false
                end = endLSN
            default:
                break
            }
        }
        return (topics, end)
    }

    @Test func onlyCommittedMessagesArriveInOrderAndAnAcknowledgementIsWhereTheNextStreamStarts() async throws {
        try await withSlot { schema, slot, postgres in
            let writer = try schema.connect()
            defer { writer.close() }
            try Self.emit(["rolled-back"], on: writer, commit: false)
            try Self.emit(["a", "b"], on: writer, commit: true)
            try Self.emit(["c"], on: writer, commit: true)
            #expect(try slot.peek(on: writer).map(\.topic) == ["a", "b", "c"])

            var stream = try PostgresReplicationStream.start(
                postgres,
                slot: slot.name,
                publication: MessageSlot.publication,
                applicationName: "attendance-tests",
                logger: Self.logger
            )
            // One stream per slot: a second is refused as "in use" (the relay's leader lock).
            #expect {
                _ = try PostgresReplicationStream.start(
                    postgres,
                    slot: slot.name,
                    publication: MessageSlot.publication,
                    applicationName: "attendance-tests",
                    logger: Self.logger
                )
            } throws: { ($0 as? PostgresError)?.isSlotInUse == true }

            let (first, afterB) = try Self.read(2, from: stream, prefix: slot.messagePrefix)
            #expect(first == ["a", "b"])
            try stream.acknowledge(upTo: afterB)
            stream.close()

            // Acknowledged through "a","b": a new stream starts at "c". Not acknowledging "c" redelivers it.
            // The second time with zero timeouts: `next` must still read what the socket holds.
            for timeout in [Duration.milliseconds(200), .zero] {
                stream = try Self.reopen(postgres, slot)
                let (again, _) = try Self.read(1, from: stream, prefix: slot.messagePrefix, timeout: timeout)
                #expect(again == ["c"])
                stream.close()
            }
            let position = try MessageSlot.currentPosition(on: writer)
            stream = try Self.reopen(postgres, slot)
            let (_, afterC) = try Self.read(1, from: stream, prefix: slot.messagePrefix)
            try stream.acknowledge(upTo: afterC)
            // Idle: keepalives carry the server's position forward; acknowledging them lets the slot catch up.
            let deadline = ContinuousClock.now + .seconds(15)
            while !(try slot.hasPublished(through: position, on: writer)), ContinuousClock.now < deadline {
                if case .keepalive(let walEnd, _)? = try stream.next(timeout: .milliseconds(100)) {
                    try stream.acknowledge(upTo: walEnd)
                }
            }
            #expect(try slot.hasPublished(through: position, on: writer))
            #expect(try slot.status(on: writer)?.isActive == true)
            stream.close()

            // Everything acknowledged: a new stream has nothing of ours to deliver.
            stream = try Self.reopen(postgres, slot)
            defer { stream.close() }
            let (redelivered, _) = try Self.read(
                1,
                from: stream,
                prefix: slot.messagePrefix,
                within: .seconds(1)
            )
            #expect(redelivered.isEmpty)
        }
    }

    static func reopen(_ postgres: PostgresConfiguration, _ slot: MessageSlot) throws -> PostgresReplicationStream {
        // The previous session's walsender may take a moment to let go of the slot.
        var attempts = 0
        while true {
            do {
                return try PostgresReplicationStream.start(
                    postgres,
                    slot: slot.name,
                    publication: MessageSlot.publication,
                    applicationName: "attendance-tests",
                    logger: Self.logger
                )
            } catch {
                guard error.isSlotInUse, attempts < 50 else { throw error }
                attempts += 1
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    @Test func badNamesAndMissingSlotsAreRefusedClearly() async throws {
        let postgres = try PostgresConfiguration(TestDatabase.url())
        #expect {
            _ = try PostgresReplicationStream.start(
                postgres,
                slot: "x; DROP TABLE t",
                publication: MessageSlot.publication,
                applicationName: "t",
                logger: Self.logger
            )
        } throws: { ($0 as? PostgresError)?.code == .invalidConfiguration }
        #expect {
            _ = try PostgresReplicationStream.start(
                postgres,
                slot: "attendance_no_such_slot",
                publication: MessageSlot.publication,
                applicationName: "t",
                logger: Self.logger
            )
        } throws: { ($0 as? PostgresError)?.sqlState == "42704" }
        let long = MessageSlot(schema: String(repeating: "s", count: 63))
        #expect(long.name.utf8.count <= 63)
        #expect(long.name != MessageSlot(schema: String(repeating: "s", count: 62)).name)
    }
}
