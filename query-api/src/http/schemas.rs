//! OpenAPI schemas of what the handlers answer (the bodies are built from read-model rows in the
//! handlers and in `crate::search`).
#![allow(dead_code)] // Schemas only.

mod commerce;

pub use commerce::*;

use chrono::{DateTime, Utc};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CategoryKind {
    Cluster,
    Node,
    Leaf,
}

/// A category of the tree, with the categories under it.
#[derive(ToSchema)]
pub struct TreeNode {
    id: Uuid,
    name: String,
    /// The materialized path, ids joined by dots.
    path: String,
    kind: CategoryKind,
    #[schema(no_recursion)]
    children: Vec<TreeNode>,
}

#[derive(ToSchema)]
pub struct CategoryRef {
    id: Uuid,
    name: String,
    path: String,
}

/// One category with its ancestors (root first) and every attribute it resolves.
#[derive(ToSchema)]
pub struct CategoryDetail {
    id: Uuid,
    name: String,
    path: String,
    kind: CategoryKind,
    parent_id: Option<Uuid>,
    /// The source system's id, when it has one.
    external_id: Option<String>,
    ancestors: Vec<CategoryRef>,
    /// The resolved attribute set, each definition with the level it came from.
    #[schema(value_type = Vec<Value>)]
    attributes: Value,
    version: i64,
    position: i64,
}

#[derive(ToSchema)]
pub struct Named {
    id: Uuid,
    name: Option<String>,
}

/// A product's family or brand.
#[derive(ToSchema)]
pub struct ProductRef {
    id: Uuid,
    name: Option<String>,
    /// The source system's id, when it has one.
    external_id: Option<String>,
}

#[derive(ToSchema)]
pub struct ProductCategory {
    id: Uuid,
    name: Option<String>,
    path: Option<String>,
}

/// One product as the catalog shows it.
#[derive(ToSchema)]
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
    /// Only with an access token (and only `GET /v1/products/{id}`): the caller's price.
    price: Option<Price>,
}

/// One page of products.
#[derive(ToSchema)]
pub struct ProductPage {
    total: u64,
    page: u32,
    per_page: u32,
    products: Vec<ProductDetail>,
}

/// A search hit: the product's summary and its score (null when browsing).
#[derive(ToSchema)]
pub struct Hit {
    id: Uuid,
    sku: String,
    name: String,
    family: Named,
    brand: Option<Named>,
    category_id: Option<Uuid>,
    #[schema(value_type = Object)]
    specs: Value,
    score: Option<f64>,
    /// Only with an access token: the caller's price at the minimum order quantity.
    price: Option<Price>,
}

#[derive(ToSchema)]
pub struct FacetValue {
    value: String,
    count: u64,
}

#[derive(ToSchema)]
pub struct Range {
    min: f64,
    max: f64,
    /// The base unit the bounds are in (null for unitless numbers).
    unit: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Matched {
    /// Every term matched (or a browse without `q`).
    All,
    /// No product matched every term; these match some, the most terms first.
    Partial,
    None,
}

/// One page of ranked results with exact totals, facets and ranges over every match.
#[derive(ToSchema)]
pub struct SearchResults {
    q: String,
    /// The query's terms as normalized ("24 V" → "24v").
    terms: Vec<String>,
    /// Terms corrected to a known one (term → correction).
    #[schema(value_type = Object)]
    corrections: Value,
    #[schema(rename = "match")]
    matched: Matched,
    notice: Option<String>,
    /// Every match, counted exactly (the search index counts sets, not rows).
    total: u64,
    /// Always true: kept for clients written when totals were capped.
    total_exact: bool,
    page: u32,
    per_page: u32,
    hits: Vec<Hit>,
    /// Value counts of each filterable attribute: `{KEY: [{value, count}]}`.
    #[schema(value_type = HashMap<String, Vec<FacetValue>>)]
    facets: Value,
    /// Bounds of each numeric filterable attribute, in its base unit: `{KEY: {min, max, unit}}`.
    #[schema(value_type = HashMap<String, Range>)]
    ranges: Value,
    /// Always true: facets are counted over every match.
    facets_exact: bool,
}

#[derive(ToSchema)]
pub struct SuggestedCategory {
    id: Uuid,
    name: String,
    path: String,
    /// The names of its ancestors.
    within: Option<String>,
}

#[derive(ToSchema)]
pub struct SuggestedFamily {
    id: Uuid,
    name: String,
    code: String,
}

#[derive(ToSchema)]
pub struct SuggestedProduct {
    id: Uuid,
    sku: String,
    name: String,
}

#[derive(ToSchema)]
pub struct Suggestions {
    q: String,
    categories: Vec<SuggestedCategory>,
    brands: Vec<Named>,
    families: Vec<SuggestedFamily>,
    products: Vec<SuggestedProduct>,
}

#[derive(ToSchema)]
pub struct SynonymSet {
    id: Uuid,
    phrases: Vec<String>,
    version: i64,
}

#[derive(ToSchema)]
pub struct SynonymSets {
    synonyms: Vec<SynonymSet>,
}

#[derive(ToSchema)]
pub struct Checkpoint {
    position: i64,
    event_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: String,
    #[schema(example = "ok")]
    database: String,
    checkpoint: Option<Checkpoint>,
    /// The in-memory search index (absent when the read database is unreachable).
    search_index: Option<SearchIndexStatus>,
    /// `ok`, `unreachable` or `not_configured`.
    write_database: Option<String>,
    write_head: Option<i64>,
    /// Events not applied yet (counted up to a million).
    behind: Option<i64>,
    lag_seconds: Option<f64>,
}

/// How far the query API's in-memory search index has followed the read model.
#[derive(ToSchema)]
pub struct SearchIndexStatus {
    /// False while it loads at start (searches wait for it).
    loaded: bool,
    /// The read-model checkpoint it reflects.
    position: Option<i64>,
    /// Products it finds (not retired).
    products: u64,
}

#[derive(ToSchema)]
pub struct Live {
    #[schema(example = "live")]
    status: String,
}
