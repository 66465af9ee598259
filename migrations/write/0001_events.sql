-- The event store: the single source of truth and the audit trail.
--
-- `position` is the global order: the appending transaction's 64-bit id times 65536, plus the
-- event's ordinal within the append (append_events() sets it). Transaction ids are handed out in
-- increasing order and never wrap (xid8), so a reader that reads only the events of transactions
-- below the oldest one still running (pg_snapshot_xmin) reads a prefix of the final order: no
-- event can later appear at or below a position it has already read, however late its
-- transaction commits. No lock serializes writers: positions are sparse, and strictly increasing.

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

COMMENT ON TABLE events IS 'Every change to the catalog, in global order; never updated or deleted.';
