//! Company accounts and their buyers: `POST /v1/companies`, `PATCH /v1/companies/{id}` (rename),
//! `POST /v1/companies/{id}/disable`, `POST /v1/companies/{id}/users` (a buyer): admins only.
//! `PUT /v1/companies/{id}/payment-terms`: ops too.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::identity::company::{self, Company, PaymentTerms};
use domain::identity::Role;
use serde::{Deserialize, Serialize};
use service_http::revocations::Change;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::users::{user_body, UserRecord};
use super::{context, current, written, Answer, Written};
use crate::error::ApiError;
use crate::extract::{Admin, JsonBody, RequestIds, Staff};
use crate::identity::accounts::{self, company_of};
use crate::identity::rights;
use crate::service::Committed;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(rename))
        .routes(routes!(disable))
        .routes(routes!(create_buyer))
        .routes(routes!(set_payment_terms))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Named {
    #[schema(schema_with = domain::openapi::names::max_200)]
    name: String,
    #[serde(default)]
    expected_version: Option<i64>,
}

/// Creates a company account (names are unique).
#[utoipa::path(post, path = "/v1/companies", tag = "companies", security(("bearer" = [])), request_body = Named,
    responses((status = 201, description = "Created", body = Written<CompanyRecord>),
              (status = 409, description = "The name is taken", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    JsonBody(body): JsonBody<Named>,
) -> Result<Answer<Written<CompanyRecord>>, ApiError> {
    let id = Uuid::now_v7();
    let ctx = context(&actor, ids);
    let committed = state.catalog.change_streams(&ctx, &[], |_| Ok(company::create(id, &body.name)?)).await?;
    Ok(written(StatusCode::CREATED, committed.position, company_body(&committed, id)?))
}

/// Renames a company.
#[utoipa::path(patch, path = "/v1/companies/{id}", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company")), request_body = Named,
    responses((status = 200, description = "Renamed", body = Written<CompanyRecord>),
              (status = 404, description = "No such company", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version, or the name is taken", body = service_http::openapi::Problem),
              (status = 422, description = "Invalid fields, each listed", body = service_http::openapi::Problem)))]
async fn rename(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<Named>,
) -> Result<Answer<Written<CompanyRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[id], |heads| {
            Ok(company::rename(current(heads, id, body.expected_version, company_of)?, &body.name)?)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, company_body(&committed, id)?))
}

#[utoipa::path(post, path = "/v1/companies/{id}/disable", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company")),
    responses((status = 200, description = "Disabled", body = Written<CompanyRecord>),
              (status = 404, description = "No such company", body = service_http::openapi::Problem),
              (status = 409, description = "Already disabled", body = service_http::openapi::Problem)))]
/// Disables a company: its buyers can no longer log in or refresh, and their access tokens are
/// refused at once.
async fn disable(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(id): Path<Uuid>,
) -> Result<Answer<Written<CompanyRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[id], |heads| Ok(company::disable(company_of(heads.get(&id), id)?)?))
        .await?;
    rights::record(&state.identity, Change::CompanyDisabled { company: id }, ctx.now).await;
    Ok(written(StatusCode::OK, committed.position, company_body(&committed, id)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PaymentTermsBody {
    /// `prepaid` (every company starts so), `net30` or `net60`.
    payment_terms: PaymentTerms,
    #[serde(default)]
    expected_version: Option<i64>,
}

/// Sets the payment terms the company's orders are placed on (frozen into each order). Ops.
#[utoipa::path(put, path = "/v1/companies/{id}/payment-terms", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company")), request_body = PaymentTermsBody,
    responses((status = 200, description = "Set", body = Written<CompanyRecord>),
              (status = 404, description = "No such company", body = service_http::openapi::Problem),
              (status = 409, description = "Stale expected_version", body = service_http::openapi::Problem),
              (status = 422, description = "Unknown payment terms", body = service_http::openapi::Problem)))]
async fn set_payment_terms(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ids: RequestIds,
    Path(id): Path<Uuid>,
    JsonBody(body): JsonBody<PaymentTermsBody>,
) -> Result<Answer<Written<CompanyRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let committed = state
        .catalog
        .change_streams(&ctx, &[id], |heads| {
            let company = current(heads, id, body.expected_version, company_of)?;
            Ok(company::set_payment_terms(company, body.payment_terms)?)
        })
        .await?;
    Ok(written(StatusCode::OK, committed.position, company_body(&committed, id)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBuyer {
    #[schema(schema_with = domain::openapi::email)]
    email: String,
    #[schema(schema_with = domain::openapi::password)]
    password: String,
}

/// Creates a buyer of the company.
#[utoipa::path(post, path = "/v1/companies/{id}/users", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company")), request_body = CreateBuyer,
    responses((status = 201, description = "Created", body = Written<UserRecord>),
              (status = 404, description = "No such company", body = service_http::openapi::Problem),
              (status = 409, description = "The email is taken", body = service_http::openapi::Problem),
              (status = 422, description = "A bad email or password (12–128 characters), each listed", body = service_http::openapi::Problem)))]
async fn create_buyer(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ids: RequestIds,
    Path(company_id): Path<Uuid>,
    JsonBody(body): JsonBody<CreateBuyer>,
) -> Result<Answer<Written<UserRecord>>, ApiError> {
    let ctx = context(&actor, ids);
    let (id, committed) = accounts::create_user(
        &state.identity.passwords,
        &state.catalog,
        &ctx,
        &body.email,
        body.password,
        Role::Buyer,
        Some(company_id),
    )
    .await?;
    Ok(written(StatusCode::CREATED, committed.position, user_body(&committed, id)?))
}

/// A company account as a command left it.
#[derive(Serialize, ToSchema)]
pub struct CompanyRecord {
    id: Uuid,
    name: String,
    disabled: bool,
    payment_terms: PaymentTerms,
    #[schema(minimum = 1)]
    version: i64,
}

fn company_body(committed: &Committed, id: Uuid) -> Result<CompanyRecord, ApiError> {
    let head = committed.head(id);
    let Company { name, disabled, payment_terms, .. } = company_of(head, id)?;
    let version = head.map_or(0, |h| h.version);
    Ok(CompanyRecord { id, name: name.clone(), disabled: *disabled, payment_terms: *payment_terms, version })
}
