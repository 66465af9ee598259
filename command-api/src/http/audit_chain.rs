//! The hash chain's head and its signed checkpoints (issue 17, tamper evidence), for anchoring
//! elsewhere and for checking an export against. Admins, ops and auditors read them.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use domain::FieldError;
use event_store::{ChainHead, Checkpoint, EventStore};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::AuditReader;
use crate::identity::rights;
use crate::state::AppState;

/// Checkpoints per page at most.
pub const CHECKPOINTS_PAGE_MAX: i64 = 1_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(chain_head)).routes(routes!(checkpoints))
}

/// A signed (or, without an audit key, unsigned) checkpoint of the chain head.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChainCheckpoint {
    /// The chained position the checkpoint names.
    pub position: i64,
    /// How many events the chain covers up to it.
    pub seq: i64,
    /// The chain's hash there, 64 lower-case hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub hash: String,
    pub signed_at: DateTime<Utc>,
    /// The id of the audit key that signed it (first 16 hex digits of SHA-256 of its public key).
    pub key_id: Option<String>,
    /// The Ed25519 signature over the checkpoint message (event_store::chain), standard base64.
    pub signature: Option<String>,
}

impl From<Checkpoint> for ChainCheckpoint {
    fn from(checkpoint: Checkpoint) -> Self {
        ChainCheckpoint {
            position: checkpoint.position,
            seq: checkpoint.seq,
            hash: hex::encode(checkpoint.hash),
            signed_at: checkpoint.signed_at,
            key_id: checkpoint.key_id,
            signature: checkpoint.signature.map(|s| base64::engine::general_purpose::STANDARD.encode(s)),
        }
    }
}

/// The public half of the audit key this installation signs with now.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditPublicKey {
    pub key_id: String,
    /// The 32-byte Ed25519 public key, standard base64.
    pub public_key: String,
}

/// The chain head and the latest checkpoint.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChainHeadAnswer {
    /// `null` while nothing is chained yet.
    pub head: Option<ChainHead>,
    /// The latest checkpoint, signed or not; `null` before the first.
    pub checkpoint: Option<ChainCheckpoint>,
    /// `null` when no audit signing key is configured (checkpoints are then unsigned).
    pub public_key: Option<AuditPublicKey>,
}

/// A page of checkpoints.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CheckpointPage {
    pub checkpoints: Vec<ChainCheckpoint>,
    /// The `after_position` of the next page; `null` on the last.
    pub next_after_position: Option<i64>,
    pub public_key: Option<AuditPublicKey>,
}

fn public_key(state: &AppState) -> Option<AuditPublicKey> {
    state
        .audit_signer
        .as_ref()
        .map(|signer| AuditPublicKey { key_id: signer.key_id().to_owned(), public_key: signer.public_key_base64() })
}

/// The chain head: how far the hash chain over the events reaches, and its latest checkpoint.
#[utoipa::path(get, path = "/v1/audit/chain/head", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "The chain head", body = ChainHeadAnswer),
              (status = 403, description = "Neither staff nor an auditor", body = service_http::openapi::Problem)))]
async fn chain_head(
    State(state): State<AppState>,
    AuditReader(actor): AuditReader,
) -> Result<Json<ChainHeadAnswer>, ApiError> {
    rights::check(state.catalog.store(), &actor).await?;
    let pool = state.catalog.store().pool();
    let head = EventStore::chain_head(pool).await?;
    let checkpoint = EventStore::latest_checkpoint(pool).await?.map(ChainCheckpoint::from);
    Ok(Json(ChainHeadAnswer { head, checkpoint, public_key: public_key(&state) }))
}

/// The chain's checkpoints in position order, for anchoring elsewhere.
#[utoipa::path(get, path = "/v1/audit/chain/checkpoints", tag = "audit", security(("bearer" = [])),
    params(("after_position" = Option<i64>, Query, minimum = 0, description = "Checkpoints after this position (default 0)"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Page size (default 100, at most 1000)")),
    responses((status = 200, description = "A page of checkpoints", body = CheckpointPage),
              (status = 403, description = "Neither staff nor an auditor", body = service_http::openapi::Problem),
              (status = 422, description = "A bad parameter, named", body = service_http::openapi::Problem)))]
async fn checkpoints(
    State(state): State<AppState>,
    AuditReader(actor): AuditReader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<CheckpointPage>, ApiError> {
    rights::check(state.catalog.store(), &actor).await?;
    let mut invalid: Vec<FieldError> = params
        .keys()
        .filter(|k| !["after_position", "limit"].contains(&k.as_str()))
        .map(|k| FieldError::new(k.clone(), "unknown_parameter", format!("{k} is not a parameter here")))
        .collect();
    let after = match params.get("after_position").map(|v| v.parse::<i64>()) {
        None => 0,
        Some(Ok(after)) if after >= 0 => after,
        Some(_) => {
            invalid.push(FieldError::new(
                "after_position",
                "invalid_position",
                "after_position is a position (0 or more)",
            ));
            0
        }
    };
    let limit = match params.get("limit").map(|v| v.parse::<i64>()) {
        None => 100,
        Some(Ok(limit)) if (1..=CHECKPOINTS_PAGE_MAX).contains(&limit) => limit,
        Some(_) => {
            invalid.push(FieldError::new("limit", "out_of_range", format!("limit is 1 to {CHECKPOINTS_PAGE_MAX}")));
            0
        }
    };
    if !invalid.is_empty() {
        invalid.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(ApiError::Invalid(invalid));
    }
    let page = EventStore::checkpoints(state.catalog.store().pool(), after, limit).await?;
    let next_after_position = (page.len() as i64 == limit).then(|| page.last().map(|c| c.position)).flatten();
    Ok(Json(CheckpointPage {
        checkpoints: page.into_iter().map(ChainCheckpoint::from).collect(),
        next_after_position,
        public_key: public_key(&state),
    }))
}
