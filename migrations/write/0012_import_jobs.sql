-- Import jobs: a catalog file uploaded once (`POST /v1/imports`) and applied in the background by
-- the command API's import workers (command-api/src/jobs.rs).
--
-- The upload is written in one transaction with its job row, so a broken upload leaves nothing.
-- A worker claims a job by setting a lease (`lease_until`); a job whose lease ran out (its worker
-- died) is claimed again and resumes at `next_row`: rows before it were handled and are counted.
CREATE TABLE import_jobs (
    id            UUID        PRIMARY KEY,
    -- The user who submitted it: the actor of every command it runs.
    owner         UUID        NOT NULL,
    actor_role    TEXT        NOT NULL,
    encoding      TEXT        NOT NULL CHECK (encoding IN ('ndjson', 'csv')),
    dry_run       BOOLEAN     NOT NULL,
    state         TEXT        NOT NULL CHECK (state IN ('queued', 'running', 'done', 'cancelled', 'failed')),
    bytes         BIGINT      NOT NULL DEFAULT 0,
    -- Bytes of the file read up to `next_row` (for an estimate of what is left).
    bytes_done    BIGINT      NOT NULL DEFAULT 0,
    rows_read     BIGINT      NOT NULL DEFAULT 0,
    applied       BIGINT      NOT NULL DEFAULT 0,
    created       BIGINT      NOT NULL DEFAULT 0,
    updated       BIGINT      NOT NULL DEFAULT 0,
    unchanged     BIGINT      NOT NULL DEFAULT 0,
    checked       BIGINT      NOT NULL DEFAULT 0,
    refused       BIGINT      NOT NULL DEFAULT 0,
    error_count   BIGINT      NOT NULL DEFAULT 0,
    -- Rows (numbered from 1 as the file counts them) before this one are handled and counted.
    next_row      BIGINT      NOT NULL DEFAULT 1,
    failure       TEXT,
    lease_until   TIMESTAMPTZ,
    -- The claim of the worker holding the lease: its checkpoints write only while it holds it.
    claim         UUID,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- What a worker looks for: queued jobs, and running ones whose lease may have run out.
CREATE INDEX import_jobs_pending_idx ON import_jobs (created_at) WHERE state IN ('queued', 'running');

-- The uploaded file, in chunks of about 1 MiB, deleted when the job ends.
CREATE TABLE import_chunks (
    job_id UUID    NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    data   BYTEA   NOT NULL,
    PRIMARY KEY (job_id, seq)
);

-- The errors of refused rows (row 0: the file's own, such as a bad CSV header).
CREATE TABLE import_errors (
    job_id      UUID   NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    row         BIGINT NOT NULL,
    external_id TEXT,
    field       TEXT   NOT NULL,
    code        TEXT   NOT NULL,
    message     TEXT   NOT NULL
);
CREATE INDEX import_errors_job_row_idx ON import_errors (job_id, row);
