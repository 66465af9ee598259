//! `GET /v1/audit/export`: what a history filter selects, as NDJSON streamed while it is read
//! (keyset pages inside one repeatable-read transaction, so memory holds a page), then a signed
//! manifest line (`crate::audit_manifest`).

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::Response;
use chrono::Utc;
use event_store::{AuditFilter, EventStore};
use sha2::{Digest, Sha256};
use sqlx::{Postgres, Transaction};

use super::history::{present, AuditEvent};
use super::params::{self, Shape};
use crate::audit_manifest::{self, Manifest};
use crate::error::ApiError;
use crate::extract::AuditReader;
use crate::identity::rights;
use crate::state::AppState;

/// One line of an export: an event (as `/v1/audit/events` answers it), or, last, the manifest.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ExportLine {
    Event(AuditEvent),
    Manifest { manifest: Manifest },
}

/// Events read per query.
const PAGE: i64 = 1000;

struct Export {
    tx: Option<Transaction<'static, Postgres>>,
    filter: AuditFilter,
    manifest: Manifest,
    hasher: Sha256,
    signer: Option<std::sync::Arc<auth_tokens::AuditSigner>>,
}

impl Export {
    /// The next chunk of lines; the manifest line last; then `None`.
    async fn next_chunk(&mut self) -> anyhow::Result<Option<Bytes>> {
        let Some(tx) = self.tx.as_mut() else { return Ok(None) };
        let events = EventStore::audit_events(&mut **tx, &self.filter, PAGE).await?;
        if events.is_empty() {
            self.finish().await.map(Some)
        } else {
            self.filter.after_position = events.last().map(|e| e.position);
            let mut chunk = Vec::new();
            for event in present(&mut **tx, events).await.map_err(|e| anyhow::anyhow!("{e}"))? {
                self.manifest.first_position.get_or_insert(event.position);
                self.manifest.last_position = Some(event.position);
                self.manifest.event_count += 1;
                serde_json::to_writer(&mut chunk, &ExportLine::Event(event))?;
                chunk.push(b'\n');
            }
            self.hasher.update(&chunk);
            Ok(Some(Bytes::from(chunk)))
        }
    }

    async fn finish(&mut self) -> anyhow::Result<Bytes> {
        if let Some(tx) = self.tx.take() {
            tx.rollback().await?;
        }
        self.manifest.sha256 = hex::encode(self.hasher.clone().finalize());
        self.manifest.generated_at = Utc::now();
        audit_manifest::sign(&mut self.manifest, self.signer.as_deref())?;
        let mut line = serde_json::to_vec(&ExportLine::Manifest { manifest: self.manifest.clone() })?;
        line.push(b'\n');
        Ok(Bytes::from(line))
    }
}

/// What `/v1/audit/events` would select, every page of it, as NDJSON (one event per line, as
/// that endpoint answers them), then one line `{"manifest": {...}}`: the filter, the event
/// count, first and last position, the SHA-256 (hex) of every preceding byte, the chain head it
/// was taken at, and an Ed25519 signature (with key id and public key) over the manifest's
/// canonical bytes (sorted keys, no whitespace, without `signature`). The export covers the
/// positions below the read horizon when it started, so it is one consistent prefix.
#[utoipa::path(get, path = "/v1/audit/export", tag = "audit", security(("bearer" = [])),
    params(
        ("stream_id" = Option<Vec<Uuid>>, Query, explode = true, description = "Only these streams (repeatable)"),
        ("stream_type" = Option<String>, Query, description = "Only streams of this type"),
        ("event_type" = Option<Vec<String>>, Query, explode = true, description = "Only these event types (repeatable)"),
        ("actor" = Option<String>, Query, description = "Only events recorded by this actor"),
        ("correlation_id" = Option<Uuid>, Query, description = "Only events of this correlation"),
        ("request_id" = Option<String>, Query, description = "Only events of this request"),
        ("from" = Option<chrono::DateTime<Utc>>, Query, description = "Recorded at or after (RFC 3339)"),
        ("to" = Option<chrono::DateTime<Utc>>, Query, description = "Recorded before (RFC 3339)"),
        ("after_position" = Option<i64>, Query, minimum = 0, description = "Only positions above"),
        ("before_position" = Option<i64>, Query, minimum = 1, description = "Only positions below"),
    ),
    responses((status = 200, description = "NDJSON: one `AuditEvent` per line, then `{\"manifest\": Manifest}`",
               content((ExportLine = "application/x-ndjson"))),
              (status = 401, description = "No valid access token", body = service_http::openapi::Problem),
              (status = 403, description = "Not an admin, ops or auditor", body = service_http::openapi::Problem),
              (status = 422, description = "Bad parameters, every one named (as for /v1/audit/events)", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn export(
    State(state): State<AppState>,
    AuditReader(reader): AuditReader,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (mut filter, _) = params::read(query.as_deref(), Shape::Events { paged: false }).finish()?;
    rights::check(state.catalog.store(), &reader).await?;
    let mut tx = state.catalog.store().pool().begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let horizon = EventStore::audit_horizon(&mut *tx).await?;
    let chain_head = EventStore::chain_head(&mut *tx).await?;
    let manifest = Manifest {
        filter: serde_json::to_value(&filter).map_err(|e| ApiError::Internal(e.into()))?,
        event_count: 0,
        first_position: None,
        last_position: None,
        horizon,
        sha256: String::new(),
        chain_head: chain_head.map(Into::into),
        generated_at: Utc::now(),
        key_id: None,
        public_key: None,
        signature: None,
    };
    filter.before_position = Some(filter.before_position.map_or(horizon, |before| before.min(horizon)));
    let export = Export { tx: Some(tx), filter, manifest, hasher: Sha256::new(), signer: state.audit_signer.clone() };
    let body = futures::stream::try_unfold(export, |mut export| async move {
        let chunk = export.next_chunk().await.map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(chunk.map(|chunk| (chunk, export)))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CONTENT_DISPOSITION, "attachment; filename=\"audit-export.ndjson\"")
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::Internal(e.into()))
}
