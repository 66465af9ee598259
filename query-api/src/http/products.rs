//! Products as the catalog shows them: one by id, or a page found by external id (the source
//! system's id) or family; each with its family, brand and category as they stand now, its
//! specs, and whether it has every spec its schema requires.

use axum::extract::{Path, Query, RawQuery, State};
use axum::Json;
use domain::commerce::Quantity;
use domain::format_path;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::paging;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(detail))
}

#[derive(serde::Deserialize)]
struct DetailParams {
    quantity: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: Uuid,
    sku: String,
    name: String,
    family_id: Uuid,
    family_name: Option<String>,
    brand_id: Option<Uuid>,
    brand_name: Option<String>,
    category_id: Option<Uuid>,
    category_name: Option<String>,
    category_path: Option<Vec<Uuid>>,
    specs: Value,
    missing_required: Vec<String>,
    retired: bool,
    external_id: Option<String>,
    family_external_id: Option<String>,
    brand_external_id: Option<String>,
    version: i64,
    position: i64,
}

const COLUMNS: &str = "p.id, p.sku, p.name, p.family_id, p.family_name, p.brand_id, p.brand_name, p.category_id, \
     c.name AS category_name, coalesce(c.path, p.category_path) AS category_path, \
     p.specs, p.missing_required, p.retired, p.external_id, f.external_id AS family_external_id, \
     b.external_id AS brand_external_id, p.version, p.position";

const JOINS: &str = "LEFT JOIN catalog.categories c ON c.id = p.category_id \
     LEFT JOIN catalog.families f ON f.id = p.family_id \
     LEFT JOIN catalog.brands b ON b.id = p.brand_id";

/// Products by name, retired ones too (marked): the one the source system knows by
/// `external_id`, those of a family, or all, a page at a time.
#[utoipa::path(get, path = "/v1/products", tag = "products",
    params(
        ("external_id" = Option<String>, Query, max_length = 128,
            description = "Only the product with this external id (the source system's id, exactly as given)"),
        ("family_id" = Option<Uuid>, Query, description = "Only the products of this family"),
        ("page" = Option<u32>, Query, minimum = 1, description = "From 1 (default 1)"),
        ("per_page" = Option<u32>, Query, minimum = 1, description = "Default 20; above 100 is capped at 100"),
    ),
    responses((status = 200, description = "One page of products", body = super::schemas::ProductPage),
              (status = 422, description = "Unknown or malformed parameters, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn list(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    let (mut external_id, mut family) = (None, None);
    let page = paging::read(query.as_deref(), |name, value| match name {
        "external_id" => {
            domain::names::ExternalId::parse(value).map(|e| external_id = Some(e.to_string())).map(|_| true)
        }
        "family_id" => paging::uuid(name, value).map(|id| family = Some(id)).map(|_| true),
        _ => Ok(false),
    })?;
    const FILTER: &str = "($1::text IS NULL OR p.external_id = $1) AND ($2::uuid IS NULL OR p.family_id = $2)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM catalog.products p WHERE {FILTER}"))
        .bind(&external_id)
        .bind(family)
        .fetch_one(&state.read)
        .await?;
    let rows: Vec<ProductRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM catalog.products p {JOINS} WHERE {FILTER} ORDER BY p.name, p.id LIMIT $3 OFFSET $4"
    ))
    .bind(&external_id)
    .bind(family)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&state.read)
    .await?;
    let products: Vec<Value> = rows.into_iter().map(body).collect();
    Ok(Json(json!({ "total": total, "page": page.page, "per_page": page.per_page, "products": products })))
}

/// One product with its family, brand, category and specs (retired ones too, marked).
/// With an access token the answer also carries `price` (`crate::prices`): a buyer's company price
/// at the minimum order quantity or at `quantity`, or for ops and admin the list price.
#[utoipa::path(get, path = "/v1/products/{id}", tag = "products", security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product"),
           ("quantity" = Option<u32>, Query, minimum = 1,
            description = "With a buyer's token: the quantity to price at (default: the minimum order quantity)")),
    responses((status = 200, description = "The product", body = super::schemas::ProductDetail),
              (status = 400, description = "The id is not a UUID", body = service_http::openapi::Problem),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 422, description = "quantity is not a quantity", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(product_id = %id))]
async fn detail(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(params): Query<DetailParams>,
) -> Result<Json<Value>, ApiError> {
    if let Some(quantity) = &params.quantity {
        // Priced outside the cache (`crate::prices`); checked here, where the answer is made.
        let n = quantity.trim().parse::<i64>().unwrap_or(0);
        Quantity::parse("quantity", n).map_err(|e| ApiError::Invalid(vec![e]))?;
    }
    let row: Option<ProductRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM catalog.products p {JOINS} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(&state.read)
            .await?;
    let row = row.ok_or_else(|| ApiError::NotFound(format!("product {id} does not exist")))?;
    Ok(Json(body(row)))
}

fn body(row: ProductRow) -> Value {
    let brand =
        row.brand_id.map(|id| json!({ "id": id, "name": row.brand_name, "external_id": row.brand_external_id }));
    let category = row.category_id.map(
        |id| json!({ "id": id, "name": row.category_name, "path": row.category_path.as_deref().map(format_path) }),
    );
    json!({
        "id": row.id,
        "sku": row.sku,
        "name": row.name,
        "family": { "id": row.family_id, "name": row.family_name, "external_id": row.family_external_id },
        "brand": brand,
        "category": category,
        "specs": row.specs,
        "complete": row.missing_required.is_empty(),
        "missing_required": row.missing_required,
        "retired": row.retired,
        "external_id": row.external_id,
        "version": row.version,
        "position": row.position,
    })
}
