import Domain
import Foundation

/// Turns a batch of check-in messages into `event_attendance_log`, `event_attendance_history` and
/// `event_attendance_reward_log` rows, the batch's outbox message (in the WAL) and the consumer's stored offsets —
/// all in ONE transaction.
///
/// A batch is all-or-nothing: after a crash anywhere, the stored offsets say exactly which messages were
/// processed, and the unique keys (log: event_id + request_id; history: event_id + member_id + date, and
/// attendance_log_id) remain the last guard. Not thread-safe: one consumer thread owns a projector.
public final class CheckInProjector {
    public struct Configuration: Sendable {
        /// The consumer group whose offsets are stored with the batch.
        public var groupID: String
        public var topics: TopicNames
        /// When false (replays into a separate schema), nothing goes to the outbox: no reward commands, no
        /// analytics facts, no dead-letter copies. The tables are projected exactly the same way.
        public var emitsSideEffects: Bool

        public init(groupID: String, topics: TopicNames = .standard, emitsSideEffects: Bool = true) {
            self.groupID = groupID
            self.topics = topics
            self.emitsSideEffects = emitsSideEffects
        }
    }

    public let configuration: Configuration
    public let connection: PostgresConnection
    private var policyCache = PolicyCache()
    private var processedLookups = ProcessedRequestLookups()
    /// Whether the next batch looks up which of its requests are logged already.
    var looksUpLoggedRequests: Bool { processedLookups.isOn }

    public init(configuration: Configuration, connection: PostgresConnection) {
        self.configuration = configuration
        self.connection = connection
    }

    /// Processes `envelopes` (in partition order) given the stored offsets this consumer believes in
    /// (`expected`: nil for a partition with no stored offset yet). Throws `OffsetFenceError` when another
    /// consumer moved them, and `PostgresError` for database failures; nothing is written then.
    public func process(
        _ envelopes: [CheckInEnvelope],
        expected: [PartitionKey: Int64?],
        now: Timestamp = .now()
    ) throws -> CheckInBatchResult {
        var result = CheckInBatchResult()
        var fresh: [CheckInEnvelope] = []
        fresh.reserveCapacity(envelopes.count)
        for envelope in envelopes {
            let partition = PartitionKey(topic: envelope.position.topic, partition: envelope.position.partition)
            let floor = (expected[partition] ?? nil) ?? Int64.min
            guard envelope.position.offset >= floor else {
                result.skippedBelowOffset += 1
                continue
            }
            fresh.append(envelope)
            let next = envelope.position.offset + 1
            if next > result.nextOffsets[partition] ?? Int64.min { result.nextOffsets[partition] = next }
        }
        guard !result.nextOffsets.isEmpty else { return result }

        var lookUp = processedLookups.isOn
        var metLoggedRequest = false
        while true {
            var attempt = result
            do {
                try connection.transaction { connection in
                    // Fence first: its row locks serialise any second writer of these partitions.
                    try ConsumerOffsetStore.advance(
                        groupID: configuration.groupID,
                        from: expected,
                        to: attempt.nextOffsets,
                        on: connection
                    )
                    var plan = try plan(fresh, now: now, lookingUpProcessed: lookUp, result: &attempt)
                    metLoggedRequest = metLoggedRequest || plan.foundLoggedRequests
                    try write(&plan, now: now, on: connection)
                }
                processedLookups.batchDone(metLoggedRequest: metLoggedRequest)
                return attempt
            } catch let error as AlreadyLoggedError {
                // Rolled back. Once without the look-up: a request of the batch was logged by an earlier batch,
                // so do it again with the look-up. With it: another consumer logged one just now (the same
                // request under two member keys, so on two partitions); the caller retries the batch.
                metLoggedRequest = true
                guard !lookUp else {
                    processedLookups.batchDone(metLoggedRequest: true)
                    throw ConcurrentCheckInError(detail: error.underlying.detail)
                }
                lookUp = true
            }
        }
    }

    /// Sets aside one message that the database keeps refusing although it passed validation: it goes to the
    /// DLQ with reason `UNPROCESSABLE` (and the error in `dlq.detail`), and the partition's offset moves past it,
    /// in one transaction. The consumer calls this only after isolating the message by splitting its batch.
    public func setAsideUnprocessable(
        _ envelope: CheckInEnvelope,
        error: any Error,
        expected: [PartitionKey: Int64?]
    ) throws -> CheckInBatchResult {
        var result = CheckInBatchResult()
        let partition = PartitionKey(topic: envelope.position.topic, partition: envelope.position.partition)
        guard envelope.position.offset >= ((expected[partition] ?? nil) ?? Int64.min) else {
            result.skippedBelowOffset = 1
            return result
        }
        result.nextOffsets[partition] = envelope.position.offset + 1
        result.deadLettered = 1
        try connection.transaction { connection in
            try ConsumerOffsetStore.advance(
                groupID: configuration.groupID,
                from: expected,
                to: result.nextOffsets,
                on: connection
            )
            if configuration.emitsSideEffects {
                let detail = String("\(error)".prefix(200))
                try OutboxStore.append(
                    [deadLetter(envelope, reason: .unprocessable, detail: detail, at: .now())],
                    on: connection
                )
            }
        }
        return result
    }
}

// MARK: - Planning: parse, load state, decide in order

extension CheckInProjector {
    struct MemberKey: Hashable {
        let eventID: Int64
        let memberID: Int64
    }

    struct RequestKey: Hashable {
        let eventID: Int64
        let requestID: String
    }

    struct LogRow {
        let request: CheckInRequest
        let envelope: CheckInEnvelope
        let decision: CheckInDecision
        let policyVersion: Int?
    }

    struct Plan {
        var logRows: [LogRow] = []
        var deadLetters: [OutboxMessage] = []
        var newParticipants: [Int64: Int64] = [:]
        /// Requests per (event, day, outcome) of each source partition: the read side's daily counters.
        var dailyCounts: [AttendanceStore.DailyCountKey: Int64] = [:]
        /// The look-up found requests of the batch logged already.
        var foundLoggedRequests = false
    }

    private func plan(
        _ envelopes: [CheckInEnvelope],
        now: Timestamp,
        lookingUpProcessed lookUp: Bool,
        result: inout CheckInBatchResult
    ) throws -> Plan {
        var plan = Plan()
        var requests: [(CheckInRequest, CheckInEnvelope)] = []
        requests.reserveCapacity(envelopes.count)
        var seen = Set<RequestKey>()
        for envelope in envelopes {
            switch CheckInMessage.parse(key: envelope.key, value: envelope.value) {
            case .failure(let malformed):
                plan.deadLetters.append(
                    deadLetter(
                        envelope,
                        reason: .init(rawValue: malformed.code.rawValue),
                        detail: malformed.detail,
                        at: now
                    )
                )
                result.deadLettered += 1
            case .success(let parsed):
                let request = CheckInRequest(
                    eventID: parsed.eventID,
                    memberID: parsed.memberID,
                    requestID: parsed.requestID,
                    requestedAt: parsed.requestedAt,
                    channel: parsed.channel,
                    invalidReason: parsed.invalidReason,
                    traceParent: envelope.traceParent
                )
                if seen.insert(RequestKey(eventID: request.eventID, requestID: request.requestID)).inserted {
                    requests.append((request, envelope))
                } else {
                    result.duplicates += 1
                }
            }
        }
        guard !requests.isEmpty else { return plan }

        if lookUp {
            let processed = try AttendanceStore.processedRequests(
                requests.map { RequestKey(eventID: $0.0.eventID, requestID: $0.0.requestID) },
                on: connection
            )
            if !processed.isEmpty {
                plan.foundLoggedRequests = true
                let before = requests.count
                requests.removeAll {
                    processed.contains(RequestKey(eventID: $0.0.eventID, requestID: $0.0.requestID))
                }
                result.duplicates += before - requests.count
            }
            guard !requests.isEmpty else { return plan }
        }

        let policies = try policyCache.policies(for: Set(requests.map(\.0.eventID)), on: connection)
        let capped = policies.values.filter { $0.policy.maxParticipants != nil }.map(\.policy.id)
        var participants = try AttendanceStore.lockParticipantCounts(eventIDs: capped, on: connection)

        // The attendance day of each request, then the members' state around those days.
        var days: [AttendanceDate?] = []
        days.reserveCapacity(requests.count)
        var memberKeys = Set<MemberKey>()
        for (request, _) in requests {
            if let policy = policies[request.eventID]?.policy, let at = request.requestedAt {
                days.append(policy.attendanceDate(of: at))
                memberKeys.insert(MemberKey(eventID: request.eventID, memberID: request.memberID))
            } else {
                days.append(nil)
            }
        }
        var members = try AttendanceStore.latestSnapshots(Array(memberKeys), on: connection)
        var earlierDays: [(MemberKey, AttendanceDate)] = []
        for (index, (request, _)) in requests.enumerated() {
            let key = MemberKey(eventID: request.eventID, memberID: request.memberID)
            if let day = days[index], let latest = members[key]?.latest, day < latest.date {
                earlierDays.append((key, day))
            }
        }
        for (key, day) in try AttendanceStore.successDays(earlierDays, on: connection) {
            members[key, default: MemberAttendance(latest: nil)].successDays.insert(day)
        }

        for (request, envelope) in requests {
            let key = MemberKey(eventID: request.eventID, memberID: request.memberID)
            let versioned = policies[request.eventID]
            let member = members[key] ?? MemberAttendance(latest: nil)
            let context = CheckInContext(
                policy: versioned?.policy,
                messageTimestamp: envelope.timestamp ?? now,
                member: member,
                participantCount: Int(participants[request.eventID] ?? 0)
            )
            let decision = CheckInRules.decide(request, in: context)
            let day = versioned.map { decision.attendanceDate ?? $0.policy.attendanceDate(of: now) }
            func count(_ outcome: String) {
                guard let day else { return }  // an unknown event has no summary to count in
                let key = AttendanceStore.DailyCountKey(
                    eventID: request.eventID,
                    date: day,
                    outcome: outcome,
                    partition: envelope.position.partition
                )
                plan.dailyCounts[key, default: 0] += 1
            }
            switch decision.outcome {
            case .checkedIn(let snapshot, let rewards):
                count("CHECK_IN")
                if member.latest == nil {
                    participants[request.eventID, default: 0] += 1
                    plan.newParticipants[request.eventID, default: 0] += 1
                    count("NEW_PARTICIPANT")
                }
                members[key, default: member].record(snapshot)
                result.successes += 1
                result.rewardsEarned += rewards.count
            case .failed(let reason, _):
                count(reason.rawValue)
                result.failures[reason, default: 0] += 1
            }
            plan.logRows.append(
                LogRow(request: request, envelope: envelope, decision: decision, policyVersion: versioned?.version)
            )
        }
        result.logged = plan.logRows.count
        return plan
    }

    private func deadLetter(
        _ envelope: CheckInEnvelope,
        reason: DeadLetterHeaders.Reason,
        detail: String,
        at now: Timestamp
    ) -> OutboxMessage {
        let deadLetter = DeadLetterHeaders(
            reason: reason,
            detail: detail,
            source: envelope.position,
            lastFailureAt: now
        )
        return OutboxMessage(
            topic: configuration.topics.checkInRequestsDLQ,
            key: envelope.key,
            payload: envelope.value,
            headers: deadLetter.appended(to: envelope.headers)
        )
    }
}

// MARK: - Writing

extension CheckInProjector {
    private func write(_ plan: inout Plan, now: Timestamp, on connection: PostgresConnection) throws {
        var successes:
            [(row: LogRow, logID: Int64, historyID: Int64, snapshot: AttendanceSnapshot, rewards: [RewardGrant])] = []
        let successCount = plan.logRows.count(where: {
            if case .checkedIn = $0.decision.outcome { true } else { false }
        })
        let ids = try AttendanceStore.allocateIDs(
            logRows: plan.logRows.count,
            historyRows: successCount,
            on: connection
        )
        var historyIDs = ids.history.makeIterator()
        for (row, logID) in zip(plan.logRows, ids.log) {
            guard case .checkedIn(let snapshot, let rewards) = row.decision.outcome, let historyID = historyIDs.next()
            else { continue }
            successes.append((row, logID, historyID, snapshot, rewards))
        }
        do {
            try AttendanceStore.copyLog(plan.logRows, ids: ids.log, on: connection)
        } catch let error as PostgresError
            where error.sqlState == "23505" && error.constraint == AttendanceStore.logRequestKeyConstraint
        {
            throw AlreadyLoggedError(underlying: error)
        }
        try AttendanceStore.copyHistory(
            successes.map {
                .init(
                    id: $0.historyID,
                    eventID: $0.row.request.eventID,
                    memberID: $0.row.request.memberID,
                    logID: $0.logID,
                    snapshot: $0.snapshot
                )
            },
            on: connection
        )
        var rewardRows: [AttendanceStore.RewardRow] = []
        var outbox: [OutboxMessage] = []
        for success in successes where !success.rewards.isEmpty {
            let historyID = success.historyID
            let eventID = success.row.request.eventID
            let memberID = success.row.request.memberID
            for grant in success.rewards {
                rewardRows.append(
                    .init(
                        grant: grant,
                        eventID: eventID,
                        memberID: memberID,
                        historyID: historyID,
                        date: success.snapshot.date
                    )
                )
                outbox.append(
                    OutboxMessage(
                        topic: configuration.topics.rewardCommands,
                        key: RewardCommandMessage.key(eventID: eventID, memberID: memberID),
                        payload: RewardCommandMessage.payload(
                            grant: grant,
                            eventID: eventID,
                            memberID: memberID,
                            date: success.snapshot.date,
                            attendanceLogID: success.logID,
                            createdAt: now
                        ),
                        headers: Self.traceHeaders(success.row.request)
                    )
                )
            }
        }
        try AttendanceStore.copyRewards(rewardRows, on: connection)
        if configuration.emitsSideEffects {
            for row in plan.logRows {
                let request = row.request
                outbox.append(
                    OutboxMessage(
                        topic: configuration.topics.attendanceEvents,
                        key: RewardCommandMessage.key(eventID: request.eventID, memberID: request.memberID),
                        payload: AttendanceEventMessage.payload(
                            request: request,
                            decision: row.decision,
                            policyVersion: row.policyVersion,
                            processedAt: now
                        ),
                        headers: Self.traceHeaders(request)
                    )
                )
            }
            try OutboxStore.append(plan.deadLetters + outbox, on: connection)
        }
        try AttendanceStore.addParticipants(plan.newParticipants, on: connection)
        try AttendanceStore.addDailyCounts(plan.dailyCounts, on: connection)
    }
}

extension CheckInProjector {
    /// The W3C trace context of the request, passed on to every message it causes.
    static func traceHeaders(_ request: CheckInRequest) -> [MessageHeader] {
        request.traceParent.map { [MessageHeader(name: "traceparent", value: Array($0.utf8))] } ?? []
    }
}

/// A request of this batch was logged by another transaction in the meantime (the same event_id and
/// request_id arriving on two partitions, i.e. under two member keys). Retrying the batch re-reads it.
public struct ConcurrentCheckInError: Error, Sendable, CustomStringConvertible {
    /// The server's detail of the unique violation (`Key (event_id, request_id)=(…) already exists.`).
    public let detail: String?

    public var description: String {
        "a request of the batch was logged concurrently by another consumer (\(detail ?? "no detail")); retrying the batch"
    }
}

/// The log's COPY hit `uq_att_log_event_request`: some request of the batch is logged already.
struct AlreadyLoggedError: Error {
    let underlying: PostgresError
}

/// Whether a batch first looks up which of its requests are logged already.
///
/// The look-up costs an index probe per request (a sixth of the batch's server time when measured) and almost
/// always finds nothing: redeliveries after a crash are fenced by the stored offsets, and duplicates inside a batch
/// are dropped in memory. So batches go without it, and the log's unique key catches the rare request logged
/// before: the COPY fails, the transaction rolls back, and the batch runs again with the look-up. The look-up is
/// turned on while a moving average says a quarter or more of recent batches met a logged request (a producer
/// re-sending old requests), and off again once it stops finding them.
struct ProcessedRequestLookups {
    static let threshold = 0.25
    static let weight = 0.1
    private(set) var recentRate = 0.0

    var isOn: Bool { recentRate >= Self.threshold }

    /// One batch done: whether it met a request logged before (found by the look-up or by the unique key).
    mutating func batchDone(metLoggedRequest: Bool) {
        recentRate = recentRate * (1 - Self.weight) + (metLoggedRequest ? Self.weight : 0)
    }
}
