//! The answer of `GET /v1/search`: one page of ranked hits with exact totals, facets and ranges.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::prices::Price;

/// A family or brand of a hit, by id and name.
#[derive(Serialize, ToSchema)]
pub struct Named {
    pub id: Uuid,
    /// Null only while the projector has not seen it yet.
    pub name: Option<String>,
}

/// A search hit: the product's summary and its score (null when browsing).
#[derive(Serialize, ToSchema)]
pub struct Hit {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub family: Named,
    pub brand: Option<Named>,
    pub category_id: Option<Uuid>,
    /// Spec values by attribute key, as given and normalized.
    #[schema(value_type = Object)]
    pub specs: Value,
    pub score: Option<f64>,
    /// The product's primary image as a small thumbnail (160 px), else its family's; null when
    /// neither has one.
    pub thumbnail_url: Option<String>,
    /// Only with an access token: the caller's price at the minimum order quantity, added outside
    /// the cache by `crate::prices`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
}

/// How many products hold one value of a filterable attribute.
#[derive(Serialize, ToSchema)]
pub struct FacetValue {
    pub value: String,
    #[schema(minimum = 1)]
    pub count: u64,
}

/// The least and greatest value of a numeric attribute over every match.
#[derive(Serialize, ToSchema)]
pub struct Range {
    pub min: f64,
    pub max: f64,
    /// The base unit the bounds are in (null for unitless numbers).
    pub unit: Option<String>,
}

/// How the hits match the query's terms.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Matching {
    /// Every term matched (or a browse without `q`).
    All,
    /// No product matched every term; these match some, the most terms first.
    Partial,
    None,
}

/// One page of ranked results with exact totals, facets and ranges over every match.
#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    pub q: String,
    /// The query's terms as normalized ("24 V" → "24v").
    pub terms: Vec<String>,
    /// Terms corrected to a known one (term → correction).
    pub corrections: BTreeMap<String, String>,
    #[serde(rename = "match")]
    pub matched: Matching,
    /// Set for partial matches: what was done instead.
    pub notice: Option<String>,
    /// Every match, counted exactly (the search index counts sets, not rows).
    pub total: u64,
    /// Always true: kept for clients written when totals were capped.
    pub total_exact: bool,
    #[schema(minimum = 1)]
    pub page: u32,
    #[schema(minimum = 1, maximum = 100)]
    pub per_page: u32,
    pub hits: Vec<Hit>,
    /// Value counts of each filterable attribute, most frequent first.
    pub facets: BTreeMap<String, Vec<FacetValue>>,
    /// Bounds of each numeric filterable attribute, in its base unit.
    pub ranges: BTreeMap<String, Range>,
    /// Always true: facets are counted over every match.
    pub facets_exact: bool,
}
