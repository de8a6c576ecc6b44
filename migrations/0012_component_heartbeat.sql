-- One row per running component instance (consumer, relay, settler): its heartbeat and last error, so that
-- `attendance status` in another process can show them. Services also create it if missing (looking first),
-- but under the least-privilege role they cannot: this migration creates it and grants the role its rows.
CREATE TABLE IF NOT EXISTS component_heartbeat (
    component      TEXT        NOT NULL,
    instance       TEXT        NOT NULL,
    started_at     TIMESTAMPTZ NOT NULL,
    heartbeat_at   TIMESTAMPTZ NOT NULL,
    last_error     TEXT,
    last_error_at  TIMESTAMPTZ,
    PRIMARY KEY (component, instance)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON component_heartbeat TO attendance_app;
