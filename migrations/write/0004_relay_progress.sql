-- How far the relay has published the global order to JetStream: the position of the last event
-- whose PubAck it has received. One row; the relay that holds the relay lock advances it.
CREATE TABLE relay_progress (
    id          SMALLINT    NOT NULL PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    position    BIGINT      NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO relay_progress (id, position) VALUES (1, 0);
