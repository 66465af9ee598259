//! One product as the catalog shows it: its family, brand and category as they stand now, its
//! specs, and whether it has every spec its schema requires.

use axum::extract::{Path, Query, State};
use axum::Json;
use domain::commerce::Quantity;
use domain::format_path;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(detail))
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
    version: i64,
    position: i64,
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
    let row: Option<ProductRow> = sqlx::query_as(
        "SELECT p.id, p.sku, p.name, p.family_id, p.family_name, p.brand_id, p.brand_name, p.category_id,
                c.name AS category_name, coalesce(c.path, p.category_path) AS category_path,
                p.specs, p.missing_required, p.retired, p.version, p.position
           FROM catalog.products p
           LEFT JOIN catalog.categories c ON c.id = p.category_id
          WHERE p.id = $1",
    )
    .bind(id)
    .fetch_optional(&state.read)
    .await?;
    let row = row.ok_or_else(|| ApiError::NotFound(format!("product {id} does not exist")))?;
    Ok(Json(body(row)))
}

fn body(row: ProductRow) -> Value {
    let brand = row.brand_id.map(|id| json!({ "id": id, "name": row.brand_name }));
    let category = row.category_id.map(
        |id| json!({ "id": id, "name": row.category_name, "path": row.category_path.as_deref().map(format_path) }),
    );
    json!({
        "id": row.id,
        "sku": row.sku,
        "name": row.name,
        "family": { "id": row.family_id, "name": row.family_name },
        "brand": brand,
        "category": category,
        "specs": row.specs,
        "complete": row.missing_required.is_empty(),
        "missing_required": row.missing_required,
        "retired": row.retired,
        "version": row.version,
        "position": row.position,
    })
}
