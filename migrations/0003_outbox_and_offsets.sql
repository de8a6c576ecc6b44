-- Transactional outbox: Kafka messages written in the same transaction as the facts they announce and
-- published afterwards by the relay, in id order. Rows are deleted once the broker acknowledged them.
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    topic        TEXT        NOT NULL,
    message_key  BYTEA,
    payload      BYTEA,
    -- [[header-name, hex-encoded value or null], ...]
    headers      JSONB       NOT NULL DEFAULT '[]'::jsonb,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE outbox IS 'messages waiting for the relay to publish them (deleted once acknowledged)';

-- The consumers' positions, written in the same transaction as the rows they produced: the source of
-- truth on partition assignment (Kafka's committed offsets are kept in step only for lag tooling).
CREATE TABLE consumer_offset (
    group_id     TEXT        NOT NULL,
    topic        TEXT        NOT NULL,
    partition    INTEGER     NOT NULL,
    next_offset  BIGINT      NOT NULL CHECK (next_offset >= 0),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, topic, partition)
);
COMMENT ON TABLE consumer_offset IS 'next offset to consume per group and partition (exactly-once processing)';
