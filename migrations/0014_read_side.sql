-- The read side (PRODUCT §9): what the HTTP API and `attendance report` read, each from an index.
--
-- Outcome by (event, request id): the log's unique key uq_att_log_event_request.
-- A member's days: the seed's idx_att_history_event_member_date_desc.
-- A member's rewards: this index (the reward log had only its idempotency key, whose text order under a
-- non-C collation does not keep one member's keys together).
CREATE INDEX IF NOT EXISTS idx_att_reward_event_member_date
    ON event_attendance_reward_log (event_id, member_id, attendance_date);

-- Per-day outcome counters of an event, maintained in the check-in batch transaction with one upsert per
-- batch, so an event's summary reads a few rows per day instead of counting the log. `outcome` is CHECK_IN,
-- NEW_PARTICIPANT (a member's first success) or a fail reason. The day is the request's attendance day in the
-- policy timezone (for a request without a usable requested_at: the day it was processed, in that timezone).
-- Rows are per source partition: a partition has one writer at a time (the offset fence), so two consumers
-- never wait on each other's counter rows.
CREATE TABLE IF NOT EXISTS event_attendance_daily_count (
    event_id          BIGINT  NOT NULL,
    attendance_date   DATE    NOT NULL,
    outcome           TEXT    NOT NULL,
    source_partition  INTEGER NOT NULL,
    requests          BIGINT  NOT NULL CHECK (requests >= 0),
    PRIMARY KEY (event_id, attendance_date, outcome, source_partition)
);
COMMENT ON TABLE event_attendance_daily_count IS
'check-in outcomes per event, attendance day and source partition (summed by the event summary)';

-- Counters for what is already recorded. Partition -1 marks backfilled counts, so the counts the consumers
-- add from now on never meet them on one row.
INSERT INTO event_attendance_daily_count (event_id, attendance_date, outcome, source_partition, requests)
SELECT l.event_id,
       coalesce(l.attendance_date, (l.created_at AT TIME ZONE coalesce(e.timezone, 'UTC'))::date),
       coalesce(l.fail_reason, 'CHECK_IN'),
       -1,
       count(*)
FROM event_attendance_log l
JOIN event e ON e.id = l.event_id
GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING;

INSERT INTO event_attendance_daily_count (event_id, attendance_date, outcome, source_partition, requests)
SELECT h.event_id, h.attendance_date, 'NEW_PARTICIPANT', -1, count(*)
FROM event_attendance_history h
WHERE h.total_attendance_count = 1
GROUP BY 1, 2
ON CONFLICT DO NOTHING;

GRANT SELECT, INSERT, UPDATE ON event_attendance_daily_count TO attendance_app;
