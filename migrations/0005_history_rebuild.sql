-- Rebuilding event_attendance_history from the event log (`attendance replay history`, PRODUCT §6).
--
-- Both tables are UNLOGGED: everything in them is re-derivable from event_attendance_log, so they skip the
-- WAL (the rebuild writes as fast as COPY allows). After a server crash Postgres empties unlogged tables;
-- the run and its shadow rows vanish together and the next rebuild simply starts over.

-- The rebuilt projection: the same columns and keys as the live table, keyed by the log row it comes from,
-- so the diff and the swap match rows by attendance_log_id and the live ids (referenced by the reward log)
-- never change.
CREATE UNLOGGED TABLE event_attendance_history_rebuild (
    attendance_log_id        BIGINT  PRIMARY KEY,
    event_id                 BIGINT  NOT NULL,
    member_id                BIGINT  NOT NULL,
    attendance_date          DATE    NOT NULL,
    total_attendance_count   INTEGER NOT NULL CHECK (total_attendance_count > 0),
    streak_attendance_count  INTEGER NOT NULL CHECK (streak_attendance_count > 0),
    CONSTRAINT chk_att_rebuild_count_order CHECK (streak_attendance_count <= total_attendance_count),
    CONSTRAINT uq_att_rebuild_event_member_date UNIQUE (event_id, member_id, attendance_date)
);
COMMENT ON TABLE event_attendance_history_rebuild IS
'shadow of event_attendance_history rebuilt from the log by replay history (unlogged, re-derivable)';

-- The one rebuild of this schema (a single row): where it stopped, in (event_id, member_id, log id) order,
-- and the counters of the member it stopped in, written in the same transaction as the shadow rows, so a
-- stopped rebuild resumes exactly where its last chunk committed.
CREATE UNLOGGED TABLE history_rebuild_run (
    singleton         BOOLEAN     PRIMARY KEY DEFAULT true CHECK (singleton),
    status            TEXT        NOT NULL CHECK (status IN ('RUNNING', 'COMPLETE', 'SWAPPED')),
    rows_expected     BIGINT      NOT NULL,
    rows_replayed     BIGINT      NOT NULL DEFAULT 0,
    rows_written      BIGINT      NOT NULL DEFAULT 0,
    skipped_same_day  BIGINT      NOT NULL DEFAULT 0,
    skipped_earlier   BIGINT      NOT NULL DEFAULT 0,
    date_mismatches   BIGINT      NOT NULL DEFAULT 0,
    missing_policies  BIGINT      NOT NULL DEFAULT 0,
    last_event_id     BIGINT,
    last_member_id    BIGINT,
    last_log_id       BIGINT,
    last_date         DATE,
    last_total        INTEGER,
    last_streak       INTEGER,
    started_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE history_rebuild_run IS 'progress of the current history rebuild (keyset checkpoint), for resuming';

-- Log rows the rebuild could not turn into history rows (a second success on one day, or a day before the
-- member's latest success), for operators to look at; the catch-up before a diff or swap skips them too.
CREATE UNLOGGED TABLE history_rebuild_skipped (
    attendance_log_id  BIGINT PRIMARY KEY,
    reason             TEXT   NOT NULL CHECK (reason IN ('SAME_DAY', 'EARLIER_DAY', 'NO_DAY'))
);
COMMENT ON TABLE history_rebuild_skipped IS 'CHECK_IN log rows the current rebuild skipped, with the reason';
