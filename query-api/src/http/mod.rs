//! The HTTP surface: one module per resource, each with its own `router()`.

mod cart;
mod categories;
mod exports;
mod health;
mod links;
pub mod media;
mod orders;
mod paging;
mod price_lists;
mod products;
mod search;
mod stock;

use axum::Router;
use service_http::openapi::{self, About};
use std::collections::btree_map::Entry;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{OpenApi, RefOr, Required};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::state::AppState;

const ABOUT: About = About {
    title: "Ferrule query API",
    description: "The read side of Ferrule: browse and search, public (a buyer's access token adds its \
                  company's prices); the buyer's cart and orders; for ops and admin the order queue, stock and \
                  price lists. Answers come from the read model the projector keeps; send `X-Min-Position` with a command's `position` to read your own \
                  writes. Errors are application/problem+json.",
};

/// The routes this service serves with their OpenAPI document, which `/openapi.json` and `/docs`
/// (added here, outside `layers`) publish. `layers` wraps the resource routes (the cache and
/// read-your-writes). Every route is registered with utoipa-axum's `routes!`, so it is in the
/// document by construction; `tests/tests/openapi.rs` checks that nothing bypassed that.
pub fn api(
    layers: impl FnOnce(OpenApiRouter<AppState>) -> OpenApiRouter<AppState>,
) -> anyhow::Result<(Router<AppState>, OpenApi)> {
    let mut routes = OpenApiRouter::new()
        .merge(categories::router())
        .merge(products::router())
        .merge(media::router())
        .merge(search::router())
        .merge(cart::router())
        .merge(orders::router())
        .merge(stock::router())
        .merge(exports::router())
        .merge(price_lists::router())
        .merge(health::router());
    for (_, _, operation) in openapi::operations_mut(routes.get_openapi_mut()) {
        read_your_writes(operation);
    }
    links::add(routes.get_openapi_mut());
    // Path ids are UUIDs: anything else is a 400 before the cache, the wait or a handler runs.
    let routes = layers(routes).route_layer(axum::middleware::from_fn(service_http::path_ids::uuids));
    let (router, doc) = openapi::publish(routes, &ABOUT)?;
    Ok((router.fallback(|| async { ApiError::NotFound("no such endpoint".into()) }), doc))
}

/// What `crate::freshness` adds to every resource route: `X-Min-Position` in, `X-Position` out;
/// 400 for a malformed position, 409 for one beyond the event store's head, 504 when the read
/// model does not get there in time.
fn read_your_writes(operation: &mut utoipa::openapi::path::Operation) {
    let parameter = ParameterBuilder::new()
        .name("X-Min-Position")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Answer only once the read model has reached this global position (a command's `position`). \
             A position beyond the event store's head is refused at once (409); one the read model does \
             not reach within the wait is a 504.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .maximum(Some(i64::MAX)),
        ))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(parameter);
    openapi::success_header(operation, "X-Position", "The read model's position the answer reflects (at least)");
    problem(operation, "400", "X-Min-Position is not a whole number from 0 to 9223372036854775807");
    problem(operation, "409", "X-Min-Position is beyond the event store's head: no command answered with it yet");
    problem(operation, "504", "The read model did not reach X-Min-Position within the wait; retry shortly");
}

/// Documents a problem answer of `status`, adding `why` to the description when the route
/// already lists the status for another reason.
fn problem(operation: &mut utoipa::openapi::path::Operation, status: &str, why: &str) {
    match operation.responses.responses.entry(status.to_owned()) {
        Entry::Occupied(mut listed) => {
            if let RefOr::T(response) = listed.get_mut() {
                response.description = format!("{}; or: {why}", response.description);
            }
        }
        Entry::Vacant(absent) => {
            absent.insert(RefOr::T(openapi::problem_response(why)));
        }
    }
}
