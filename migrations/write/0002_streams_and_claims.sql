-- Stream heads: each stream's current version and a snapshot of its folded state, written in the
-- same transaction as its events. Derived data: a replay of the events gives the same rows.
CREATE TABLE streams (
    stream_id    UUID        NOT NULL PRIMARY KEY,
    stream_type  TEXT        NOT NULL,
    version      BIGINT      NOT NULL CHECK (version > 0),
    parent_id    UUID,
    snapshot     JSONB       NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX streams_type_parent_idx ON streams (stream_type, parent_id);

-- Values unique across the catalog (SKUs, a family's variant combinations, brand names, family
-- codes), each held by one stream. Also derived from the events.
CREATE TABLE claims (
    claim      TEXT NOT NULL PRIMARY KEY,
    stream_id  UUID NOT NULL
);
CREATE INDEX claims_stream_idx ON claims (stream_id);
