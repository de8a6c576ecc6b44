import CommandSupport
import Domain
import Foundation
import Testing

@testable import Attendance

@Suite("Demo traffic: an endless stream keeps producing new member-days", .timeLimit(.minutes(1)))
struct CheckInWorkloadTests {
    static func settings(newMembersEachRound: Bool) -> CheckInWorkload.Settings {
        var settings = CheckInWorkload.Settings(
            eventIDs: [1, 2],
            members: 50,
            days: 3,
            firstDay: Timestamp(microsecondsSinceEpoch: 1_780_000_000_000_000)
        )
        settings.attendProbability = 1
        settings.duplicateRate = 0
        settings.retapRate = 0
        settings.malformedRate = 0
        settings.total = 50 * 3 * 4
        settings.newMembersEachRound = newMembersEachRound
        return settings
    }

    /// (event, member, day) of every valid message: what decides success or ALREADY_CHECKED_IN.
    static func memberDays(_ settings: CheckInWorkload.Settings) throws -> [String] {
        var workload = CheckInWorkload(settings)
        var memberDays: [String] = []
        while let message = workload.next() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any])
            let requestedAt = try #require(object["requested_at"] as? String)
            memberDays.append("\(object["event_id"] ?? ""):\(object["member_id"] ?? ""):\(requestedAt.prefix(10))")
        }
        return memberDays
    }

    @Test func everyRoundOfTheDemoIsNewMemberDays() throws {
        let memberDays = try Self.memberDays(Self.settings(newMembersEachRound: true))
        #expect(memberDays.count == 600)
        #expect(Set(memberDays).count == memberDays.count, "a repeated member-day is only ALREADY_CHECKED_IN")
    }

    @Test func theBenchmarksStillRepeatTheSameMembersAndDays() throws {
        let memberDays = try Self.memberDays(Self.settings(newMembersEachRound: false))
        #expect(Set(memberDays).count == 150)
    }
}
