//! Search and browse over the read model.
//!
//! A query is cut into terms by the domain's normalizer — the same code that made the products'
//! search terms — so "24 V" meets a voltage of 0.024 kV and "DIN-912" meets "DIN 912"; it is at
//! most 512 characters and 32 terms (`domain::search::SearchQuery`, shared with suggest). Every
//! term must match; when no product matches them all, the best partial matches are served
//! instead and the answer says so.
//!
//! The matching, counting, faceting and ranking run on the in-memory index (`index`, `find`),
//! which follows the read model; the page's products are then read from the read database.
//! Totals and facets are exact over every match; ranking scores a bounded number of candidates
//! per tier, so pages beyond the first `CANDIDATES` results are not served.

pub mod find;
pub mod index;
pub mod params;
pub mod schema;
pub mod snapshots;
pub mod suggest;
pub mod vocabulary;

use std::collections::HashMap;

use domain::search::is_value_term;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::ApiError;
use find::{find, Matched, Query};
use index::follow::SearchIndex;
use params::Raw;
use schema::{filterables, FilterableCache};
use vocabulary::{vocabulary, VocabularyCache};

/// Products ranked per tier of candidates; pages end within them.
pub const CANDIDATES: usize = 300;

/// One term of the query and the ways it may be found: itself, or (with synonyms) other terms,
/// each alternative a set of terms that must all be present.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub text: String,
    pub alternatives: Vec<Vec<String>>,
    /// The catalog's word a mistyped one was also searched as.
    pub corrected: Option<String>,
}

impl Group {
    /// Whether the group names a spec value ("24V", "M12"), which the specs may hold.
    pub fn is_value(&self) -> bool {
        self.alternatives.iter().all(|terms| terms.iter().all(|t| is_value_term(t)))
    }
}

/// What searches keep in memory between requests.
#[derive(Clone)]
pub struct Caches {
    pub filterables: FilterableCache,
    pub vocabulary: VocabularyCache,
    pub index: SearchIndex,
}

impl Caches {
    /// Empty caches, and the search index loaded and followed in the background.
    pub fn start(read: &PgPool) -> Caches {
        Caches {
            filterables: FilterableCache::default(),
            vocabulary: VocabularyCache::default(),
            index: SearchIndex::start(read.clone()),
        }
    }
}

/// One page of results, as JSON, for the request's parameters.
pub async fn search(read: &PgPool, caches: &Caches, raw: &Raw, wanted: i64, position: i64) -> Result<Value, ApiError> {
    let scope = match raw.category_id {
        Some(category) => Some(subtree(read, category).await?),
        None => None,
    };
    let attributes = filterables(&caches.filterables, read, raw.category_id, wanted, position).await?;
    let filters = params::filters(raw, &attributes).map_err(ApiError::Invalid)?;
    let groups = vocabulary(&caches.vocabulary, read, wanted, position).await?.groups(raw.q.terms());
    let offset = (raw.page as usize - 1) * raw.per_page as usize;
    let limit = raw.per_page as usize;
    if offset + limit > CANDIDATES {
        return Err(ApiError::Invalid(vec![domain::FieldError::new(
            "page",
            "beyond_results",
            format!(
                "only the first {CANDIDATES} results of a search or browse are served (page {} of {} ends at \
                 {}); narrow it with filters or a category",
                raw.page,
                raw.per_page,
                offset + limit
            ),
        )]));
    }
    let query =
        Query { groups: &groups, scope: scope.as_deref(), filters: &filters, attributes: &attributes, offset, limit };
    let found = caches.index.read(position, |index| find(index, &query)).await?;

    let notice = (found.matched == Matched::Partial).then(|| {
        let mut text = "No product matches every term; these match some of them, the most terms first.".to_owned();
        if !found.absent.is_empty() {
            text.push_str(&format!(" Nothing here matches {}.", found.absent.join(", ")));
        }
        text
    });
    let matched = match found.matched {
        Matched::Browse | Matched::All => "all",
        Matched::Partial => "partial",
        Matched::None => "none",
    };
    let facets: Map<String, Value> = found
        .facets
        .iter()
        .map(|(key, values)| {
            let list = values.iter().map(|(value, n)| json!({ "value": value, "count": n })).collect();
            (key.clone(), Value::Array(list))
        })
        .collect();
    let ranges: Map<String, Value> = found
        .ranges
        .iter()
        .map(|(key, (min, max))| {
            let unit = attributes.get(key).and_then(|a| a.base_unit()).map(|u| u.symbol());
            (key.clone(), json!({ "min": min, "max": max, "unit": unit }))
        })
        .collect();
    Ok(json!({
        "q": raw.q.text(),
        "terms": groups.iter().map(|g| &g.text).collect::<Vec<_>>(),
        "corrections": groups
            .iter()
            .filter_map(|g| g.corrected.as_ref().map(|c| (g.text.clone(), Value::String(c.clone()))))
            .collect::<Map<String, Value>>(),
        "match": matched,
        "notice": notice,
        "total": found.total,
        "total_exact": true,
        "page": raw.page,
        "per_page": raw.per_page,
        "hits": hits(read, &found.page).await?,
        "facets": facets,
        "ranges": ranges,
        "facets_exact": true,
    }))
}

/// The categories of the subtree under `category`, itself included; 422 when it is unknown.
async fn subtree(read: &PgPool, category: Uuid) -> Result<Vec<Uuid>, ApiError> {
    let (known, subtree): (bool, Vec<Uuid>) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM catalog.categories WHERE id = $1 AND NOT retired), \
                ARRAY(SELECT id FROM catalog.categories WHERE path @> ARRAY[$1]::uuid[])",
    )
    .bind(category)
    .fetch_one(read)
    .await?;
    if !known {
        return Err(ApiError::Invalid(vec![domain::FieldError::new(
            "category_id",
            "unknown_category",
            format!("category {category} does not exist"),
        )]));
    }
    Ok(subtree)
}

/// The page's products, read from the read model, in the page's order, with their scores.
async fn hits(read: &PgPool, page: &[(Uuid, Option<f64>)]) -> Result<Value, ApiError> {
    let ids: Vec<Uuid> = page.iter().map(|(id, _)| *id).collect();
    let rows: Vec<(Uuid, Value)> = sqlx::query_as(
        "SELECT p.id, json_build_object('id', p.id, 'sku', p.sku, 'name', p.name, \
                'family', json_build_object('id', p.family_id, 'name', p.family_name), \
                'brand', CASE WHEN p.brand_id IS NULL THEN NULL \
                         ELSE json_build_object('id', p.brand_id, 'name', p.brand_name) END, \
                'category_id', p.category_id, 'specs', p.specs) \
         FROM catalog.products p WHERE p.id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(read)
    .await?;
    let mut rows: HashMap<Uuid, Value> = rows.into_iter().collect();
    let hits = page
        .iter()
        .filter_map(|(id, score)| {
            let mut hit = rows.remove(id)?;
            if let Value::Object(fields) = &mut hit {
                fields.insert("score".into(), json!(score));
            }
            Some(hit)
        })
        .collect();
    Ok(Value::Array(hits))
}
