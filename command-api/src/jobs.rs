//! Import jobs: a catalog file uploaded once (`POST /v1/imports`, `crate::http::imports`) and
//! applied in the background, row by row, by `Importer`.
//!
//! - Storage: the upload is streamed into `import_chunks` (about 1 MiB each) in one transaction
//!   with its `import_jobs` row, so a broken upload leaves nothing; the chunks are deleted when
//!   the job ends (done, failed or cancelled).
//! - Claiming: each worker (`work`, FERRULE_IMPORT_WORKERS per replica) takes the oldest job that
//!   is queued, or running with an expired lease, with `FOR UPDATE SKIP LOCKED`, and sets a lease
//!   of 30 seconds and a claim of its own. Its checkpoints write only while the claim is still
//!   theirs, so a worker that lost its lease stops instead of running a job alongside another.
//! - Actor: every command runs as the job's owner (the admin who submitted it), with the job's id
//!   as correlation id, and requires the owner to still be an active admin (`rights::required`):
//!   an owner disabled or demoted mid-job fails the job, with the reason.
//! - Batches: rows are applied 500 at a time (`Importer::apply_all`): a run of product rows is
//!   decided row by row and appended as one transaction, so that a large catalog imports at bulk
//!   speed while every event still comes from the domain's decisions.
//! - Checkpoints: every 2,000 rows or second (after a batch), one transaction writes the refused rows' errors to
//!   `import_errors`, the counters, `next_row` (rows before it are handled and counted) and a
//!   longer lease, and reads the state: a job cancelled meanwhile stops there.
//! - Resuming: a job whose worker died (a restart) is claimed again once its lease expires, and its
//!   file is read from the start. Rows before `next_row` are not applied again nor counted: they are
//!   only noted as seen (`Importer::note_seen`, but not those recorded as refused), so a later row
//!   repeating one of them is still `duplicate_in_file`. Rows from `next_row` on are applied again:
//!   those the stopped run had applied after its last checkpoint are upserts already done, so they
//!   append nothing and count as `unchanged` (not `created` or `updated` as the first run saw
//!   them); nothing is appended twice. Their errors were not committed with a checkpoint, so each
//!   is recorded once, by the run that checkpoints it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog_io::{CsvHeader, Encoding, Record, Row, RowError, Splitter};
use chrono::{DateTime, Utc};
use event_store::{EventStore, Metadata};
use service_http::caller::Caller;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::identity::rights;
use crate::import::{ImportSummary, Importer, NumberedRow, RowOutcome};
use crate::service::{Catalog, CommandContext};

/// How long a claim holds without a checkpoint.
const LEASE_SECS: i64 = 30;
/// How often an idle worker looks for a job (a submit on this replica wakes one at once).
const POLL: Duration = Duration::from_millis(250);
/// Rows applied together at most: a run of product rows among them is one append.
const BATCH_ROWS: usize = 500;
/// Rows between checkpoints at most.
const CHECKPOINT_ROWS: u64 = 2_000;
/// Time between checkpoints at most.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How often a worker deletes the files of ended jobs left behind (and once when it starts).
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The size of a stored chunk of an upload.
pub const CHUNK_BYTES: usize = 1 << 20;

/// A job's row as a worker claims it.
#[derive(Debug)]
struct Claimed {
    id: Uuid,
    owner: Uuid,
    actor_role: String,
    encoding: String,
    dry_run: bool,
    next_row: i64,
    rows_read: i64,
    applied: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    checked: i64,
    refused: i64,
    error_count: i64,
}

/// One import worker: claims jobs and runs them, until the pool closes.
pub async fn work(catalog: Catalog, wake: Arc<Notify>) {
    let pool = catalog.store().pool().clone();
    let mut swept: Option<Instant> = None;
    while !pool.is_closed() {
        if swept.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            swept = Some(Instant::now());
            if let Err(error) = sweep(&pool).await {
                tracing::warn!(%error, "cannot delete the files of ended import jobs now; trying again later");
            }
        }
        match claim(&pool).await {
            Ok(Some((job, claim))) => {
                let id = job.id;
                if let Err(error) = run(&catalog, job, claim).await {
                    tracing::warn!(%id, error = %format!("{error:#}"), "import job stopped; it resumes when its lease expires");
                }
            }
            Ok(None) => {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot look for import jobs now; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Deletes the files of jobs that ended while no worker held them (a running job cancelled, whose
/// worker then stopped before its next checkpoint; its worker deletes it otherwise).
async fn sweep(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM import_chunks c USING import_jobs j \
          WHERE c.job_id = j.id AND j.state IN ('done', 'failed', 'cancelled') \
            AND (j.lease_until IS NULL OR j.lease_until < now())",
    )
    .execute(pool)
    .await?;
    Ok(())
}

async fn claim(pool: &PgPool) -> Result<Option<(Claimed, Uuid)>, sqlx::Error> {
    let claim = Uuid::new_v4();
    let job = sqlx::query_as!(
        Claimed,
        "UPDATE import_jobs SET state = 'running', claim = $1, lease_until = now() + make_interval(secs => $2), \
                started_at = coalesce(started_at, now()), updated_at = now() \
          WHERE id = (SELECT id FROM import_jobs \
                       WHERE state = 'queued' OR (state = 'running' AND lease_until < now()) \
                       ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, owner, actor_role, encoding, dry_run, next_row, rows_read, applied, created, updated, \
                   unchanged, checked, refused, error_count",
        claim,
        LEASE_SECS as f64,
    )
    .fetch_optional(pool)
    .await?;
    Ok(job.map(|job| (job, claim)))
}

/// Why a run ended early.
enum Stop {
    /// Cancelled, or the claim was lost to another worker: nothing more to write.
    Quietly,
    /// The job cannot go on: failed with this reason (and the error, when it is a row's).
    Failed(String, Option<RowError>),
}

struct Run<'a> {
    pool: &'a PgPool,
    job: &'a Claimed,
    claim: Uuid,
    requires: Vec<(Uuid, serde_json::Value)>,
    /// Errors of rows since the last checkpoint.
    errors: Vec<RowError>,
    /// The next row to handle, and bytes of the file read so far.
    next_row: u64,
    bytes_done: i64,
    handled_since: u64,
    last_checkpoint: Instant,
    /// Rows read and not applied yet: applied together (`Importer::apply_all`) once there are
    /// `BATCH_ROWS` of them, before a checkpoint and at the end of the file.
    pending: Vec<NumberedRow>,
}

async fn run(catalog: &Catalog, job: Claimed, claim: Uuid) -> anyhow::Result<()> {
    let pool = catalog.store().pool();
    let role = domain::identity::Role::parse(&job.actor_role)
        .ok_or_else(|| anyhow::anyhow!("job {} has an unknown actor role {:?}", job.id, job.actor_role))?;
    let caller = Caller { user_id: job.owner, role, company: None };
    let requires = rights::required(&caller);
    let ctx = CommandContext {
        metadata: Metadata {
            actor_id: job.owner.to_string(),
            actor_role: job.actor_role.clone(),
            request_id: format!("import-{}", job.id),
            correlation_id: job.id,
            causation_id: None,
        },
        now: Utc::now(),
        requires: requires.clone(),
        idempotency: None,
    };
    let encoding = if job.encoding == "csv" { Encoding::Csv } else { Encoding::Ndjson };
    let resume_at = u64::try_from(job.next_row).unwrap_or(1);
    // Rows before the checkpoint recorded as refused do not count as seen.
    let refused_before: HashSet<i64> = sqlx::query_scalar!(
        "SELECT DISTINCT row FROM import_errors WHERE job_id = $1 AND row < $2",
        job.id,
        job.next_row
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let mut importer = Importer::new(catalog, ctx, job.dry_run);
    let mut run = Run {
        pool,
        job: &job,
        claim,
        requires,
        errors: Vec::new(),
        next_row: resume_at,
        bytes_done: 0,
        handled_since: 0,
        last_checkpoint: Instant::now(),
        pending: Vec::with_capacity(BATCH_ROWS),
    };
    let outcome = read_and_apply(&mut run, &mut importer, encoding, resume_at, &refused_before).await;
    match outcome {
        Ok(()) => run.finish(importer.summary(), None).await,
        Err(Stop::Quietly) => Ok(()),
        Err(Stop::Failed(reason, error)) => {
            run.errors.extend(error);
            run.finish(importer.summary(), Some(reason)).await
        }
    }
}

async fn read_and_apply(
    run: &mut Run<'_>,
    importer: &mut Importer<'_>,
    encoding: Encoding,
    resume_at: u64,
    refused_before: &HashSet<i64>,
) -> Result<(), Stop> {
    if let Some(reason) = run.unmet().await? {
        return Err(Stop::Failed(reason, None));
    }
    let mut splitter = Some(Splitter::new(encoding));
    let mut header: Option<CsvHeader> = None;
    let mut seq = 0i32;
    while let Some(mut split) = splitter.take() {
        let chunk: Option<Vec<u8>> =
            sqlx::query_scalar!("SELECT data FROM import_chunks WHERE job_id = $1 AND seq = $2", run.job.id, seq)
                .fetch_optional(run.pool)
                .await
                .map_err(internal)?;
        let records = match &chunk {
            Some(data) => {
                seq += 1;
                run.bytes_done += data.len() as i64;
                let records = split.push(data);
                splitter = Some(split);
                records
            }
            None => split.finish(),
        };
        let records = records
            .map_err(|e| Stop::Failed(e.to_string(), Some(RowError::new(0, "", "unreadable_file", e.to_string()))))?;
        for record in records {
            handle(run, importer, encoding, &mut header, record, resume_at, refused_before).await?;
        }
    }
    flush(run, importer).await
}

async fn handle(
    run: &mut Run<'_>,
    importer: &mut Importer<'_>,
    encoding: Encoding,
    header: &mut Option<CsvHeader>,
    record: Result<Record, RowError>,
    resume_at: u64,
    refused_before: &HashSet<i64>,
) -> Result<(), Stop> {
    let (number, row): (u64, Result<Row, RowError>) = match record {
        Err(error) => (error.row, Err(error)),
        Ok(record) if encoding == Encoding::Csv && record.number == 0 => {
            return match CsvHeader::parse(&record.cells) {
                Ok(parsed) => {
                    *header = Some(parsed);
                    Ok(())
                }
                Err(error) => Err(Stop::Failed(
                    format!("the CSV header is refused: {}", error.message),
                    Some(RowError { row: 0, ..error }),
                )),
            };
        }
        Ok(record) => (record.number, catalog_io::parse(&record, header.as_ref())),
    };
    if number < resume_at {
        let refused = refused_before.contains(&i64::try_from(number).unwrap_or(i64::MAX));
        importer.note_seen(number, &row, refused);
        return Ok(());
    }
    run.pending.push((number, row));
    if run.pending.len() >= BATCH_ROWS || run.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
        flush(run, importer).await?;
    }
    Ok(())
}

/// Applies the pending rows and checkpoints when one is due.
async fn flush(run: &mut Run<'_>, importer: &mut Importer<'_>) -> Result<(), Stop> {
    let Some(last) = run.pending.last().map(|(number, _)| *number) else { return Ok(()) };
    let rows = std::mem::take(&mut run.pending);
    let handled = rows.len() as u64;
    match importer.apply_all(rows).await {
        Ok(outcomes) => {
            for (_, outcome) in outcomes {
                if let RowOutcome::Refused(errors) = outcome {
                    run.errors.extend(errors);
                }
            }
        }
        Err(error) => {
            let reason = match run.unmet().await? {
                Some(reason) => reason,
                None => error.to_string(),
            };
            return Err(Stop::Failed(reason, None));
        }
    }
    run.next_row = last + 1;
    run.handled_since += handled;
    if run.handled_since >= CHECKPOINT_ROWS || run.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
        run.checkpoint(importer.summary()).await?;
    }
    Ok(())
}

fn internal(error: sqlx::Error) -> Stop {
    // The database is gone: nothing can be written; the lease expires and the job resumes.
    tracing::warn!(%error, "an import job lost its database");
    Stop::Quietly
}

impl Run<'_> {
    /// Why the owner may no longer act, if so.
    async fn unmet(&self) -> Result<Option<String>, Stop> {
        let unmet = EventStore::unmet(self.pool, &self.requires).await.map_err(internal)?;
        Ok(unmet.map(|_| {
            format!(
                "the importing user {} was disabled or no longer has the {} role",
                self.job.owner, self.job.actor_role
            )
        }))
    }

    /// Writes the errors, counters, next row and a new lease; stops a job cancelled meanwhile or
    /// whose claim another worker holds now, and one whose owner lost the rights.
    async fn checkpoint(&mut self, summary: &ImportSummary) -> Result<(), Stop> {
        let state = self.write(summary, None).await.map_err(internal)?;
        self.handled_since = 0;
        self.last_checkpoint = Instant::now();
        match state.as_deref() {
            Some("running") => {}
            _ => return Err(Stop::Quietly),
        }
        if let Some(reason) = self.unmet().await? {
            return Err(Stop::Failed(reason, None));
        }
        Ok(())
    }

    /// The last write: done, or failed with `failure`; the chunks go.
    async fn finish(&mut self, summary: &ImportSummary, failure: Option<String>) -> anyhow::Result<()> {
        let end = Some(failure.map_or(End::Done, End::Failed));
        self.write(summary, end).await?;
        Ok(())
    }

    /// One transaction: the errors since the last write, the counters and the lease (while the
    /// claim is this run's). Answers the job's state, `None` when the claim was lost.
    async fn write(&mut self, summary: &ImportSummary, end: Option<End>) -> Result<Option<String>, sqlx::Error> {
        let job = self.job;
        let mut tx = self.pool.begin().await?;
        let state: Option<String> = sqlx::query_scalar!(
            "SELECT state FROM import_jobs WHERE id = $1 AND claim = $2 FOR UPDATE",
            job.id,
            self.claim
        )
        .fetch_optional(&mut *tx)
        .await?;
        if state.is_none() {
            return Ok(None);
        }
        if !self.errors.is_empty() {
            let errors = std::mem::take(&mut self.errors);
            let rows: Vec<i64> = errors.iter().map(|e| i64::try_from(e.row).unwrap_or(i64::MAX)).collect();
            let ids: Vec<Option<String>> = errors.iter().map(|e| e.external_id.clone()).collect();
            let fields: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
            let codes: Vec<String> = errors.iter().map(|e| e.code.clone()).collect();
            let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            sqlx::query!(
                "INSERT INTO import_errors (job_id, row, external_id, field, code, message) \
                 SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])",
                job.id,
                &rows,
                &ids as _,
                &fields,
                &codes,
                &messages,
            )
            .execute(&mut *tx)
            .await?;
        }
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let (ending, failure) = match &end {
            None => (None, None),
            Some(End::Done) => (Some("done"), None),
            Some(End::Failed(reason)) => (Some("failed"), Some(reason.as_str())),
        };
        let state: String = sqlx::query_scalar!(
            "UPDATE import_jobs SET rows_read = $3::int8 + $4::int8, applied = $5::int8 + $6::int8, \
                    created = $7::int8 + $8::int8, updated = $9::int8 + $10::int8, \
                    unchanged = $11::int8 + $12::int8, checked = $13::int8 + $14::int8, \
                    refused = $15::int8 + $16::int8, error_count = $17::int8 + $18::int8, \
                    next_row = $19, bytes_done = $20, updated_at = now(), \
                    lease_until = CASE WHEN $21::text IS NULL THEN now() + make_interval(secs => $22) END, \
                    state = CASE WHEN state = 'running' AND $21::text IS NOT NULL THEN $21::text ELSE state END, \
                    failure = CASE WHEN state = 'running' THEN coalesce($23, failure) ELSE failure END, \
                    finished_at = CASE WHEN $21::text IS NOT NULL THEN coalesce(finished_at, now()) END \
              WHERE id = $1 AND claim = $2 RETURNING state",
            job.id,
            self.claim,
            job.rows_read,
            n(summary.read),
            job.applied,
            n(summary.applied),
            job.created,
            n(summary.created),
            job.updated,
            n(summary.updated),
            job.unchanged,
            n(summary.unchanged),
            job.checked,
            n(summary.checked),
            job.refused,
            n(summary.refused),
            job.error_count,
            n(summary.error_count),
            n(self.next_row),
            self.bytes_done,
            ending,
            LEASE_SECS as f64,
            failure,
        )
        .fetch_one(&mut *tx)
        .await?;
        if end.is_some() || state != "running" {
            sqlx::query!("DELETE FROM import_chunks WHERE job_id = $1", job.id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Some(state))
    }
}

enum End {
    Done,
    Failed(String),
}

/// A job as `GET /v1/imports/{id}` reads it.
#[derive(Debug, sqlx::FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub owner: Uuid,
    pub encoding: String,
    pub dry_run: bool,
    pub state: String,
    pub bytes: i64,
    pub bytes_done: i64,
    pub rows_read: i64,
    pub applied: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub checked: i64,
    pub refused: i64,
    pub error_count: i64,
    pub next_row: i64,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub async fn load(executor: impl sqlx::PgExecutor<'_>, id: Uuid) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as!(
        JobRow,
        "SELECT id, owner, encoding, dry_run, state, bytes, bytes_done, rows_read, applied, created, updated, \
                unchanged, checked, refused, error_count, next_row, failure, created_at, started_at, finished_at, \
                updated_at FROM import_jobs WHERE id = $1",
        id,
    )
    .fetch_optional(executor)
    .await
}
