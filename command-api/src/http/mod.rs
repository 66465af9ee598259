//! The HTTP surface: one module per resource, each with its own `router()`.

mod attributes;
mod audit;
mod auth;
mod brands;
mod cart;
mod categories;
mod checkout;
mod companies;
mod families;
mod health;
mod imports;
mod orders;
mod price_lists;
mod products;
mod schemas;
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
use serde_json::Value;
use service_http::openapi::{self, About};
use utoipa::openapi::{HttpMethod, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

pub use imports::IMPORTS_PATH;

use crate::error::ApiError;
use crate::extract::{Actor, RequestIds};
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
        let import = path.starts_with(IMPORTS_PATH);
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
        }
    }
    // Path ids are UUIDs: anything else is a 400 before a handler runs (`Path<Uuid>` then holds).
    let routes = routes.route_layer(axum::middleware::from_fn(service_http::path_ids::uuids));
    let (router, doc) = openapi::publish(routes, &ABOUT)?;
    Ok((router.fallback(|| async { ApiError::NotFound("no such endpoint".into()) }), doc))
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

/// A command's answer: the body with `position` added, and the `X-Position` header.
fn written(status: StatusCode, position: i64, mut body: Value) -> Response {
    if let Value::Object(map) = &mut body {
        map.insert("position".into(), position.into());
    }
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&position.to_string()) {
        response.headers_mut().insert("x-position", value);
    }
    response
}

/// An upsert's answer: 201 with `Location` when it created the record, else 200; the body
/// carries `outcome` and `position`.
fn upserted(upserted: &Upserted, location: &str, mut body: Value) -> Response {
    let status = match upserted.outcome {
        Outcome::Created => StatusCode::CREATED,
        Outcome::Updated | Outcome::Unchanged => StatusCode::OK,
    };
    if let Value::Object(map) = &mut body {
        map.insert("outcome".into(), serde_json::json!(upserted.outcome));
    }
    let mut response = written(status, upserted.position(), body);
    if upserted.outcome == Outcome::Created {
        if let Ok(value) = HeaderValue::from_str(&format!("{location}/{}", upserted.id)) {
            response.headers_mut().insert(axum::http::header::LOCATION, value);
        }
    }
    response
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
