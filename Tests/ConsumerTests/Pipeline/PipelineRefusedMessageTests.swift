import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    @Suite("a message the database keeps refusing is set aside, the partition goes on", .timeLimit(.minutes(5)))
    struct RefusedMessage {
        static let event = EventFixture(id: 98, dailyReward: #"{"type": "POINT", "point_amount": 1}"#)

        static func request(_ id: String, member: Int64, day: Int) -> CheckInFixture {
            let date = AttendanceDate(year: 2026, month: 7, day: 1)!.adding(days: day - 1)
            return CheckInFixture(eventID: 98, memberID: member, requestID: id, requestedAt: "\(date)T09:00:00+09:00")
        }

        @Test func theRefusedMessageGoesToTheDLQAndItsNeighboursAreLogged() async throws {
            try await Pipeline.with { pipeline in
                let group = "pipeline-refused"
                try await pipeline.blocking { () throws in
                    try pipeline.applyEvent(Self.event.json)
                    // Stands for any value that passed validation but that the database will never accept.
                    _ = try pipeline.rows(
                        """
                        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF NEW.request_id = 'poison' THEN
                                RAISE EXCEPTION 'refused by the test' USING ERRCODE = '22023';
                            END IF;
                            RETURN NEW;
                        END $$
                        """
                    )
                    _ = try pipeline.rows(
                        """
                        CREATE TRIGGER refuse_poison BEFORE INSERT ON event_attendance_log
                        FOR EACH ROW EXECUTE FUNCTION refuse_poison()
                        """
                    )
                }
                let consumer = pipeline.checkInConsumer(group: group)
                let reports = try await withServices([consumer]) {
                    try await pipeline.blocking {
                        // One key, so one partition: the refused message sits between two good ones.
                        let same = [
                            Self.request("ok-1", member: 1, day: 1), Self.request("poison", member: 1, day: 2),
                            Self.request("ok-2", member: 1, day: 3),
                        ]
                        let others = (2...20).map { Self.request("m-\($0)", member: Int64($0), day: 1) }
                        let reports = try pipeline.produce((same + others).map { $0.message() })
                        try pipeline.waitForLogRows(21, consumers: [consumer], timeout: .seconds(60))
                        try pipeline.waitUntil(
                            "the refused message is set aside",
                            detail: { Pipeline.describe([consumer]) }
                        ) {
                            consumer.statistics.snapshot.deadLettered == 1
                        }
                        return reports
                    }
                }
                try await pipeline.blocking { () throws in
                    #expect(try pipeline.count("event_attendance_log") == 21)
                    #expect(try pipeline.count("event_attendance_log", where: "request_id = 'poison'") == 0)
                    // Member 1's streak skips the refused day: day 1, then day 3 (a new streak).
                    #expect(
                        try pipeline.rows(
                            """
                            SELECT to_char(attendance_date, 'MM-DD'), total_attendance_count::text, streak_attendance_count::text
                            FROM event_attendance_history WHERE member_id = 1 ORDER BY attendance_date
                            """
                        ) == [["07-01", "1", "1"], ["07-03", "2", "1"]]
                    )
                    let deadLetters = try pipeline.outboxMessages(topic: TopicNames.standard.checkInRequestsDLQ)
                    #expect(deadLetters.count == 1)
                    #expect(
                        deadLetters.first.map { String(decoding: $0.payload ?? [], as: UTF8.self) }?
                            .contains(#""request_id": "poison""#) == true
                    )
                    let reason = deadLetters.first?.headers.first { $0.name == "dlq.reason" }?.value
                    #expect(reason.map { String(decoding: $0, as: UTF8.self) } == "UNPROCESSABLE")
                    #expect(try pipeline.storedOffsets(group: group) == Pipeline.highWatermarks(reports))
                }
            }
        }
    }
}
