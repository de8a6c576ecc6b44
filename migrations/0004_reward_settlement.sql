-- Reward settlement (PRODUCT §4, issue 3). The reward log row is the reward's state machine:
--   PENDING ──► SUCCEEDED (transaction_id) | FAILED (permanent 4xx, last_error) | BUDGET_EXCEEDED | PARKED
--   PARKED  ──► PENDING   (an operator's `rewards retry`)
-- Every transition is a guarded UPDATE (WHERE status = 'PENDING' …) in the transaction that also writes its
-- outbox messages, so a final outcome is recorded and announced once, however often a command is redelivered.
--
-- next_attempt_at is both the retry schedule and the lease of an attempt in flight: a claim moves it to
-- now() + lease, so a settler that dies mid-call leaves a row that becomes due again when the lease ends and is
-- re-driven with the same idempotency key (the API returns the first transaction_id).

ALTER TABLE event_attendance_reward_log
    ADD CONSTRAINT chk_att_reward_status
        CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'BUDGET_EXCEEDED', 'PARKED')),
    ADD CONSTRAINT chk_att_reward_succeeded_has_transaction
        CHECK ((status = 'SUCCEEDED') = (transaction_id IS NOT NULL)),
    -- attempts already made when an operator last re-drove the reward: the park limit counts from here.
    ADD COLUMN attempts_at_redrive INTEGER NOT NULL DEFAULT 0,
    -- true while the reward holds its share of the event's budget (reserved before the first call).
    ADD COLUMN budget_reserved BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN settled_at TIMESTAMPTZ;

-- Fresh rows (next_attempt_at IS NULL) are settled from Kafka; the scheduler re-drives due ones by this index.
CREATE INDEX idx_att_reward_due ON event_attendance_reward_log (next_attempt_at)
    WHERE status = 'PENDING' AND next_attempt_at IS NOT NULL;
-- Safety net: a pending reward no settler ever claimed (its command lost or skipped) is swept up after a grace.
CREATE INDEX idx_att_reward_unclaimed ON event_attendance_reward_log (created_at)
    WHERE status = 'PENDING' AND next_attempt_at IS NULL;

-- Every call to a reward API, one row per attempt, append-only. An attempt whose settler died mid-call has
-- no row here, but the counter on the reward log row still counts it.
CREATE TABLE event_attendance_reward_attempt (
    id               BIGSERIAL PRIMARY KEY,
    reward_log_id    BIGINT      NOT NULL REFERENCES event_attendance_reward_log(id) ON DELETE CASCADE,
    attempt          INTEGER     NOT NULL CHECK (attempt > 0),
    started_at       TIMESTAMPTZ NOT NULL,
    latency_ms       DOUBLE PRECISION NOT NULL CHECK (latency_ms >= 0),
    http_status      INTEGER,
    -- PAID, REJECTED (permanent), RETRYABLE (known not paid), UNKNOWN (timeout / lost response: maybe paid)
    outcome          TEXT        NOT NULL CHECK (outcome IN ('PAID', 'REJECTED', 'RETRYABLE', 'UNKNOWN')),
    transaction_id   TEXT,
    error            TEXT,
    recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_att_reward_attempt_reward ON event_attendance_reward_attempt (reward_log_id);
COMMENT ON TABLE event_attendance_reward_attempt IS 'every call to a reward API (time, HTTP status or error, latency)';

-- Budget reservations per event. The caps themselves are in the event policy (point_budget, coupon_budget) and
-- follow its current version; a reservation is one guarded UPDATE on this row, so concurrent settlers serialise
-- on the row lock and can never reserve past the cap.
CREATE TABLE event_reward_budget_usage (
    event_id          BIGINT PRIMARY KEY REFERENCES event(id) ON DELETE CASCADE,
    points_reserved   BIGINT NOT NULL DEFAULT 0 CHECK (points_reserved >= 0),
    coupons_reserved  BIGINT NOT NULL DEFAULT 0 CHECK (coupons_reserved >= 0),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE event_reward_budget_usage IS 'points and coupons reserved against the event policy caps';
