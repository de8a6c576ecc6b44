import Domain

/// A deterministic stream of check-in messages for the embedded demo and the benchmarks: members check in
/// day after day (so streaks, breaks and bonuses happen), with duplicates and malformed messages mixed in.
/// Day-major order keeps every member's requests in time order, as a real upstream would send them.
package struct CheckInWorkload: IteratorProtocol {
    package struct Settings {
        package var eventIDs: [Int64]
        package var members: Int
        package var days: Int
        /// The instant day 0 starts (local midnight in the events' timezone).
        package var firstDay: Timestamp
        package var attendProbability = 0.9
        package var duplicateRate = 0.05
        /// A second tap on the same day with a new request id (ALREADY_CHECKED_IN).
        package var retapRate = 0.02
        package var malformedRate = 0.01
        /// Stop after this many messages (nil: endless, repeating the days with new request ids).
        package var total: Int?
        /// Each pass over the days after the first uses the next block of `members` member ids, so an endless
        /// stream keeps producing new member-days (successes, streaks, bonuses) instead of only
        /// ALREADY_CHECKED_IN. The days cannot move past today: a request more than five minutes ahead of its
        /// message is refused (REQUESTED_AT_IN_FUTURE). Off for the benchmarks, which measure repeats on purpose.
        package var newMembersEachRound = false
        package var seed: UInt64 = 42

        package init(
            eventIDs: [Int64],
            members: Int,
            days: Int,
            firstDay: Timestamp,
            total: Int? = nil,
            newMembersEachRound: Bool = false,
            seed: UInt64 = 42
        ) {
            self.eventIDs = eventIDs
            self.members = members
            self.days = days
            self.firstDay = firstDay
            self.total = total
            self.newMembersEachRound = newMembersEachRound
            self.seed = seed
        }
    }

    package enum Kind { case valid, duplicate, malformed }

    package struct Message {
        package let key: [UInt8]?
        package let value: [UInt8]
        package let kind: Kind
    }

    package let settings: Settings
    private var random: SplitMix64
    package private(set) var produced = 0
    package private(set) var counts: [Kind: Int] = [:]
    private var day = 0
    private var round = 0
    private var memberIndex = 0
    private var queued: [Message] = []

    package init(_ settings: Settings) {
        self.settings = settings
        self.random = SplitMix64(seed: settings.seed)
    }

    package mutating func next() -> Message? {
        if let total = settings.total, produced >= total { return nil }
        while queued.isEmpty { advance() }
        let message = queued.removeFirst()
        produced += 1
        counts[message.kind, default: 0] += 1
        return message
    }

    private mutating func advance() {
        if memberIndex == settings.members {
            memberIndex = 0
            day += 1
            if day == settings.days {
                day = 0
                round += 1
            }
        }
        // A cheap per-day permutation of members: i * stride + offset (mod members), stride coprime.
        let stride = Self.coprimeStride(settings.members, day: day)
        let position = (memberIndex * stride + day * 7919) % settings.members
        memberIndex += 1
        let cohort = settings.newMembersEachRound ? round * settings.members : 0
        let memberID = Int64(1_001 + cohort + position)
        let eventID = settings.eventIDs[position % settings.eventIDs.count]
        if random.nextDouble() < settings.malformedRate {
            queued.append(malformed(eventID: eventID, memberID: memberID))
        }
        guard random.nextDouble() < settings.attendProbability else { return }
        let secondOfDay = Int64((position * 37 + day * 101) % 86_000)
        let requestedAt = settings.firstDay.adding(seconds: Int64(day) * 86_400 + secondOfDay)
        let requestID = round == 0 ? "r\(eventID)-\(memberID)-\(day)" : "r\(eventID)-\(memberID)-\(day)-\(round)"
        let key = Array("\(eventID):\(memberID)".utf8)
        let value = Self.checkIn(requestID: requestID, eventID: eventID, memberID: memberID, at: "\(requestedAt)")
        queued.append(Message(key: key, value: value, kind: .valid))
        if random.nextDouble() < settings.duplicateRate {
            queued.append(Message(key: key, value: value, kind: .duplicate))
        }
        if random.nextDouble() < settings.retapRate {
            let retap = Self.checkIn(
                requestID: "\(requestID)-again",
                eventID: eventID,
                memberID: memberID,
                at: "\(requestedAt.adding(seconds: 60))",
                channel: "WEB"
            )
            queued.append(Message(key: key, value: retap, kind: .valid))
        }
    }

    /// A well-formed check-in request as upstream services send it (schema in `topics/`). The malformed ones below
    /// are written by hand: no writer produces them.
    private static func checkIn(
        requestID: String,
        eventID: Int64,
        memberID: Int64,
        at requestedAt: String,
        channel: String = "APP"
    ) -> [UInt8] {
        var json = JSONText(reservingCapacity: 160)
        json.beginObject()
        json.field("request_id", requestID)
        json.field("event_id", eventID)
        json.field("member_id", memberID)
        json.field("requested_at", requestedAt)
        json.field("channel", channel)
        json.endObject()
        return json.utf8
    }

    private mutating func malformed(eventID: Int64, memberID: Int64) -> Message {
        let key = Array("\(eventID):\(memberID)".utf8)
        let value: [UInt8]
        switch random.next() % 6 {
        case 0: value = Array("{\"request_id\": \"x\", \"event_id\": ".utf8)
        case 1: value = Array("{\"request_id\":\"m\",\"event_id\":\(eventID),\"member_id\":\(memberID + 1)}".utf8)
        case 2: value = Array("{\"event_id\":\(eventID),\"member_id\":\(memberID)}".utf8)
        case 3: value = Array("{\"request_id\":\"s\",\"event_id\":\"\(eventID)\",\"member_id\":\(memberID)}".utf8)
        case 4: value = [0xFF, 0xFE, 0x7B, 0x00, 0xC3]
        default: value = Array("[1,2,3]".utf8)
        }
        return Message(key: key, value: value, kind: .malformed)
    }

    private static func coprimeStride(_ members: Int, day: Int) -> Int {
        guard members > 2 else { return 1 }
        var candidate = (members / 2 + 1 + day * 2) % members
        while candidate < 2 || gcd(candidate, members) != 1 { candidate = (candidate + 1) % members }
        return candidate
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}

/// SplitMix64: a tiny, fast, seedable generator, so a workload is the same on every run.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    package mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
