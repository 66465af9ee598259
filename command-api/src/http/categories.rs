//! Categories: create (or upsert by external id), rename or move, retire.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::category::{CategoryCommand, CategoryKind};
use domain::names::change_external_id;
use domain::{format_path, Aggregate, StreamType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, external_id_of, upserted, written, Answer, UpsertWritten, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds};
use crate::service::Committed;
use crate::state::AppState;
use crate::upsert::CategoryFields;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(upsert)).routes(routes!(update)).routes(routes!(retire))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateCategory {
    #[schema(schema_with = domain::openapi::names::max_200)]
    name: String,
    parent_id: Option<Uuid>,
    /// The source system's id: 1 to 128 characters, no control characters, stored trimmed; unique
    /// among categories.
    #[schema(schema_with = domain::openapi::names::optional_external_id)]
    external_id: Option<String>,
}

impl CreateCategory {
    fn fields(&self) -> CategoryFields {
        CategoryFields { name: self.name.clone(), parent_id: self.parent_id }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateCategory {
    #[schema(schema_with = domain::openapi::names::optional_max_200)]
    name: Option<String>,
    /// A new parent; `null` makes the category a root (a cluster); absent leaves it.
    #[schema(value_type = Option<Uuid>)]
    #[serde(default, deserialize_with = "super::present")]
    parent_id: Option<Option<Uuid>>,
    /// A new external id; `null` removes it; absent leaves it.
    #[schema(schema_with = domain::openapi::names::optional_external_id)]
    #[serde(default, deserialize_with = "super::present")]
    external_id: Option<Option<String>>,
    expected_version: Option<i64>,
}

/// A category as a command left it.
#[derive(Serialize, ToSchema)]
pub struct CategoryRecord {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    /// The materialized path: the ids from the root, simple (no hyphens), joined by dots.
    path: String,
    /// 0 for a root.
    #[schema(minimum = 0)]
    depth: i64,
    retired: bool,
    /// Given on create: a root is a cluster, anything else a node until a family makes it a leaf.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    kind: Option<CategoryKind>,
    /// The source system's id, when the record has one.
    external_id: Option<String>,
    #[schema(minimum = 1)]
    version: i64,
}

fn category_body(committed: &Committed, id: Uuid) -> Result<CategoryRecord, ApiError> {
    match committed.head(id) {
        Some(head) => match &head.state {
            Aggregate::Category(c) => Ok(CategoryRecord {
                id: c.id,
                name: c.name.clone(),
                parent_id: c.parent_id,
                path: format_path(&c.path),
                depth: i64::try_from(c.depth()).unwrap_or(i64::MAX),
                retired: c.retired,
                kind: None,
                external_id: c.external_id.as_ref().map(|e| e.as_str().to_owned()),
                version: head.version,
            }),
            _ => Err(ApiError::NotFound(format!("category {id} does not exist"))),
        },
        None => Err(ApiError::NotFound(format!("category {id} does not exist"))),
    }
}

/// Creates a category: a root is a cluster; under a parent it is a node (a leaf once a family
/// is in it).
#[utoipa::path(post, path = "/v1/categories", tag = "categories", security(("bearer" = [])), request_body = CreateCategory,
    responses((status = 201, description = "Created", body = Written<CategoryRecord>),
              (status = 404, description = "The parent does not exist", body = service_http::openapi::Problem),
              (status = 409, description = "A sibling has that name", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreateCategory>,
) -> Result<Answer<Written<CategoryRecord>>, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let kind = if body.parent_id.is_none() { CategoryKind::Cluster } else { CategoryKind::Node };
    let committed = state.catalog.create_category(&ctx, id, &body.fields(), body.external_id.as_deref()).await?;
    let mut body = category_body(&committed, id)?;
    body.kind = Some(kind);
    Ok(written(StatusCode::CREATED, committed.position, body))
}

/// Creates or updates the category the source system knows by `external_id`: the create body
/// (its `external_id` left out or the same) is what the category is to be — an existing one is
/// renamed and moved to it (no `parent_id`: to the top). When it already is, nothing is
/// appended and `outcome` says `unchanged`.
#[utoipa::path(put, path = "/v1/categories/by-external-id/{external_id}", tag = "categories", security(("bearer" = [])),
    params(("external_id" = String, Path, min_length = 1, max_length = 128,
            description = "The source system's id, percent-encoded")),
    request_body = CreateCategory,
    responses((status = 201, description = "Created (`outcome`: `created`)", body = UpsertWritten<CategoryRecord>,
                headers(("Location" = String, description = "The new category"))),
              (status = 200, description = "Updated, or already so (`outcome`: `updated` or `unchanged`)", body = UpsertWritten<CategoryRecord>),
              (status = 404, description = "The parent does not exist", body = service_http::openapi::Problem),
              (status = 409, description = "A sibling has that name, or the move is not allowed", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed (`invalid_external_id`, `external_id_too_long`, `external_id_mismatch`, …)", body = service_http::openapi::Problem)))]
async fn upsert(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(external_id): Path<String>,
    JsonBody(body): JsonBody<CreateCategory>,
) -> Result<Answer<UpsertWritten<CategoryRecord>>, ApiError> {
    let external_id = external_id_of(&external_id, body.external_id.as_deref())?;
    let ctx = context(&actor, ids);
    let done = state.catalog.upsert_category(&ctx, &external_id, &body.fields()).await?;
    Ok(upserted(&done, "/v1/categories", category_body(&done.committed, done.id)?))
}

/// Renames or moves a category (the subtree's paths follow), or gives it an external id.
#[utoipa::path(patch, path = "/v1/categories/{id}", tag = "categories", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The category")),
    request_body = UpdateCategory,
    responses((status = 200, description = "Updated", body = Written<CategoryRecord>),
              (status = 404, description = "No such category (or parent)", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version, a name or external id taken, or a move under its own subtree", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn update(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<UpdateCategory>,
) -> Result<Answer<Written<CategoryRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_structure(&ctx, &[], |tree, heads| {
            if let Some(head) = heads.get(&id) {
                check_version(body.expected_version, head.version)?;
            }
            let mut events = tree.decide(CategoryCommand::Update { id, name: body.name, parent_id: body.parent_id })?;
            if let Some(given) = &body.external_id {
                let current = tree.get(id).and_then(|c| c.external_id.as_ref());
                events.extend(change_external_id(id, StreamType::Category, current, given.as_deref())?);
            }
            Ok(events)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, category_body(&committed, id)?))
}

/// Retires a category: hidden from browsing, kept in history.
#[utoipa::path(post, path = "/v1/categories/{id}/retire", tag = "categories", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The category")),
    responses((status = 200, description = "Retired", body = Written<CategoryRecord>),
              (status = 404, description = "No such category", body = service_http::openapi::Problem),
              (status = 409, description = "The category still holds categories or families", body = service_http::openapi::Problem)))]
async fn retire(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
) -> Result<Answer<Written<CategoryRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed =
        state.catalog.change_structure(&ctx, &[], |tree, _| Ok(tree.decide(CategoryCommand::Retire { id })?)).await?;
    Ok(written(StatusCode::OK, committed.position, category_body(&committed, id)?))
}
