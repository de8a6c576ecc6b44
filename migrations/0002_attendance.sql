-- The event log (every attempt), the success projection (exactly as the seed's core definition) and the
-- reward snapshot. Nothing here is updated by the check-in consumer except the reward log's settlement columns.

CREATE TABLE event_attendance_log (
    id                 BIGSERIAL PRIMARY KEY,
    event_id           BIGINT      NOT NULL,
    member_id          BIGINT      NOT NULL,
    request_id         TEXT        NOT NULL,
    status             TEXT        NOT NULL CHECK (status IN ('CHECK_IN', 'FAIL')),
    fail_reason        TEXT,
    fail_detail        TEXT,
    requested_at       TIMESTAMPTZ,
    attendance_date    DATE,
    channel            TEXT,
    policy_version     INTEGER,
    source_topic       TEXT        NOT NULL,
    source_partition   INTEGER     NOT NULL,
    source_offset      BIGINT      NOT NULL,
    message_timestamp  TIMESTAMPTZ,
    trace_parent       TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chk_att_log_fail_reason CHECK ((status = 'FAIL') = (fail_reason IS NOT NULL)),
    -- (event_id, request_id) identifies one attempt: redelivery and upstream retries change nothing.
    CONSTRAINT uq_att_log_event_request UNIQUE (event_id, request_id)
);
CREATE INDEX idx_att_log_event_member ON event_attendance_log (event_id, member_id);
COMMENT ON TABLE event_attendance_log IS 'every processed check-in request, success or failure (append-only)';

CREATE TABLE event_attendance_history (
    id BIGSERIAL PRIMARY KEY,

    event_id BIGINT NOT NULL
        REFERENCES event(id) ON DELETE CASCADE,

    member_id BIGINT NOT NULL,

    attendance_log_id BIGINT NOT NULL
        REFERENCES event_attendance_log(id),

    -- attendance day computed in the policy timezone
    attendance_date DATE NOT NULL,

    -- progress snapshot at the moment of the success
    total_attendance_count INTEGER NOT NULL CHECK (total_attendance_count > 0),
    streak_attendance_count INTEGER NOT NULL CHECK (streak_attendance_count > 0),
    CONSTRAINT chk_attendance_count_order
        CHECK (streak_attendance_count <= total_attendance_count),

    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,

    -- in one event, one member succeeds at most once per date
    CONSTRAINT uq_att_history_event_member_date
        UNIQUE (event_id, member_id, attendance_date),

    -- one success log links to exactly one history row
    CONSTRAINT uq_att_history_log
        UNIQUE (attendance_log_id)
);

CREATE INDEX idx_att_history_event_member_date_desc
    ON event_attendance_history(event_id, member_id, attendance_date DESC);

CREATE INDEX idx_att_history_member_event_date_desc
    ON event_attendance_history(member_id, event_id, attendance_date DESC);

COMMENT ON TABLE event_attendance_history IS
'confirmed attendance successes (once a day, append-only)';

-- One row per earned reward, created PENDING in the same transaction as the success. It is the reward
-- snapshot (what was earned, under which key); settlement state and attempts are recorded here, never in history.
CREATE TABLE event_attendance_reward_log (
    id                     BIGSERIAL PRIMARY KEY,
    idempotency_key        TEXT        NOT NULL,
    event_id               BIGINT      NOT NULL REFERENCES event(id) ON DELETE CASCADE,
    member_id              BIGINT      NOT NULL,
    attendance_history_id  BIGINT      NOT NULL REFERENCES event_attendance_history(id),
    attendance_date        DATE        NOT NULL,
    reward_kind            TEXT        NOT NULL CHECK (reward_kind IN ('DAILY', 'BONUS')),
    bonus_rule_id          TEXT,
    reward_type            TEXT        NOT NULL CHECK (reward_type IN ('POINT', 'COUPON')),
    point_amount           BIGINT,
    coupon_group_id        TEXT,
    status                 TEXT        NOT NULL DEFAULT 'PENDING',
    attempts               INTEGER     NOT NULL DEFAULT 0,
    transaction_id         TEXT,
    last_error             TEXT,
    next_attempt_at        TIMESTAMPTZ,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_att_reward_key UNIQUE (idempotency_key)
);
CREATE INDEX idx_att_reward_open ON event_attendance_reward_log (status, next_attempt_at)
    WHERE status <> 'SUCCEEDED';
COMMENT ON TABLE event_attendance_reward_log IS 'earned rewards (snapshot) and their settlement state';
