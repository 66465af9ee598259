-- The event store: the single source of truth and the audit trail.
--
-- `position` is the global order. Positions and transaction ids are handed out together, inside a
-- short lock taken by append_events(), so that a higher position always belongs to a transaction
-- that started its append later. A reader that reads only events whose transaction id is below the
-- oldest transaction still running (pg_snapshot_xmin) therefore reads a prefix of the final order:
-- no event can later appear below a position it has already read.
CREATE SEQUENCE events_position_seq AS BIGINT;

CREATE TABLE events (
    position        BIGINT      NOT NULL,
    event_id        UUID        NOT NULL,
    stream_id       UUID        NOT NULL,
    stream_type     TEXT        NOT NULL,
    version         BIGINT      NOT NULL,
    event_type      TEXT        NOT NULL,
    schema_version  SMALLINT    NOT NULL,
    payload         JSONB       NOT NULL,
    actor_id        TEXT        NOT NULL,
    actor_role      TEXT        NOT NULL,
    request_id      TEXT        NOT NULL,
    correlation_id  UUID        NOT NULL,
    causation_id    UUID,
    recorded_at     TIMESTAMPTZ NOT NULL,
    transaction_id  XID8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_pkey PRIMARY KEY (position),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
    CONSTRAINT events_version_positive CHECK (version > 0)
);
ALTER SEQUENCE events_position_seq OWNED BY events.position;

COMMENT ON TABLE events IS 'Every change to the catalog, in global order; never updated or deleted.';
