//! The HTTP surface: one module per resource, each with its own `router()`.

mod attributes;
mod audit;
mod audit_chain;
mod auth;
mod brands;
mod cart;
mod categories;
mod checkout;
mod companies;
mod families;
mod health;
mod imports;
mod links;
mod media;
mod media_list;
mod orders;
mod price_lists;
mod products;
mod stock;
mod synonyms;
mod terms;
mod users;

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::Utc;
use event_store::Metadata;
use serde::Serialize;
use service_http::openapi::{self, About};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::OneOfBuilder;
use utoipa::openapi::{Content, HttpMethod, OpenApi, Ref, RefOr, Response as DocResponse, Schema};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

pub use imports::IMPORTS_PATH;

use crate::error::ApiError;
use crate::extract::{Actor, RequestIds};
use crate::idempotency::LostAnswer;
use crate::service::{CommandContext, Head};
use crate::state::AppState;
use crate::upsert::{Outcome, Upserted};
use domain::names::ExternalId;

const ABOUT: About = About {
    title: "Ferrule command API",
    description: "The write side of Ferrule's catalog and identity: every command is validated and appended \
                  as events. Errors are application/problem+json; writes answer their global `position` (body \
                  and `X-Position`), which the query API's `X-Min-Position` waits for.",
};

/// The routes this service serves with their OpenAPI document, which `/openapi.json` and `/docs`
/// (added here) publish. Every route is registered with utoipa-axum's `routes!`, so it is in the
/// document by construction; `tests/tests/openapi.rs` checks that nothing bypassed that.
pub fn api() -> anyhow::Result<(Router<AppState>, OpenApi)> {
    let mut routes = resources();
    for (path, method, operation) in openapi::operations_mut(routes.get_openapi_mut()) {
        // Every authenticated write answers with the position of its last event (but the import
        // routes, which queue or cancel a job and append nothing themselves).
        // Starting a media upload appends nothing either (its completion does).
        let import = path.starts_with(IMPORTS_PATH) || path == "/v1/media/uploads";
        if method != HttpMethod::Get && operation.security.is_some() && !import {
            openapi::success_header(operation, "X-Position", "The global position of the command's last event");
        }
        if method != HttpMethod::Get && operation.security.is_some() && (!import || path == IMPORTS_PATH) {
            openapi::request_header(
                operation,
                "Idempotency-Key",
                255,
                "1–255 visible ASCII characters of the caller's choosing: a retry with the same key and request \
                 (method, path, body) within 24 hours answers the first answer again, with `Idempotent-Replayed: \
                 true`, and runs nothing; the same key with another request is a 422 (`idempotency_key_reused`).",
            );
            lost_answer(operation);
            operation.responses.responses.entry("422".to_owned()).or_insert_with(|| {
                RefOr::T(openapi::problem_response(
                    "Invalid fields, or an invalid or reused Idempotency-Key (`invalid_idempotency_key`, \
                     `idempotency_key_reused`)",
                ))
            });
        }
        external_id_parameter(operation);
        audit_parameters(path, operation);
    }
    links::add(routes.get_openapi_mut());
    let components = routes.get_openapi_mut().components.get_or_insert_with(Default::default);
    components.schemas.insert("LostAnswer".to_owned(), <LostAnswer as utoipa::PartialSchema>::schema());
    // Path ids are UUIDs: anything else is a 400 before a handler runs (`Path<Uuid>` then holds).
    let routes = routes.route_layer(axum::middleware::from_fn(service_http::path_ids::uuids));
    let (router, doc) = openapi::publish(routes, &ABOUT)?;
    Ok((router.fallback(|| async { ApiError::NotFound("no such endpoint".into()) }), doc))
}

/// A `{external_id}` path parameter is checked as the body's `external_id` is.
fn external_id_parameter(operation: &mut Operation) {
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.name == "external_id" {
            parameter.schema = Some(RefOr::T(domain::openapi::names::external_id().into()));
        }
    }
}

/// The audit queries' names are the domain's own: stream types (of those whose state is served,
/// on `/state`), event types, and an actor or request id that is not blank.
fn audit_parameters(path: &str, operation: &mut Operation) {
    use audit::params;
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    if !path.starts_with("/v1/audit/") {
        return;
    }
    let names = |names: Vec<String>| ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)).build();
    let kinds: Vec<String> = if path.ends_with("/state") {
        domain::audit::STATE_KINDS.iter().map(|kind| kind.as_str().to_owned()).collect()
    } else {
        domain::audit::stream_type_names().into_iter().map(str::to_owned).collect()
    };
    for parameter in operation.parameters.iter_mut().flatten() {
        let schema: Schema = match parameter.name.as_str() {
            "stream_type" => names(kinds.clone()).into(),
            "event_type" => ArrayBuilder::new().items(names(domain::audit::event_type_names())).build().into(),
            "actor" | "request_id" => {
                ObjectBuilder::new().schema_type(Type::String).pattern(Some(params::NOT_BLANK)).build().into()
            }
            _ => continue,
        };
        parameter.schema = Some(RefOr::T(schema));
    }
}

/// A replayed key whose command was applied but whose answer was lost answers 200 with a
/// `LostAnswer` (see `idempotency`): the 200 of the operation is that, or else its own body.
fn lost_answer(operation: &mut Operation) {
    let lost = RefOr::Ref(Ref::from_schema_name("LostAnswer"));
    let responses = &mut operation.responses.responses;
    let Some(RefOr::T(ok)) = responses.get_mut("200") else {
        let mut response = DocResponse::new("A replay of a command whose answer was lost: only its position is known");
        response.content.insert("application/json".to_owned(), Content::new(Some(lost)));
        responses.insert("200".to_owned(), RefOr::T(response));
        return;
    };
    for content in ok.content.values_mut() {
        if let Some(own) = content.schema.take() {
            content.schema = Some(RefOr::T(OneOfBuilder::new().item(own).item(lost.clone()).build().into()));
        }
    }
}

fn resources() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(categories::router())
        .merge(attributes::router())
        .merge(brands::router())
        .merge(families::router())
        .merge(products::router())
        .merge(synonyms::router())
        .merge(audit::router())
        .merge(audit_chain::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(companies::router())
        .merge(terms::router())
        .merge(price_lists::router())
        .merge(stock::router())
        .merge(cart::router())
        .merge(checkout::router())
        .merge(orders::router())
        .merge(imports::router())
        .merge(media::router())
        .merge(media_list::router())
        .merge(health::router())
}

/// The command's audit metadata (the authenticated actor and the request's ids), and the actor's
/// rights as the command requires them to still hold when it commits.
fn context(actor: &Actor, ids: RequestIds) -> CommandContext {
    let mut ctx = context_of(&actor.user_id.to_string(), actor.role.as_str(), ids);
    ctx.requires = crate::identity::rights::required(actor);
    ctx
}

/// The audit metadata of a command by whoever `actor_id` and `actor_role` name.
fn context_of(actor_id: &str, actor_role: &str, ids: RequestIds) -> CommandContext {
    CommandContext {
        metadata: Metadata {
            actor_id: actor_id.to_owned(),
            actor_role: actor_role.to_owned(),
            request_id: ids.request_id.into(),
            correlation_id: ids.correlation_id,
            causation_id: ids.causation_id,
        },
        now: Utc::now(),
        requires: Vec::new(),
        idempotency: ids.idempotency,
    }
}

/// A command's answer: the record as the command left it, with the global position of the
/// command's last event (also sent as `X-Position`, which the query API's `X-Min-Position` waits for).
#[derive(Serialize, ToSchema)]
pub struct Written<T> {
    #[serde(flatten)]
    pub record: T,
    /// The global position of the command's last event.
    #[schema(minimum = 0)]
    pub position: i64,
}

/// An upsert's answer (`PUT …/by-external-id/{external_id}`): the record, what the upsert did, and
/// the position of its last event (or, unchanged, of the record's).
#[derive(Serialize, ToSchema)]
pub struct UpsertWritten<T> {
    #[serde(flatten)]
    pub record: T,
    pub outcome: Outcome,
    #[schema(minimum = 0)]
    pub position: i64,
}

/// A write's HTTP answer: its status, the body, `X-Position`, and `Location` for a record created
/// by an upsert.
pub struct Answer<B> {
    status: StatusCode,
    position: i64,
    location: Option<String>,
    body: B,
}

impl<B: Serialize> IntoResponse for Answer<B> {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&self.position.to_string()) {
            response.headers_mut().insert("x-position", value);
        }
        if let Some(value) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(axum::http::header::LOCATION, value);
        }
        response
    }
}

/// A command's answer: the record with `position`, and the `X-Position` header.
fn written<T>(status: StatusCode, position: i64, record: T) -> Answer<Written<T>> {
    Answer { status, position, location: None, body: Written { record, position } }
}

/// An upsert's answer: 201 with `Location` when it created the record, else 200; the body
/// carries `outcome` and `position`.
fn upserted<T>(upserted: &Upserted, location: &str, record: T) -> Answer<UpsertWritten<T>> {
    let (status, location) = match upserted.outcome {
        Outcome::Created => (StatusCode::CREATED, Some(format!("{location}/{}", upserted.id))),
        Outcome::Updated | Outcome::Unchanged => (StatusCode::OK, None),
    };
    let position = upserted.position();
    Answer { status, position, location, body: UpsertWritten { record, outcome: upserted.outcome, position } }
}

/// The path's external id, checked; a body's own (when it has one) must say the same.
fn external_id_of(path: &str, body: Option<&str>) -> Result<ExternalId, ApiError> {
    let external_id = ExternalId::parse(path).map_err(|e| ApiError::Invalid(vec![e]))?;
    if let Some(given) = body {
        if ExternalId::parse(given).ok().as_ref() != Some(&external_id) {
            return Err(ApiError::Invalid(vec![domain::FieldError::new(
                "external_id",
                "external_id_mismatch",
                format!(
                    "the body's external_id is not the path's {:?}: leave it out, or give the same",
                    external_id.as_str()
                ),
            )]));
        }
    }
    Ok(external_id)
}

/// The state of a loaded stream as `of` reads it (or its 404), refused as stale unless the stream
/// is at `expected` (when given).
fn current<'h, T>(
    heads: &'h HashMap<Uuid, Head>,
    id: Uuid,
    expected: Option<i64>,
    of: impl Fn(Option<&'h Head>, Uuid) -> Result<&'h T, ApiError>,
) -> Result<&'h T, ApiError> {
    let head = heads.get(&id);
    let found = of(head, id)?;
    check_version(expected, head.map_or(0, |h| h.version))?;
    Ok(found)
}

/// Tells `"field": null` (clear it) from no field at all (leave it), for `Option<Option<T>>`
/// fields with `#[serde(default, deserialize_with = "present")]`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// A stale `expected_version` is refused before anything is decided.
fn check_version(expected: Option<i64>, actual: i64) -> Result<(), ApiError> {
    match expected {
        Some(expected) if expected != actual => Err(ApiError::stale_version()),
        _ => Ok(()),
    }
}
