-- Least privilege for the running services (consume, relay, settle): the role `attendance_app` may read and
-- append what they need and nothing more — no DDL, no DELETE or UPDATE on the append-only log and history.
-- Operator tasks (migrate, events apply, replay) run as the schema owner. Roles are cluster-wide, so the
-- role is created once; each schema migrated grants it its own privileges. A DBA gives services a login:
--   CREATE ROLE attendance_consumer LOGIN PASSWORD '…' IN ROLE attendance_app;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'attendance_app') THEN
        CREATE ROLE attendance_app NOLOGIN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO attendance_app', current_schema());
END $$;

-- Read-only configuration.
GRANT SELECT ON event, event_policy_version, event_attendance_bonus_rule TO attendance_app;

-- Append-only facts: insert and read, never change or remove.
GRANT SELECT, INSERT ON event_attendance_log, event_attendance_history TO attendance_app;
GRANT SELECT, INSERT ON event_attendance_reward_attempt TO attendance_app;

-- Settlement state moves forward (UPDATE), rows are never deleted.
GRANT SELECT, INSERT, UPDATE ON event_attendance_reward_log, event_reward_budget_usage TO attendance_app;

-- Counters and positions.
GRANT SELECT, INSERT, UPDATE ON event_participant_count, consumer_offset TO attendance_app;

-- The outbox is a queue: the relay deletes what the broker acknowledged.
GRANT SELECT, INSERT, DELETE ON outbox TO attendance_app;

DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO attendance_app', current_schema());
END $$;
