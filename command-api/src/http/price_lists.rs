//! Price lists: negotiated prices with quantity breaks, a validity window and a priority, assigned
//! to companies. `POST /v1/price-lists`, `PATCH /v1/price-lists/{id}`, `PUT`/`DELETE`
//! `/v1/price-lists/{id}/entries/{product_id}` and `/v1/price-lists/{id}/companies/{company_id}`.
//! Ops.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::commerce::money::Currency;
use domain::commerce::price_list::{self, BreakInput, CreatePriceList, PriceBreak, PriceList};
use domain::{DomainError, NewEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, present, written, Answer, Written};
use crate::commerce::{self, as_company, as_price_list, state_of};
use crate::error::ApiError;
use crate::extract::{JsonBody, RequestIds, Staff};
use crate::service::{CommandContext, Head};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(update))
        .routes(routes!(set_entry, remove_entry))
        .routes(routes!(assign, unassign))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreatePriceListBody {
    #[schema(schema_with = domain::openapi::names::max_200)]
    name: String,
    /// Every price in the list is in it.
    #[schema(value_type = Currency)]
    currency: String,
    /// Where several lists price a product for a company, the highest wins.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000, default = 0)]
    priority: i64,
    /// First day the list applies (`YYYY-MM-DD`, inclusive); none: from the start.
    valid_from: Option<NaiveDate>,
    /// Last day the list applies (inclusive); none: open-ended.
    valid_until: Option<NaiveDate>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdatePriceListBody {
    #[schema(minimum = 0, maximum = 1000)]
    priority: Option<i64>,
    /// `null` removes the start; absent leaves it.
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "present")]
    valid_from: Option<Option<NaiveDate>>,
    /// `null` removes the end; absent leaves it.
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "present")]
    valid_until: Option<Option<NaiveDate>>,
    expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BreakBody {
    /// The break applies from this quantity on.
    #[schema(minimum = 1, maximum = 1_000_000)]
    min_quantity: i64,
    /// The unit price from `min_quantity` on, in the list's currency's minor units.
    #[schema(minimum = 0)]
    amount_minor: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EntryBody {
    /// `min_quantity` rising and the unit price never rising with it.
    #[schema(min_items = 1, max_items = 10)]
    breaks: Vec<BreakBody>,
}

/// Creates a price list (assigned to no company yet).
#[utoipa::path(post, path = "/v1/price-lists", tag = "commerce", security(("bearer" = [])),
    request_body = CreatePriceListBody,
    responses((status = 201, description = "Created", body = Written<PriceListRecord>),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreatePriceListBody>,
) -> Result<Answer<Written<PriceListRecord>>, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[], |_| {
            Ok(price_list::create(CreatePriceList {
                id,
                name: body.name.clone(),
                currency: body.currency.clone(),
                priority: body.priority,
                valid_from: body.valid_from,
                valid_until: body.valid_until,
            })?)
        })
        .await?;
    Ok(written(StatusCode::CREATED, committed.position, list_body(&committed.heads, id)?))
}

/// Changes a list's priority or validity window.
#[utoipa::path(patch, path = "/v1/price-lists/{id}", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list")), request_body = UpdatePriceListBody,
    responses((status = 200, description = "Updated", body = Written<PriceListRecord>),
              (status = 404, description = "No such price list", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn update(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<UpdatePriceListBody>,
) -> Result<Answer<Written<PriceListRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    change_list(&state, &ctx, id, body.expected_version, &[], |list, _| {
        let mut events = Vec::new();
        if body.valid_from.is_some() || body.valid_until.is_some() {
            let from = body.valid_from.unwrap_or(list.valid_from);
            let until = body.valid_until.unwrap_or(list.valid_until);
            events.extend(price_list::reschedule(list, from, until)?);
        }
        if let Some(priority) = body.priority {
            events.extend(price_list::prioritize(list, priority)?);
        }
        Ok(events)
    })
    .await
}

/// Sets the quantity breaks of one product in the list (replacing any it had).
#[utoipa::path(put, path = "/v1/price-lists/{id}/entries/{product_id}", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list"), ("product_id" = Uuid, Path, description = "The product")),
    request_body = EntryBody,
    responses((status = 200, description = "The list with the entry", body = Written<PriceListRecord>),
              (status = 404, description = "No such price list or product", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid breaks, each listed", body = service_http::openapi::Problem)))]
async fn set_entry(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((id, product_id)): Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<EntryBody>,
) -> Result<Answer<Written<PriceListRecord>>, ApiError> {
    let product = commerce::product(&state.catalog, product_id, None).await?;
    let breaks: Vec<BreakInput> =
        body.breaks.iter().map(|b| BreakInput { min_quantity: b.min_quantity, amount_minor: b.amount_minor }).collect();
    let ctx = context(&actor, ids);
    change_list(&state, &ctx, id, None, &[], |list, _| Ok(price_list::set_entry(list, &product, &breaks)?)).await
}

/// Removes a product's entry from the list.
#[utoipa::path(delete, path = "/v1/price-lists/{id}/entries/{product_id}", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list"), ("product_id" = Uuid, Path, description = "The product")),
    responses((status = 200, description = "The list without the entry", body = Written<PriceListRecord>),
              (status = 404, description = "No such price list or entry", body = service_http::openapi::Problem)))]
async fn remove_entry(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((id, product_id)): Path<(Uuid, Uuid)>,
) -> Result<Answer<Written<PriceListRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    change_list(&state, &ctx, id, None, &[], |list, _| Ok(price_list::remove_entry(list, product_id)?)).await
}

/// Assigns the list to a company: its buyers get its prices while it is valid.
#[utoipa::path(put, path = "/v1/price-lists/{id}/companies/{company_id}", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list"), ("company_id" = Uuid, Path, description = "The company")),
    responses((status = 200, description = "Assigned (also when it already was)", body = Written<PriceListRecord>),
              (status = 404, description = "No such price list or company", body = service_http::openapi::Problem)))]
async fn assign(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((id, company_id)): Path<(Uuid, Uuid)>,
) -> Result<Answer<Written<PriceListRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    change_list(&state, &ctx, id, None, &[company_id], |list, heads| {
        let company =
            state_of(heads, company_id, as_company).ok_or_else(|| DomainError::not_found("company", company_id))?;
        Ok(price_list::assign(list, company)?)
    })
    .await
}

/// Unassigns the list from a company.
#[utoipa::path(delete, path = "/v1/price-lists/{id}/companies/{company_id}", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list"), ("company_id" = Uuid, Path, description = "The company")),
    responses((status = 200, description = "Unassigned (also when it was not assigned)", body = Written<PriceListRecord>),
              (status = 404, description = "No such price list", body = service_http::openapi::Problem)))]
async fn unassign(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((id, company_id)): Path<(Uuid, Uuid)>,
) -> Result<Answer<Written<PriceListRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    change_list(&state, &ctx, id, None, &[], |list, _| Ok(price_list::unassign(list, company_id)?)).await
}

/// Decides on one price list (404 when there is none) and answers with it as it then is.
async fn change_list(
    state: &AppState,
    ctx: &CommandContext,
    id: Uuid,
    expected: Option<i64>,
    also: &[Uuid],
    decide: impl Fn(&PriceList, &HashMap<Uuid, Head>) -> Result<Vec<NewEvent>, ApiError>,
) -> Result<Answer<Written<PriceListRecord>>, ApiError> {
    let mut ids = vec![id];
    ids.extend_from_slice(also);
    let load = || async { Ok((state.catalog.heads(&ids).await?, ())) };
    let (committed, ()) = state
        .catalog
        .change_contended(ctx, load, |heads, _| {
            let list = state_of(heads, id, as_price_list).ok_or_else(|| DomainError::not_found("price list", id))?;
            check_version(expected, heads.get(&id).map_or(0, |h| h.version))?;
            decide(list, heads)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, list_body(&committed.heads, id)?))
}

/// A price list as a command left it.
#[derive(Serialize, ToSchema)]
pub struct PriceListRecord {
    id: Uuid,
    name: String,
    currency: Currency,
    #[schema(minimum = 0, maximum = 1000)]
    priority: i32,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    entries: Vec<PriceListEntry>,
    /// The companies it is assigned to.
    companies: Vec<Uuid>,
    #[schema(minimum = 1)]
    version: i64,
}

/// One product's quantity breaks in a price list.
#[derive(Serialize, ToSchema)]
pub struct PriceListEntry {
    product_id: Uuid,
    breaks: Vec<PriceBreak>,
}

fn list_body(heads: &HashMap<Uuid, Head>, id: Uuid) -> Result<PriceListRecord, ApiError> {
    let list = state_of(heads, id, as_price_list).ok_or_else(|| DomainError::not_found("price list", id))?;
    let entries = list
        .entries
        .iter()
        .map(|(product_id, breaks)| PriceListEntry { product_id: *product_id, breaks: breaks.clone() })
        .collect();
    Ok(PriceListRecord {
        id: list.id,
        name: list.name.clone(),
        currency: list.currency,
        priority: list.priority,
        valid_from: list.valid_from,
        valid_until: list.valid_until,
        entries,
        companies: list.companies.iter().copied().collect(),
        version: heads.get(&id).map_or(0, |h| h.version),
    })
}
