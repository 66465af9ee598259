-- The read database: projections of the event store. Each projection records how far it has got
-- (the global position of the last event applied) in the same transaction as its rows.
CREATE TABLE projection_checkpoints (
    projection  TEXT        NOT NULL PRIMARY KEY,
    position    BIGINT      NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
