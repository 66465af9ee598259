-- Stream heads: the current version and a snapshot of the folded state of the streams that other
-- commands read (categories, families, brands), written in the same transaction as their events.
-- Derived data: a replay of the events gives the same rows. Products have no head row: their
-- streams are short and folded from their events.
CREATE TABLE streams (
    stream_id    UUID        NOT NULL PRIMARY KEY,
    stream_type  TEXT        NOT NULL,
    version      BIGINT      NOT NULL CHECK (version > 0),
    parent_id    UUID,
    snapshot     JSONB       NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
-- Only categories and families are looked up by type and parent (the tree, the leaves holding
-- families); products, by far the most rows, stay out of this index.
CREATE INDEX streams_type_parent_idx ON streams (stream_type, parent_id) WHERE stream_type IN ('category', 'family');

-- Values unique across the catalog (SKUs, a family's variant combinations, brand names, family
-- codes), each held by one stream. Also derived from the events.
CREATE TABLE claims (
    claim      TEXT NOT NULL PRIMARY KEY,
    stream_id  UUID NOT NULL
);
