//! Import jobs over HTTP (admins only): submit a catalog file, follow the job, read its errors,
//! cancel it. The job runs in the background (`crate::jobs`, which says how it runs and resumes).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog_io::Encoding;
use chrono::{DateTime, Utc};
use domain::commerce::checkout::IdempotencyKey as Key;
use domain::FieldError;
use event_store::{EventStore, IdempotencyKey};
use futures::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::Admin;
use crate::idempotency;
use crate::identity::rights;
use crate::jobs::{self, JobRow, CHUNK_BYTES};
use crate::state::AppState;

/// The upload route (its own body limit, FERRULE_IMPORT_MAX_BYTES).
pub const IMPORTS_PATH: &str = "/v1/imports";
const ERRORS_PAGE: i64 = 100;
const ERRORS_PAGE_MAX: i64 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(submit)).routes(routes!(job)).routes(routes!(errors)).routes(routes!(cancel))
}

/// An import job.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJob {
    pub id: Uuid,
    /// `queued`, `running`, `done`, `cancelled` or `failed`.
    pub state: String,
    /// `ndjson` or `csv`.
    pub encoding: String,
    pub dry_run: bool,
    /// The admin who submitted it: the actor of its commands.
    pub owner: Uuid,
    /// The file's size.
    pub bytes: i64,
    /// Bytes of the file read so far.
    pub bytes_done: i64,
    pub rows_read: i64,
    /// Rows created or updated (`created + updated`).
    pub applied: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// Dry run: rows that passed its checks.
    pub checked: i64,
    pub refused: i64,
    /// Row errors in all (a row may have several): `GET /v1/imports/{id}/errors`.
    pub error_count: i64,
    /// Rows before this one are handled and counted.
    pub next_row: i64,
    /// Why a failed job failed.
    pub failure: Option<String>,
    /// Rows read per second since it started.
    pub rows_per_second: Option<f64>,
    /// Seconds left, estimated from the bytes read so far (while running).
    pub eta_seconds: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub links: JobLinks,
}

/// Where to follow a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub errors: String,
    pub cancel: String,
}

/// One error of a refused row (row 0: the file's own, such as its CSV header).
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ImportRowError {
    pub row: i64,
    pub external_id: Option<String>,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// A page of a job's errors, by row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportErrorsPage {
    pub errors: Vec<ImportRowError>,
    /// `after_row` for the next page, when there may be one.
    pub next_after_row: Option<i64>,
}

impl From<JobRow> for ImportJob {
    fn from(row: JobRow) -> ImportJob {
        let end = row.finished_at.unwrap_or_else(Utc::now);
        let elapsed = row.started_at.map(|start| (end - start).num_milliseconds().max(1) as f64 / 1000.0);
        let rows_per_second = elapsed.map(|secs| row.rows_read as f64 / secs);
        let eta_seconds = match (row.state.as_str(), elapsed) {
            ("running", Some(secs)) if row.bytes_done > 0 => {
                Some(secs * (row.bytes - row.bytes_done).max(0) as f64 / row.bytes_done as f64)
            }
            _ => None,
        };
        let this = format!("{IMPORTS_PATH}/{}", row.id);
        ImportJob {
            id: row.id,
            state: row.state,
            encoding: row.encoding,
            dry_run: row.dry_run,
            owner: row.owner,
            bytes: row.bytes,
            bytes_done: row.bytes_done,
            rows_read: row.rows_read,
            applied: row.applied,
            created: row.created,
            updated: row.updated,
            unchanged: row.unchanged,
            checked: row.checked,
            refused: row.refused,
            error_count: row.error_count,
            next_row: row.next_row,
            failure: row.failure,
            rows_per_second,
            eta_seconds,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            links: JobLinks { errors: format!("{this}/errors"), cancel: format!("{this}/cancel"), this },
        }
    }
}

fn unknown_parameters(params: &HashMap<String, String>, known: &[&str]) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = params
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| FieldError::new(k.clone(), "unknown_parameter", format!("{k} is not a parameter here")))
        .collect();
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    errors
}

fn unsupported(detail: &str) -> Response {
    service_http::problem(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        detail,
        &[],
    )
}

fn too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// Submits a catalog file (NDJSON or CSV, as the export writes them) as an import job: the body
/// is streamed to storage and the job queued; it runs in the background as the submitting admin.
#[utoipa::path(post, path = "/v1/imports", tag = "imports", security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Check the rows without applying them (default false)")),
    request_body(description = "The catalog file", content((String = "text/csv"), (String = "application/x-ndjson"))),
    responses((status = 202, description = "Queued (an empty file: done at once)", body = ImportJob,
               headers(("Location" = String, description = "The job"))),
              (status = 413, description = "Over FERRULE_IMPORT_MAX_BYTES", body = service_http::openapi::Problem),
              (status = 415, description = "Neither CSV nor NDJSON", body = service_http::openapi::Problem),
              (status = 422, description = "The body is not the file its type says, or a bad parameter", body = service_http::openapi::Problem)))]
async fn submit(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(params): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    rights::check(state.catalog.store(), &admin).await?;
    let key = idempotency::key_of(&headers)?;
    let path_and_query = uri.path_and_query().map_or("", |p| p.as_str());
    let request_hasher = || idempotency::hasher(&axum::http::Method::POST, path_and_query);
    let mut invalid = unknown_parameters(&params, &["dry_run"]);
    let dry_run = match params.get("dry_run").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            invalid.push(FieldError::new("dry_run", "invalid_boolean", "dry_run is true or false"));
            false
        }
    };
    if !invalid.is_empty() {
        return Err(ApiError::Invalid(invalid));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(encoding) = Encoding::of_content_type(content_type) else {
        return Ok(unsupported("a catalog file is text/csv or application/x-ndjson"));
    };
    let store = state.catalog.store();
    let pool = store.pool();
    if let Some(key) = &key {
        if store.recorded_key(admin.user_id, key.as_str()).await?.is_some() {
            // A retry: the file is read only to be compared with the first one's.
            let key = keyed(&admin, key, hash_all(request_hasher(), body).await?);
            let recorded = store.recorded_key(key.scope, &key.key).await?;
            return Ok(match recorded {
                Some(recorded) => idempotency::replay(store, &key, recorded).await,
                None => idempotency::in_use().into_response(),
            });
        }
    }
    let mut hasher = key.as_ref().map(|_| request_hasher());
    let id = Uuid::now_v7();
    let mut tx = pool.begin().await.map_err(anyhow::Error::from)?;
    let name = match encoding {
        Encoding::Csv => "csv",
        Encoding::Ndjson => "ndjson",
    };
    sqlx::query(
        "INSERT INTO import_jobs (id, owner, actor_role, encoding, dry_run, state) VALUES ($1, $2, $3, $4, $5, 'queued')",
    )
    .bind(id)
    .bind(admin.user_id)
    .bind(admin.role.as_str())
    .bind(name)
    .bind(dry_run)
    .execute(&mut *tx)
    .await
    .map_err(anyhow::Error::from)?;
    let mut stream = body.into_data_stream();
    let mut pending: Vec<u8> = Vec::with_capacity(CHUNK_BYTES);
    let (mut seq, mut bytes, mut blank) = (0i32, 0i64, true);
    loop {
        let frame = stream.next().await;
        let last = frame.is_none();
        if let Some(frame) = frame {
            let data = frame.map_err(|e| if too_large(&e) { ApiError::PayloadTooLarge } else { broke_off(&e) })?;
            bytes += data.len() as i64;
            if let Some(hasher) = &mut hasher {
                hasher.update(&data);
            }
            pending.extend_from_slice(&data);
        }
        while pending.len() >= CHUNK_BYTES || (last && !pending.is_empty()) {
            let take = pending.len().min(CHUNK_BYTES);
            let chunk: Vec<u8> = pending.drain(..take).collect();
            if seq == 0 {
                blank = chunk.iter().all(u8::is_ascii_whitespace);
                if !blank && Encoding::sniff(&chunk) != Some(encoding) {
                    return Err(ApiError::Invalid(vec![FieldError::new(
                        "body",
                        "unrecognized_file",
                        format!("the body is not a {name} catalog file (a CSV starts with its header, `kind,…`; NDJSON with a JSON object)"),
                    )]));
                }
            }
            sqlx::query("INSERT INTO import_chunks (job_id, seq, data) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(seq)
                .bind(chunk)
                .execute(&mut *tx)
                .await
                .map_err(anyhow::Error::from)?;
            seq += 1;
        }
        if last {
            break;
        }
    }
    if blank {
        // Nothing to apply: a job of no rows, done.
        sqlx::query("DELETE FROM import_chunks WHERE job_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(anyhow::Error::from)?;
        sqlx::query(
            "UPDATE import_jobs SET state = 'done', bytes = $2, bytes_done = $2, started_at = now(), finished_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(bytes)
        .execute(&mut *tx)
        .await
        .map_err(anyhow::Error::from)?;
    } else {
        sqlx::query("UPDATE import_jobs SET bytes = $2 WHERE id = $1")
            .bind(id)
            .bind(bytes)
            .execute(&mut *tx)
            .await
            .map_err(anyhow::Error::from)?;
    }
    let job = jobs::load(&mut *tx, id)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| anyhow::anyhow!("job {id} vanished"))?;
    let answer = serde_json::to_vec(&ImportJob::from(job)).map_err(anyhow::Error::from)?;
    let mut response = Response::new(Body::from(answer.clone()));
    *response.status_mut() = StatusCode::ACCEPTED;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(value) = HeaderValue::from_str(&format!("{IMPORTS_PATH}/{id}")) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let (Some(key), Some(hasher)) = (&key, hasher) {
        // The key and its answer commit with the job, or neither does.
        let key = keyed(&admin, key, hasher.finish().as_ref().to_vec());
        let headers = idempotency::kept_headers(response.headers());
        if !EventStore::record_key_answered(&mut *tx, &key, 202, &headers, &answer).await? {
            drop(tx);
            let recorded = store.recorded_key(key.scope, &key.key).await?;
            return Ok(match recorded {
                Some(recorded) => idempotency::replay(store, &key, recorded).await,
                None => idempotency::in_use().into_response(),
            });
        }
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    state.imports.notify_one();
    Ok(response)
}

/// The caller's key as the store records it.
fn keyed(admin: &service_http::caller::Caller, key: &Key, request_hash: Vec<u8>) -> IdempotencyKey {
    IdempotencyKey { scope: admin.user_id, key: key.as_str().to_owned(), request_hash }
}

/// Reads the whole body through the request's hash, keeping none of it.
async fn hash_all(mut hasher: ring::digest::Context, body: Body) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    while let Some(frame) = stream.next().await {
        let data = frame.map_err(|e| if too_large(&e) { ApiError::PayloadTooLarge } else { broke_off(&e) })?;
        hasher.update(&data);
    }
    Ok(hasher.finish().as_ref().to_vec())
}

fn broke_off(error: &axum::Error) -> ApiError {
    ApiError::Invalid(vec![FieldError::new("body", "unreadable_body", format!("the upload broke off: {error}"))])
}

async fn found(state: &AppState, id: Uuid) -> Result<JobRow, ApiError> {
    jobs::load(state.catalog.store().pool(), id)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| ApiError::NotFound(format!("import job {id} does not exist")))
}

/// An import job: its state, counters, rate and estimate.
#[utoipa::path(get, path = "/v1/imports/{id}", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The job")),
    responses((status = 200, description = "The job", body = ImportJob),
              (status = 404, description = "No such job", body = service_http::openapi::Problem)))]
async fn job(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<Uuid>,
) -> Result<Json<ImportJob>, ApiError> {
    rights::check(state.catalog.store(), &admin).await?;
    Ok(Json(found(&state, id).await?.into()))
}

/// The errors of an import job's refused rows, by row, a page of rows at a time.
#[utoipa::path(get, path = "/v1/imports/{id}/errors", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The job"),
           ("after_row" = Option<i64>, Query, description = "Only rows after this one (the previous page's `next_after_row`)"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows in the page (1 to 1000, default 100); each with all its errors")),
    responses((status = 200, description = "The errors, by row", body = ImportErrorsPage),
              (status = 404, description = "No such job", body = service_http::openapi::Problem),
              (status = 422, description = "A bad parameter", body = service_http::openapi::Problem)))]
async fn errors(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<Uuid>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<ImportErrorsPage>, ApiError> {
    rights::check(state.catalog.store(), &admin).await?;
    let mut invalid = unknown_parameters(&params, &["after_row", "limit"]);
    let after_row = match params.get("after_row").map(|v| v.parse::<i64>()) {
        None => -1,
        Some(Ok(row)) => row,
        Some(Err(_)) => {
            invalid.push(FieldError::new("after_row", "invalid_integer", "after_row is a row number"));
            -1
        }
    };
    let limit = match params.get("limit").map(|v| v.parse::<i64>()) {
        None => ERRORS_PAGE,
        Some(Ok(limit)) if (1..=ERRORS_PAGE_MAX).contains(&limit) => limit,
        Some(_) => {
            invalid.push(FieldError::new("limit", "out_of_range", "limit is 1 to 1000"));
            ERRORS_PAGE
        }
    };
    if !invalid.is_empty() {
        return Err(ApiError::Invalid(invalid));
    }
    found(&state, id).await?;
    let errors: Vec<ImportRowError> = sqlx::query_as(
        "WITH page AS (SELECT DISTINCT row FROM import_errors WHERE job_id = $1 AND row > $2 ORDER BY row LIMIT $3) \
         SELECT e.row, e.external_id, e.field, e.code, e.message FROM import_errors e JOIN page USING (row) \
          WHERE e.job_id = $1 ORDER BY e.row, e.field, e.code",
    )
    .bind(id)
    .bind(after_row)
    .bind(limit)
    .fetch_all(state.catalog.store().pool())
    .await
    .map_err(anyhow::Error::from)?;
    let mut rows: Vec<i64> = errors.iter().map(|e| e.row).collect();
    rows.dedup();
    let next_after_row = (rows.len() as i64 == limit).then(|| rows.last().copied()).flatten();
    Ok(Json(ImportErrorsPage { errors, next_after_row }))
}

/// Cancels a queued or running import job: no row after it is applied (rows applied so far stay).
#[utoipa::path(post, path = "/v1/imports/{id}/cancel", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The job")),
    responses((status = 200, description = "Cancelled", body = ImportJob),
              (status = 404, description = "No such job", body = service_http::openapi::Problem),
              (status = 409, description = "The job has ended (done, failed or cancelled)", body = service_http::openapi::Problem)))]
async fn cancel(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<Uuid>,
) -> Result<Json<ImportJob>, ApiError> {
    rights::check(state.catalog.store(), &admin).await?;
    let pool = state.catalog.store().pool();
    let mut tx = pool.begin().await.map_err(anyhow::Error::from)?;
    let was: Option<String> = sqlx::query_scalar("SELECT state FROM import_jobs WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(anyhow::Error::from)?;
    let cancelled = sqlx::query(
        "UPDATE import_jobs SET state = 'cancelled', finished_at = now(), updated_at = now() \
          WHERE id = $1 AND state IN ('queued', 'running')",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(anyhow::Error::from)?
    .rows_affected();
    // A running job's worker stops at its next checkpoint (within 500 rows or a second) and deletes
    // the file then: it is still reading it.
    if was.as_deref() == Some("queued") {
        sqlx::query("DELETE FROM import_chunks WHERE job_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(anyhow::Error::from)?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    let job = found(&state, id).await?;
    if cancelled == 0 {
        return Err(ApiError::Conflict {
            detail: format!("import job {id} has ended ({}): it cannot be cancelled", job.state),
            errors: Vec::new(),
        });
    }
    Ok(Json(job.into()))
}
