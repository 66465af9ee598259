//! Price lists: negotiated prices with quantity breaks, a validity window and a priority, assigned
//! to companies. `POST /v1/price-lists`, `PATCH /v1/price-lists/{id}`, `PUT`/`DELETE`
//! `/v1/price-lists/{id}/entries/{product_id}` and `/v1/price-lists/{id}/companies/{company_id}`.
//! Ops.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use domain::commerce::price_list::{self, BreakInput, CreatePriceList, PriceList};
use domain::{DomainError, NewEvent};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{check_version, context, present, written};
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
    name: String,
    /// ISO 4217, e.g. `EUR`: every price in the list is in it.
    currency: String,
    /// 0 to 1000; where several lists price a product for a company, the highest wins.
    #[serde(default)]
    priority: i64,
    /// First day the list applies (`YYYY-MM-DD`, inclusive); none: from the start.
    valid_from: Option<NaiveDate>,
    /// Last day the list applies (inclusive); none: open-ended.
    valid_until: Option<NaiveDate>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdatePriceListBody {
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
    min_quantity: i64,
    /// The unit price from `min_quantity` on, in the list's currency's minor units.
    amount_minor: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EntryBody {
    /// 1 to 10 breaks, `min_quantity` rising and the unit price never rising with it.
    breaks: Vec<BreakBody>,
}

/// Creates a price list (assigned to no company yet).
#[utoipa::path(post, path = "/v1/price-lists", tag = "commerce", security(("bearer" = [])),
    request_body = CreatePriceListBody,
    responses((status = 201, description = "Created", body = super::schemas::PriceListWritten),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    JsonBody(body): JsonBody<CreatePriceListBody>,
) -> Result<Response, ApiError> {
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
    responses((status = 200, description = "Updated", body = super::schemas::PriceListWritten),
              (status = 404, description = "No such price list", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn update(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<UpdatePriceListBody>,
) -> Result<Response, ApiError> {
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
    responses((status = 200, description = "The list with the entry", body = super::schemas::PriceListWritten),
              (status = 404, description = "No such price list or product", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid breaks, each listed", body = service_http::openapi::Problem)))]
async fn set_entry(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((id, product_id)): Path<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<EntryBody>,
) -> Result<Response, ApiError> {
    let product = commerce::product(&state.catalog, product_id, None).await?;
    let breaks: Vec<BreakInput> =
        body.breaks.iter().map(|b| BreakInput { min_quantity: b.min_quantity, amount_minor: b.amount_minor }).collect();
    let ctx = context(&actor, ids);
    change_list(&state, &ctx, id, None, &[], |list, _| Ok(price_list::set_entry(list, &product, &breaks)?)).await
}

/// Removes a product's entry from the list.
#[utoipa::path(delete, path = "/v1/price-lists/{id}/entries/{product_id}", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list"), ("product_id" = Uuid, Path, description = "The product")),
    responses((status = 200, description = "The list without the entry", body = super::schemas::PriceListWritten),
              (status = 404, description = "No such price list or entry", body = service_http::openapi::Problem)))]
async fn remove_entry(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((id, product_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let ctx = context(&actor, ids);
    change_list(&state, &ctx, id, None, &[], |list, _| Ok(price_list::remove_entry(list, product_id)?)).await
}

/// Assigns the list to a company: its buyers get its prices while it is valid.
#[utoipa::path(put, path = "/v1/price-lists/{id}/companies/{company_id}", tag = "commerce", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The price list"), ("company_id" = Uuid, Path, description = "The company")),
    responses((status = 200, description = "Assigned (also when it already was)", body = super::schemas::PriceListWritten),
              (status = 404, description = "No such price list or company", body = service_http::openapi::Problem)))]
async fn assign(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((id, company_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
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
    responses((status = 200, description = "Unassigned (also when it was not assigned)", body = super::schemas::PriceListWritten),
              (status = 404, description = "No such price list", body = service_http::openapi::Problem)))]
async fn unassign(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path((id, company_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
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
) -> Result<Response, ApiError> {
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

fn list_body(heads: &HashMap<Uuid, Head>, id: Uuid) -> Result<Value, ApiError> {
    let list = state_of(heads, id, as_price_list).ok_or_else(|| DomainError::not_found("price list", id))?;
    let entries: Vec<Value> =
        list.entries.iter().map(|(product_id, breaks)| json!({ "product_id": product_id, "breaks": breaks })).collect();
    Ok(json!({
        "id": list.id,
        "name": list.name,
        "currency": list.currency,
        "priority": list.priority,
        "valid_from": list.valid_from,
        "valid_until": list.valid_until,
        "entries": entries,
        "companies": list.companies,
        "version": heads.get(&id).map_or(0, |h| h.version),
    }))
}
