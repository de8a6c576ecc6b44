import Domain
import Foundation
import Projections

/// A migrated schema filled through the real `CheckInProjector`: two events (one without rewards, so its history
/// rows can be deleted; one with daily and streak rewards, so its rows are referenced by the reward log), a policy
/// change of time zone half-way, gaps, same-day re-taps, redeliveries and requests out of order.
struct ReplayFixture {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Replay
        .deletingLastPathComponent()  // ProjectionsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// No rewards: its history rows are referenced by nothing.
    static let plainEvent = 7
    /// POINT daily reward and a repeating 3-day streak bonus: its rows are referenced by the reward log.
    static let rewardedEvent = 8

    let schema: TestSchema
    let connection: PostgresConnection
    let projector: CheckInProjector
    private var offsets: [Int32: Int64] = [:]
    private var generator = SplitMix(seed: 0x5EED)

    init(schema: TestSchema) throws {
        self.schema = schema
        let admin = try TestDatabase.connect()
        defer { admin.close() }
        try MigrationRunner(schema: schema.name).migrate(
            admin,
            migrations: Migration.load(from: Self.repositoryRoot.appendingPathComponent("migrations"))
        )
        connection = try schema.connect()
        projector = CheckInProjector(configuration: .init(groupID: "replay-tests"), connection: try schema.connect())
    }

    func close() {
        connection.close()
        projector.connection.close()
    }

    static func event(_ id: Int, timezone: String, rewarded: Bool) -> String {
        let reward = rewarded ? #"{"type": "POINT", "point_amount": 10}"# : #"{"type": "NONE"}"#
        let bonus =
            rewarded
            ? #"[{"id": "streak3", "trigger": "STREAK", "count": 3, "repeat": true, "reward": {"type": "COUPON", "coupon_group_id": "CG-3"}}]"#
            : "[]"
        return """
            {"id": \(id), "name": "Replay test \(id)", "status": "ACTIVE", "starts_at": "2026-01-01T00:00:00Z",
             "ends_at": "2027-01-01T00:00:00Z", "timezone": "\(timezone)", "daily_reward": \(reward), "bonus_rules": \(bonus)}
            """
    }

    func apply(_ json: String) throws {
        _ = try EventCatalog.apply(EventPolicy.decode(json: Data(json.utf8)), on: connection)
    }

    /// The standard history: 40 days of check-ins by 12 members of each event, with the plain event's time zone
    /// changed from Asia/Seoul (+9) to Pacific/Kiritimati (+14) after day 20. Requests at 12:00 UTC fall on
    /// different days in the two zones, so replaying a row with the wrong policy version shows in the diff.
    mutating func fillStandardHistory() throws {
        try apply(Self.event(Self.plainEvent, timezone: "Asia/Seoul", rewarded: false))
        try apply(Self.event(Self.rewardedEvent, timezone: "America/New_York", rewarded: true))
        try checkIns(days: 0..<20)
        try apply(Self.event(Self.plainEvent, timezone: "Pacific/Kiritimati", rewarded: false))
        try checkIns(days: 20..<40)
    }

    /// Check-ins for `days` (0 = 2026-03-01) by members 1...12 of both events, in batches through the projector.
    mutating func checkIns(days: Range<Int>, members: ClosedRange<Int64> = 1...12) throws {
        var requests: [(event: Int, member: Int64, id: String, at: Int64)] = []
        let firstDay: Int64 = 1_772_323_200  // 2026-03-01T00:00:00Z
        for day in days {
            for event in [Self.plainEvent, Self.rewardedEvent] {
                for member in members where generator.next() % 5 != 0 {  // ~1 day in 5 missed: streaks break
                    let at = firstDay + Int64(day) * 86_400 + 43_200 + Int64(generator.next() % 3_600)
                    let id = "r-\(event)-\(member)-\(day)"
                    requests.append((event, member, id, at))
                    if generator.next() % 7 == 0 {  // a re-tap later the same day
                        requests.append((event, member, id + "-again", at + 60))
                    }
                    if generator.next() % 11 == 0 {  // a redelivery of the same request
                        requests.append((event, member, id, at))
                    }
                    if day > 2, generator.next() % 13 == 0 {  // a late request for an earlier day: OUT_OF_ORDER
                        requests.append((event, member, id + "-late", at - 2 * 86_400))
                    }
                }
            }
        }
        for batch in stride(from: 0, to: requests.count, by: 50) {
            let slice = requests[batch..<min(batch + 50, requests.count)]
            var envelopes: [CheckInEnvelope] = []
            var expected: [PartitionKey: Int64?] = [:]
            for request in slice {
                let partition = Int32(request.member % 3)
                let key = PartitionKey(topic: TopicNames.standard.checkInRequests, partition: partition)
                if expected[key] == nil { expected.updateValue(offsets[partition], forKey: key) }
                let offset = offsets[partition] ?? 0
                offsets[partition] = offset + 1
                let requestedAt = Timestamp(microsecondsSinceEpoch: request.at * 1_000_000)
                let json = """
                    {"request_id": "\(request.id)", "event_id": \(request.event), "member_id": \(request.member), \
                    "requested_at": "\(requestedAt)"}
                    """
                envelopes.append(
                    CheckInEnvelope(
                        position: SourcePosition(topic: key.topic, partition: partition, offset: offset),
                        key: Array("\(request.event):\(request.member)".utf8),
                        value: Array(json.utf8),
                        headers: [],
                        timestamp: Timestamp(microsecondsSinceEpoch: (request.at + 1) * 1_000_000)
                    )
                )
            }
            _ = try projector.process(envelopes, expected: expected)
        }
    }

    func rebuild(chunkSize: Int = 100) throws -> HistoryRebuild {
        var configuration = HistoryRebuild.Configuration()
        configuration.chunkSize = chunkSize
        return HistoryRebuild(configuration: configuration, reader: try schema.connect(), writer: try schema.connect())
    }

    // MARK: Reading

    func rows(_ sql: String) throws -> [[String?]] {
        let result = try connection.execute(sql)
        return (0..<result.count).map { row in (0..<result.columns.count).map { result.string(row, $0) } }
    }

    func count(_ table: String) throws -> Int {
        try connection.execute("SELECT count(*) FROM \(table)").int(0, 0) ?? -1
    }

    /// The live table: id, log id, event, member, day, total, streak, in log order.
    func liveHistory() throws -> [[String?]] {
        try rows(
            """
            SELECT id, attendance_log_id, event_id, member_id, attendance_date::text, total_attendance_count,
                   streak_attendance_count
            FROM event_attendance_history ORDER BY attendance_log_id
            """
        )
    }

    /// The shadow table, in the same shape without the id.
    func rebuiltHistory() throws -> [[String?]] {
        try rows(
            """
            SELECT attendance_log_id, event_id, member_id, attendance_date::text, total_attendance_count,
                   streak_attendance_count
            FROM event_attendance_history_rebuild ORDER BY attendance_log_id
            """
        )
    }

    /// Everything that would leave the database or pay a reward: must not move during a replay.
    func sideEffectCounts() throws -> [Int] {
        [
            try count("outbox"), try count("event_attendance_reward_log"), try count("consumer_offset"),
            try count("event_attendance_log"),
        ]
    }
}

/// A small deterministic generator (SplitMix64), so every run builds the same history.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
