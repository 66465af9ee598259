-- Media on S3 (issue 16, docs/design/media-plan.md §5): the upload sessions of the presigned
-- flow, the variant jobs, which media reference which keys, and the orphan GC's candidates.
-- Events stay the truth about media; these tables are the write side's bookkeeping around S3,
-- which has no transactions of its own.

-- One presigned upload, from `POST /v1/media/uploads` until it is completed, refused or expired.
-- `result_status`/`result` hold the answer of the completion, replayed verbatim by a second one.
CREATE TABLE media_uploads (
    id             UUID PRIMARY KEY,
    created_by     UUID NOT NULL,
    owner_type     TEXT NOT NULL,
    owner_id       UUID NOT NULL,
    replaces       UUID,
    medium_id      UUID NOT NULL,
    role           TEXT NOT NULL,
    filename       TEXT NOT NULL,
    details        JSONB NOT NULL,
    content_type   TEXT NOT NULL,
    declared_size  BIGINT NOT NULL,
    quarantine_key TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending',
    lease_until    TIMESTAMPTZ,
    result_status  SMALLINT,
    result         JSONB,
    position       BIGINT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT media_uploads_owner_type CHECK (owner_type IN ('product', 'family')),
    CONSTRAINT media_uploads_declared_size CHECK (declared_size > 0),
    CONSTRAINT media_uploads_state CHECK (state IN ('pending', 'verifying', 'completed', 'refused', 'expired')),
    CONSTRAINT media_uploads_quarantine_key UNIQUE (quarantine_key),
    CONSTRAINT media_uploads_answered CHECK ((state IN ('completed', 'refused')) = (result IS NOT NULL))
);

-- The sweeper's scan: open uploads by expiry.
CREATE INDEX media_uploads_open_expiry ON media_uploads (expires_at) WHERE state IN ('pending', 'verifying');

-- An image whose variants are still to be made (deleted when they are recorded, or when the
-- medium was detached or replaced meanwhile; kept with `last_error` after the last attempt).
CREATE TABLE media_variant_jobs (
    medium_id    UUID NOT NULL,
    sha256       TEXT NOT NULL,
    media_stream UUID NOT NULL,
    source_key   TEXT NOT NULL,
    spec         SMALLINT NOT NULL,
    lease_until  TIMESTAMPTZ,
    not_before   TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts     INT NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT media_variant_jobs_pkey PRIMARY KEY (medium_id, sha256)
);

-- The workers' claim: due jobs not yet given up on.
CREATE INDEX media_variant_jobs_due ON media_variant_jobs (not_before) WHERE attempts < 5;

-- Which medium references which key (originals and variants). Two media with the same bytes
-- share a key and have a row each, so detaching one keeps the object referenced.
CREATE TABLE media_objects (
    key       TEXT NOT NULL,
    medium_id UUID NOT NULL,
    CONSTRAINT media_objects_pkey PRIMARY KEY (key, medium_id)
);

CREATE INDEX media_objects_medium ON media_objects (medium_id);

-- Keys found in the bucket that nothing references, since when: deleted after the grace period.
CREATE TABLE media_gc_candidates (
    key                TEXT NOT NULL,
    unreferenced_since TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT media_gc_candidates_pkey PRIMARY KEY (key)
);
