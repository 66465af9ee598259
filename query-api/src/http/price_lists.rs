//! `GET /v1/price-lists[/{id}]`: the negotiated price lists, for ops and admin.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::NaiveDate;
use domain::commerce::price_list::PriceBreak;
use domain::commerce::Currency;
use serde::{Deserialize, Serialize};
use sqlx::types::Json as JsonColumn;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::paging;
use crate::caller::Staff;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(detail))
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: Uuid,
    name: String,
    currency: String,
    priority: i32,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    entries: i64,
    companies: Vec<Uuid>,
    version: i64,
    position: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PriceListSummary {
    id: Uuid,
    name: String,
    currency: Currency,
    priority: i32,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    valid_today: bool,
    /// How many products it prices.
    #[schema(minimum = 0)]
    entries: i64,
    companies: Vec<Uuid>,
    version: i64,
    position: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PriceListPage {
    #[schema(minimum = 0)]
    total: i64,
    #[schema(minimum = 1)]
    page: u32,
    #[schema(minimum = 1, maximum = 100)]
    per_page: u32,
    price_lists: Vec<PriceListSummary>,
}

/// The quantity breaks of one product in a list.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PriceListEntry {
    product_id: Uuid,
    /// Null when the read model does not know the product.
    sku: Option<String>,
    name: Option<String>,
    breaks: Vec<PriceBreak>,
}

#[derive(Serialize, ToSchema)]
pub struct PriceListDetail {
    id: Uuid,
    name: String,
    currency: Currency,
    priority: i32,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    valid_today: bool,
    companies: Vec<Uuid>,
    entries: Vec<PriceListEntry>,
    version: i64,
    position: i64,
}

impl ListRow {
    fn valid_on(&self, today: NaiveDate) -> bool {
        self.valid_from.is_none_or(|d| d <= today) && self.valid_until.is_none_or(|d| today <= d)
    }

    fn currency(&self) -> Result<Currency, ApiError> {
        Currency::parse("currency", &self.currency)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("a price list row's currency: {}", e.message)))
    }

    fn summary(self, today: NaiveDate) -> Result<PriceListSummary, ApiError> {
        Ok(PriceListSummary {
            currency: self.currency()?,
            valid_today: self.valid_on(today),
            id: self.id,
            name: self.name,
            priority: self.priority,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            entries: self.entries,
            companies: self.companies,
            version: self.version,
            position: self.position,
        })
    }
}

const COLUMNS: &str = "l.id, l.name, l.currency, l.priority, l.valid_from, l.valid_until, \
     (SELECT count(*) FROM catalog.price_list_entries e WHERE e.price_list_id = l.id) AS entries, \
     ARRAY(SELECT c.company_id FROM catalog.price_list_companies c WHERE c.price_list_id = l.id \
           ORDER BY c.company_id) AS companies, l.version, l.position";

/// The price lists, highest priority first, then by name.
#[utoipa::path(get, path = "/v1/price-lists", tag = "price lists", security(("bearer" = [])),
    params(
        ("company_id" = Option<Uuid>, Query, description = "Only the lists assigned to this company"),
        ("product_id" = Option<Uuid>, Query, description = "Only the lists that price this product"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "From 1 (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 4_294_967_295_i64, description = "Default 20; above 100 is capped at 100"),
    ),
    responses((status = 200, description = "One page of price lists", body = PriceListPage),
              (status = 422, description = "Unknown or malformed parameters, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Json<PriceListPage>, ApiError> {
    let (mut company, mut product) = (None, None);
    let page = paging::read(query.as_deref(), |name, value| match name {
        "company_id" => paging::uuid(name, value).map(|id| company = Some(id)).map(|_| true),
        "product_id" => paging::uuid(name, value).map(|id| product = Some(id)).map(|_| true),
        _ => Ok(false),
    })?;
    const FILTER: &str = "($1::uuid IS NULL OR EXISTS (SELECT 1 FROM catalog.price_list_companies c \
                                                    WHERE c.price_list_id = l.id AND c.company_id = $1)) \
                          AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM catalog.price_list_entries e \
                                                    WHERE e.price_list_id = l.id AND e.product_id = $2))";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM catalog.price_lists l WHERE {FILTER}"))
        .bind(company)
        .bind(product)
        .fetch_one(&state.read)
        .await?;
    let rows: Vec<ListRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM catalog.price_lists l WHERE {FILTER} \
          ORDER BY l.priority DESC, l.name, l.id LIMIT $3 OFFSET $4"
    ))
    .bind(company)
    .bind(product)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&state.read)
    .await?;
    let today = chrono::Utc::now().date_naive();
    let price_lists = rows.into_iter().map(|l| l.summary(today)).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(PriceListPage { total, page: page.page, per_page: page.per_page, price_lists }))
}

/// One price list with its companies and every product's quantity breaks.
#[utoipa::path(get, path = "/v1/price-lists/{id}", tag = "price lists", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list")),
    responses((status = 200, description = "The price list", body = PriceListDetail),
              (status = 400, description = "The id is not a UUID", body = service_http::openapi::Problem),
              (status = 404, description = "No such price list", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all, fields(price_list_id = %id))]
async fn detail(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<Uuid>,
) -> Result<Json<PriceListDetail>, ApiError> {
    let row: Option<ListRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM catalog.price_lists l WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(&state.read)
        .await?;
    let row = row.ok_or_else(|| ApiError::NotFound(format!("price list {id} does not exist")))?;
    let JsonColumn(entries): JsonColumn<Vec<PriceListEntry>> = sqlx::query_scalar(
        "SELECT coalesce(jsonb_agg(jsonb_build_object('product_id', e.product_id, 'sku', p.sku, 'name', p.name, \
                                                      'breaks', e.breaks) ORDER BY p.sku, e.product_id), '[]') \
           FROM catalog.price_list_entries e LEFT JOIN catalog.products p ON p.id = e.product_id \
          WHERE e.price_list_id = $1",
    )
    .bind(id)
    .fetch_one(&state.read)
    .await?;
    let today = chrono::Utc::now().date_naive();
    Ok(Json(PriceListDetail {
        currency: row.currency()?,
        valid_today: row.valid_on(today),
        id: row.id,
        name: row.name,
        priority: row.priority,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        companies: row.companies,
        entries,
        version: row.version,
        position: row.position,
    }))
}
