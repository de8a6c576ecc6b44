-- Events and their attendance policies. The operator's JSON file is the source of truth (`events apply`);
-- every applied change becomes a new row in event_policy_version, and each attendance log row records
-- the version that decided it. Reward rules are validated in the application, not by CHECKs (seed note).

CREATE TABLE event (
    id                     BIGINT PRIMARY KEY,
    name                   TEXT        NOT NULL,
    status                 TEXT        NOT NULL,
    starts_at              TIMESTAMPTZ NOT NULL,
    ends_at                TIMESTAMPTZ NOT NULL,
    timezone               TEXT        NOT NULL,
    max_attendance_days    INTEGER,
    max_participants       INTEGER,
    daily_reward_type      TEXT,
    daily_point_amount     BIGINT,
    daily_coupon_group_id  TEXT,
    policy_version         INTEGER     NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE event IS 'events with their current attendance policy (denormalised from event_policy_version)';

CREATE TABLE event_attendance_bonus_rule (
    event_id               BIGINT  NOT NULL REFERENCES event(id) ON DELETE CASCADE,
    rule_id                TEXT    NOT NULL,
    position               INTEGER NOT NULL,
    trigger_type           TEXT    NOT NULL,
    trigger_count          INTEGER NOT NULL,
    repeat                 BOOLEAN NOT NULL,
    bonus_reward_type      TEXT    NOT NULL,
    bonus_point_amount     BIGINT,
    bonus_coupon_group_id  TEXT,
    PRIMARY KEY (event_id, rule_id)
);
COMMENT ON TABLE event_attendance_bonus_rule IS 'bonus rules of the current policy version, for reading; decisions use event_policy_version';

CREATE TABLE event_policy_version (
    event_id    BIGINT      NOT NULL REFERENCES event(id) ON DELETE CASCADE,
    version     INTEGER     NOT NULL,
    policy      JSONB       NOT NULL,
    checksum    TEXT        NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, version)
);
COMMENT ON TABLE event_policy_version IS 'every applied version of an event policy (canonical JSON), immutable';

-- Distinct members with at least one success, per event: the max_participants counter.
CREATE TABLE event_participant_count (
    event_id      BIGINT PRIMARY KEY REFERENCES event(id) ON DELETE CASCADE,
    participants  BIGINT NOT NULL CHECK (participants >= 0)
);
