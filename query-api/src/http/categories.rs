//! Browsing categories: the tree, and one category with its ancestors and resolved attributes.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::Json;
use domain::format_path;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json as JsonColumn;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tree)).routes(routes!(detail))
}

/// Where a category stands in the tree.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    Cluster,
    Node,
    Leaf,
}

/// A root is a cluster; a category with a family in it is a leaf; anything between is a node.
fn kind(parent_id: Option<Uuid>, has_family: bool) -> CategoryKind {
    match (parent_id, has_family) {
        (None, _) => CategoryKind::Cluster,
        (Some(_), true) => CategoryKind::Leaf,
        (Some(_), false) => CategoryKind::Node,
    }
}

#[derive(sqlx::FromRow)]
struct TreeRow {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    path: Vec<Uuid>,
    has_family: bool,
}

/// A category of the tree, with the categories under it.
#[derive(Serialize, ToSchema)]
pub struct TreeNode {
    id: Uuid,
    name: String,
    /// The materialized path, ids joined by dots.
    path: String,
    kind: CategoryKind,
    #[schema(no_recursion)]
    children: Vec<TreeNode>,
}

/// An ancestor of a category, root first.
#[derive(Serialize, ToSchema)]
pub struct CategoryRef {
    id: Uuid,
    name: String,
    path: String,
}

/// One category with its ancestors (root first) and every attribute it resolves.
#[derive(Serialize, ToSchema)]
pub struct CategoryDetail {
    id: Uuid,
    name: String,
    path: String,
    kind: CategoryKind,
    parent_id: Option<Uuid>,
    /// The source system's id, when it has one.
    external_id: Option<String>,
    ancestors: Vec<CategoryRef>,
    /// The resolved attribute set, each definition with the level it came from.
    #[schema(value_type = Vec<Object>)]
    attributes: Value,
    version: i64,
    position: i64,
}

/// The category tree: roots (clusters) by name, each with its children.
#[utoipa::path(get, path = "/v1/categories", tag = "categories",
    responses((status = 200, description = "The tree", body = Vec<TreeNode>)))]
#[tracing::instrument(skip_all)]
async fn tree(State(state): State<AppState>) -> Result<Json<Vec<TreeNode>>, ApiError> {
    let rows: Vec<TreeRow> = sqlx::query_as(
        "SELECT c.id, c.name, c.parent_id, c.path,
                EXISTS (SELECT 1 FROM catalog.families f WHERE f.category_id = c.id) AS has_family
           FROM catalog.categories c
          WHERE NOT c.retired
          ORDER BY c.name, c.id",
    )
    .fetch_all(&state.read)
    .await?;
    Ok(Json(build_tree(rows)))
}

/// Nests the rows under their parents, keeping their order (by name). A category under a retired
/// one is not reachable from a root, so it is left out with it.
fn build_tree(rows: Vec<TreeRow>) -> Vec<TreeNode> {
    let mut by_parent: HashMap<Option<Uuid>, Vec<TreeRow>> = HashMap::new();
    for row in rows {
        by_parent.entry(row.parent_id).or_default().push(row);
    }
    children_of(&mut by_parent, None)
}

fn children_of(by_parent: &mut HashMap<Option<Uuid>, Vec<TreeRow>>, parent: Option<Uuid>) -> Vec<TreeNode> {
    // Taking each group out as it is placed means no row is visited twice, whatever the data.
    let Some(rows) = by_parent.remove(&parent) else {
        return Vec::new();
    };
    rows.into_iter()
        .map(|row| TreeNode {
            children: children_of(by_parent, Some(row.id)),
            kind: kind(row.parent_id, row.has_family),
            path: format_path(&row.path),
            id: row.id,
            name: row.name,
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    path: Vec<Uuid>,
    resolved: Value,
    version: i64,
    position: i64,
    has_family: bool,
    external_id: Option<String>,
    ancestors: JsonColumn<Vec<Ancestor>>,
}

#[derive(Deserialize)]
struct Ancestor {
    id: Uuid,
    name: String,
    path: Vec<Uuid>,
}

/// One category: its ancestors and its attributes resolved, each with the level it came from.
#[utoipa::path(get, path = "/v1/categories/{id}", tag = "categories",
    params(("id" = Uuid, Path, description = "The category")),
    responses((status = 200, description = "The category", body = CategoryDetail),
              (status = 400, description = "The id is not a UUID", body = service_http::openapi::Problem),
              (status = 404, description = "No such category (or retired)", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(category_id = %id))]
async fn detail(State(state): State<AppState>, Path(id): Path<Uuid>) -> Result<Json<CategoryDetail>, ApiError> {
    let row: Option<CategoryRow> = sqlx::query_as(
        "SELECT c.id, c.name, c.parent_id, c.path, c.resolved, c.version, c.position, c.external_id,
                EXISTS (SELECT 1 FROM catalog.families f WHERE f.category_id = c.id) AS has_family,
                (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name, 'path', a.path)
                                           ORDER BY p.n), '[]')
                   FROM unnest(c.path) WITH ORDINALITY AS p(id, n)
                   JOIN catalog.categories a ON a.id = p.id
                  WHERE p.id <> c.id) AS ancestors
           FROM catalog.categories c
          WHERE c.id = $1 AND NOT c.retired",
    )
    .bind(id)
    .fetch_optional(&state.read)
    .await?;
    let row = row.ok_or_else(|| ApiError::NotFound(format!("category {id} does not exist")))?;
    let ancestors = row
        .ancestors
        .0
        .into_iter()
        .map(|a| CategoryRef { id: a.id, name: a.name, path: format_path(&a.path) })
        .collect();
    Ok(Json(CategoryDetail {
        id: row.id,
        name: row.name,
        path: format_path(&row.path),
        kind: kind(row.parent_id, row.has_family),
        parent_id: row.parent_id,
        external_id: row.external_id,
        ancestors,
        attributes: row.resolved,
        version: row.version,
        position: row.position,
    }))
}
