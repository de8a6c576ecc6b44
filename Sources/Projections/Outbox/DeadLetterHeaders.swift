import Domain

/// The one set of `dlq.*` headers every dead letter carries, whichever dead-letter topic it goes to
/// (`topics/DEAD_LETTERS.md`). Every producer of dead letters builds its headers here; every reader parses them here,
/// which also understands the names published before this contract (see ``init(parsing:)``).
///
/// Values are UTF-8 text: codes in upper snake case, numbers in decimal, times in RFC 3339 UTC.
public struct DeadLetterHeaders: Sendable, Hashable {
    /// Version of this header set, in `dlq.contract`. Dead letters published before it have no such header.
    public static let contractVersion = 1

    /// Header names, in the order they are written.
    public enum Name {
        public static let contract = "dlq.contract"
        public static let reason = "dlq.reason"
        public static let detail = "dlq.detail"
        public static let sourceTopic = "dlq.source.topic"
        public static let sourcePartition = "dlq.source.partition"
        public static let sourceOffset = "dlq.source.offset"
        public static let attempts = "dlq.attempts"
        public static let firstFailureAt = "dlq.first_failure_at"
        public static let lastFailureAt = "dlq.last_failure_at"

        /// Before the contract: the reward-commands DLQ wrote its source as `topic/partition/offset` in one header.
        public static let legacySource = "dlq.source"
        /// Before the contract: parked rewards carried the time they were parked.
        public static let legacyParkedAt = "dlq.parked_at"

        /// Every name this type writes or reads; a dead letter's original headers are the others.
        public static let all: Set<String> = [
            contract, reason, detail, sourceTopic, sourcePartition, sourceOffset, attempts, firstFailureAt,
            lastFailureAt, legacySource, legacyParkedAt,
        ]
    }

    /// Why a message is a dead letter: the value of `dlq.reason`.
    public struct Reason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A check-in that is valid but the database refused after retries (the error is in `dlq.detail`).
        public static let unprocessable = Reason(rawValue: "UNPROCESSABLE")
        /// A message on the reward-commands topic that is not a reward command.
        public static let notARewardCommand = Reason(rawValue: "NOT_A_REWARD_COMMAND")
        /// A reward parked for an operator after its allowance of attempts (the last error is in `dlq.detail`).
        public static let rewardParked = Reason(rawValue: "REWARD_PARKED")
    }

    public var reason: Reason
    /// For people: what was wrong, naming the field or the error.
    public var detail: String
    /// Where the message was read from, when it was read from Kafka.
    public var source: SourcePosition?
    /// Attempts made before giving up; nil where the message was refused at once.
    public var attempts: Int?
    public var firstFailureAt: Timestamp?
    public var lastFailureAt: Timestamp?
    /// The `dlq.contract` version the headers were written with; 0 for dead letters from before the contract.
    public var contract: Int

    public init(
        reason: Reason,
        detail: String,
        source: SourcePosition? = nil,
        attempts: Int? = nil,
        firstFailureAt: Timestamp? = nil,
        lastFailureAt: Timestamp? = nil
    ) {
        self.reason = reason
        self.detail = detail
        self.source = source
        self.attempts = attempts
        self.firstFailureAt = firstFailureAt
        self.lastFailureAt = lastFailureAt
        self.contract = Self.contractVersion
    }

    /// The headers to append after the message's original ones; the detail is cut to 1,000 characters.
    public var headers: [MessageHeader] {
        var headers: [MessageHeader] = []
        func add(_ name: String, _ value: String?) {
            guard let value else { return }
            headers.append(MessageHeader(name: name, value: Array(value.utf8)))
        }
        add(Name.contract, String(Self.contractVersion))
        add(Name.reason, reason.rawValue)
        add(Name.detail, String(detail.prefix(1_000)))
        add(Name.sourceTopic, source?.topic)
        add(Name.sourcePartition, source.map { String($0.partition) })
        add(Name.sourceOffset, source.map { String($0.offset) })
        add(Name.attempts, attempts.map { String($0) })
        add(Name.firstFailureAt, firstFailureAt?.description)
        add(Name.lastFailureAt, lastFailureAt?.description)
        return headers
    }

    /// The original headers, unchanged, then these. Readers take the last header of a name, so a message that
    /// already carried `dlq.*` headers (a dead letter re-driven and dead-lettered again) reads as the latest.
    public func appended(to original: [MessageHeader]) -> [MessageHeader] {
        original + headers
    }

    /// Reads the headers of a dead letter, current or from before the contract:
    /// - `dlq.contract` absent: 0;
    /// - `dlq.source` (`topic/partition/offset`, reward-commands DLQ) when the three `dlq.source.*` are absent;
    /// - `dlq.parked_at` as the last failure time; a parked reward's `dlq.reason` then held the error text, so it
    ///   becomes the detail and the reason `REWARD_PARKED`;
    /// - the free-text reason `not a reward command` as `NOT_A_REWARD_COMMAND`.
    /// Nil when the headers carry no `dlq.reason`: not a dead letter.
    public init?(parsing headers: [MessageHeader]) {
        var text: [String: String] = [:]
        for header in headers where Name.all.contains(header.name) {
            // The last one wins, as for the dead letter of a dead letter.
            text[header.name] = header.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        guard let reason = text[Name.reason] else { return nil }
        self.init(reason: Reason(rawValue: reason), detail: text[Name.detail] ?? "")
        contract = text[Name.contract].flatMap { Int($0) } ?? 0
        attempts = text[Name.attempts].flatMap { Int($0) }
        firstFailureAt = text[Name.firstFailureAt].flatMap { Timestamp(rfc3339: $0) }
        lastFailureAt = text[Name.lastFailureAt].flatMap { Timestamp(rfc3339: $0) }
        if let topic = text[Name.sourceTopic], let partition = text[Name.sourcePartition].flatMap({ Int32($0) }),
            let offset = text[Name.sourceOffset].flatMap({ Int64($0) })
        {
            source = SourcePosition(topic: topic, partition: partition, offset: offset)
        } else if let legacy = text[Name.legacySource] {
            let parts = legacy.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count >= 3, let partition = Int32(parts[parts.count - 2]),
                let offset = Int64(parts[parts.count - 1])
            {
                source = SourcePosition(
                    topic: parts.dropLast(2).joined(separator: "/"),
                    partition: partition,
                    offset: offset
                )
            }
        }
        guard contract == 0 else { return }
        if let parkedAt = text[Name.legacyParkedAt] {
            self.reason = .rewardParked
            if detail.isEmpty { detail = reason }
            if lastFailureAt == nil { lastFailureAt = Timestamp(rfc3339: parkedAt) }
        } else if reason == "not a reward command" {
            self.reason = .notARewardCommand
            if detail.isEmpty { detail = reason }
        }
    }
}
