//! Products as the catalog shows them: one by id, or a page found by external id (the source
//! system's id) or family; each with its family, brand and category as they stand now, its
//! specs, whether it has every spec its schema requires, and its media (`media`).

use axum::extract::{Path, Query, RawQuery, State};
use axum::Json;
use domain::commerce::Quantity;
use domain::format_path;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::media::{self, MediumBody};
use super::paging;
use crate::error::ApiError;
use crate::prices::Price;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(detail))
}

#[derive(serde::Deserialize)]
struct DetailParams {
    quantity: Option<String>,
}

/// A product's family or brand.
#[derive(Serialize, ToSchema)]
pub struct ProductRef {
    id: Uuid,
    /// Null only while the projector has not seen the family or brand yet.
    name: Option<String>,
    /// The source system's id, when it has one.
    external_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductCategory {
    id: Uuid,
    name: Option<String>,
    /// The materialized path, ids joined by dots.
    path: Option<String>,
}

/// One product as the catalog shows it.
#[derive(Serialize, ToSchema)]
pub struct ProductDetail {
    id: Uuid,
    sku: String,
    name: String,
    family: ProductRef,
    brand: Option<ProductRef>,
    category: Option<ProductCategory>,
    /// Spec values by attribute key, as given and normalized.
    #[schema(value_type = Object)]
    specs: Value,
    /// Whether the product has every spec its schema requires.
    complete: bool,
    missing_required: Vec<String>,
    retired: bool,
    /// The source system's id (an ERP's or PIM's key), when it has one.
    external_id: Option<String>,
    version: i64,
    position: i64,
    /// Its images and documents in display order: its own, then its family's (`inherited`).
    media: Vec<MediumBody>,
    /// Only with an access token (and only `GET /v1/products/{id}`): the caller's price, added
    /// outside the cache by `crate::prices`.
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<Price>,
}

/// One page of products.
#[derive(Serialize, ToSchema)]
pub struct ProductPage {
    #[schema(minimum = 0)]
    total: i64,
    #[schema(minimum = 1)]
    page: u32,
    #[schema(minimum = 1, maximum = 100)]
    per_page: u32,
    products: Vec<ProductDetail>,
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
        ("external_id" = Option<String>, Query, min_length = 1, max_length = 128,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$",
            description = "Only the product with this external id (the source system's id, exactly as given)"),
        ("family_id" = Option<Uuid>, Query, description = "Only the products of this family"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "From 1 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "Default 20; above 100 is capped at 100"),
    ),
    responses((status = 200, description = "One page of products", body = ProductPage),
              (status = 422, description = "Unknown or malformed parameters, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn list(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<ProductPage>, ApiError> {
    let (mut external_id, mut family) = (None, None);
    let page = paging::read(query.as_deref(), |name, value| match name {
        "external_id" => external(value).map(|e| external_id = Some(e)).map(|_| true),
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
    let products = with_media(&state, rows).await?;
    Ok(Json(ProductPage { total, page: page.page, per_page: page.per_page, products }))
}

/// An external id as the document states it: 1 to 128 characters as sent (not only after
/// trimming, as `ExternalId` counts), without control characters, not only white space.
fn external(value: &str) -> Result<String, domain::FieldError> {
    if value.chars().count() > domain::names::ExternalId::MAX {
        return Err(domain::FieldError::new(
            "external_id",
            "external_id_too_long",
            format!("an external id is at most {} characters", domain::names::ExternalId::MAX),
        ));
    }
    domain::names::ExternalId::parse(value).map(|e| e.to_string())
}

/// One product with its family, brand, category and specs (retired ones too, marked).
/// With an access token the answer also carries `price` (`crate::prices`): a buyer's company price
/// at the minimum order quantity or at `quantity`, or for ops and admin the list price.
#[utoipa::path(get, path = "/v1/products/{id}", tag = "products", security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product"),
           ("quantity" = Option<Quantity>, Query,
            description = "With a buyer's token: the quantity to price at (default: the minimum order quantity)")),
    responses((status = 200, description = "The product", body = ProductDetail),
              (status = 400, description = "The id is not a UUID", body = service_http::openapi::Problem),
              (status = 404, description = "No such product", body = service_http::openapi::Problem),
              (status = 422, description = "quantity is not a quantity", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(product_id = %id))]
async fn detail(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(params): Query<DetailParams>,
) -> Result<Json<ProductDetail>, ApiError> {
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
    let product = with_media(&state, vec![row]).await?.pop();
    product.map(Json).ok_or_else(|| ApiError::NotFound(format!("product {id} does not exist")))
}

/// The bodies of the rows, each with its media (one query for the page).
async fn with_media(state: &AppState, rows: Vec<ProductRow>) -> Result<Vec<ProductDetail>, ApiError> {
    let owners: Vec<(Uuid, Uuid)> = rows.iter().map(|r| (r.id, r.family_id)).collect();
    let mut media = media::of_products(state, &owners).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = media.remove(&row.id).unwrap_or_default();
            body(row, own)
        })
        .collect())
}

fn body(row: ProductRow, media: Vec<MediumBody>) -> ProductDetail {
    let brand = row.brand_id.map(|id| ProductRef { id, name: row.brand_name, external_id: row.brand_external_id });
    let category = row.category_id.map(|id| ProductCategory {
        id,
        name: row.category_name,
        path: row.category_path.as_deref().map(format_path),
    });
    ProductDetail {
        id: row.id,
        sku: row.sku,
        name: row.name,
        family: ProductRef { id: row.family_id, name: row.family_name, external_id: row.family_external_id },
        brand,
        category,
        specs: row.specs,
        complete: row.missing_required.is_empty(),
        missing_required: row.missing_required,
        retired: row.retired,
        external_id: row.external_id,
        version: row.version,
        position: row.position,
        media,
        price: None,
    }
}
