-- Tamper evidence (issue 17): the events in global order, chained by SHA-256. The chainer (in
-- the command API, beside the relay) hashes each committed event after commit, in position
-- order, never past the gap-safe horizon (pg_snapshot_xmin), so no later commit can land below
-- a chained position:
--
--     hash(n) = SHA-256(hash(n-1) || canonical bytes of event n)      (hash(0) = 32 zero bytes)
--
-- `seq` numbers the chained events 1, 2, 3, …: the chain head's seq is how many events it
-- covers. Nothing references events here on purpose: the chain is evidence about the events
-- table and must survive whatever was done to it, so that a verifier can name the broken link.

CREATE TABLE event_chain (
    position BIGINT PRIMARY KEY,
    seq      BIGINT NOT NULL,
    hash     BYTEA  NOT NULL,
    CONSTRAINT event_chain_seq_key UNIQUE (seq),
    CONSTRAINT event_chain_hash_length CHECK (octet_length(hash) = 32)
);

COMMENT ON TABLE event_chain IS 'The hash chain over the events in global order (written by the chainer only).';

-- Signed checkpoints of the chain head, written periodically, exported for anchoring elsewhere.
-- The signature covers the checkpoint's canonical text (see event_store::chain), made with the
-- audit signing key named by key_id; unsigned when the installation has no audit key.
CREATE TABLE chain_checkpoints (
    position    BIGINT      PRIMARY KEY,
    seq         BIGINT      NOT NULL,
    hash        BYTEA       NOT NULL,
    signed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    key_id      TEXT,
    signature   BYTEA,
    CONSTRAINT chain_checkpoints_hash_length CHECK (octet_length(hash) = 32),
    CONSTRAINT chain_checkpoints_signed CHECK ((key_id IS NULL) = (signature IS NULL))
);
