//! OpenAPI links where one read leads to another (a search hit to its product, the category tree
//! to a category, a list to its items), so clients and schemathesis's stateful phase can follow
//! them. Operation ids are `{method}_{path}` (`service_http::openapi`).

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi, RefOr};

/// `(from path, to operation id, link name, the id in the answer)`: each link passes the id as
/// the target's `id` path parameter.
const LINKS: &[(&str, &str, &str, &str)] = &[
    ("/v1/search", "get_v1_products_id", "ProductOfFirstHit", "$response.body#/hits/0/id"),
    ("/v1/categories", "get_v1_categories_id", "FirstCategory", "$response.body#/0/id"),
    ("/v1/products", "get_v1_products_id", "FirstProduct", "$response.body#/products/0/id"),
    ("/v1/search/suggest", "get_v1_products_id", "FirstSuggestedProduct", "$response.body#/products/0/id"),
    ("/v1/search/suggest", "get_v1_categories_id", "FirstSuggestedCategory", "$response.body#/categories/0/id"),
    ("/v1/orders", "get_v1_orders_id", "FirstOrder", "$response.body#/orders/0/id"),
    ("/v1/price-lists", "get_v1_price_lists_id", "FirstPriceList", "$response.body#/price_lists/0/id"),
];

/// Adds `LINKS` to the 200 answers of the GET operations they start from.
pub fn add(doc: &mut OpenApi) {
    for (from, to, name, id) in LINKS {
        let Some(item) = doc.paths.paths.get_mut(*from) else { continue };
        let Some(operation) = item.get.as_mut() else { continue };
        let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") else { continue };
        // utoipa 5.5 writes `operation_id` in snake case, which no client reads: the field is set
        // by its OpenAPI name through the flattened extensions instead.
        let mut target = Extensions::default();
        target.insert("operationId".to_owned(), (*to).into());
        let link = LinkBuilder::new()
            .parameter("id", *id)
            .description(format!("The `id` of this answer, to `{to}`"))
            .extensions(Some(target))
            .build();
        ok.links.insert((*name).to_owned(), RefOr::T(link));
    }
}
