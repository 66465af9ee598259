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

pub mod answer;
pub mod find;
pub mod index;
pub mod params;
pub mod schema;
pub mod snapshots;
pub mod suggest;
pub mod vocabulary;

use std::collections::HashMap;

use answer::{FacetValue, Hit, Matching, Named, Range, SearchResults};
use domain::search::is_value_term;
use media_store::MediaStore;
use serde_json::Value;
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

/// One page of results for the request's parameters.
pub async fn search(
    read: &PgPool,
    media: &MediaStore,
    caches: &Caches,
    raw: &Raw,
    wanted: i64,
    position: i64,
) -> Result<SearchResults, ApiError> {
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
        return Err(ApiError::Unknown(domain::FieldError::new(
            "page",
            "beyond_results",
            format!(
                "only the first {CANDIDATES} results of a search or browse are served (page {} of {} ends at \
                 {}); narrow it with filters or a category",
                raw.page,
                raw.per_page,
                offset + limit
            ),
        )));
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
        Matched::Browse | Matched::All => Matching::All,
        Matched::Partial => Matching::Partial,
        Matched::None => Matching::None,
    };
    let facets = found
        .facets
        .iter()
        .map(|(key, values)| {
            let list = values.iter().map(|(value, count)| FacetValue { value: value.clone(), count: *count }).collect();
            (key.clone(), list)
        })
        .collect();
    let ranges = found
        .ranges
        .iter()
        .map(|(key, (min, max))| {
            let unit = attributes.get(key).and_then(|a| a.base_unit()).map(|u| u.symbol().to_owned());
            (key.clone(), Range { min: *min, max: *max, unit })
        })
        .collect();
    Ok(SearchResults {
        q: raw.q.text().to_owned(),
        terms: groups.iter().map(|g| g.text.clone()).collect(),
        corrections: groups.iter().filter_map(|g| g.corrected.as_ref().map(|c| (g.text.clone(), c.clone()))).collect(),
        matched,
        notice,
        total: found.total,
        total_exact: true,
        page: raw.page,
        per_page: raw.per_page,
        hits: hits(read, media, &found.page).await?,
        facets,
        ranges,
        facets_exact: true,
    })
}

/// The categories of the subtree under `category`, itself included; 404 when it is unknown.
async fn subtree(read: &PgPool, category: Uuid) -> Result<Vec<Uuid>, ApiError> {
    let (known, subtree): (bool, Vec<Uuid>) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM catalog.categories WHERE id = $1 AND NOT retired), \
                ARRAY(SELECT id FROM catalog.categories WHERE path @> ARRAY[$1]::uuid[])",
    )
    .bind(category)
    .fetch_one(read)
    .await?;
    if !known {
        return Err(ApiError::Unknown(domain::FieldError::new(
            "category_id",
            "unknown_category",
            format!("category {category} does not exist"),
        )));
    }
    Ok(subtree)
}

#[derive(sqlx::FromRow)]
struct HitRow {
    id: Uuid,
    sku: String,
    name: String,
    family_id: Uuid,
    family_name: Option<String>,
    brand_id: Option<Uuid>,
    brand_name: Option<String>,
    category_id: Option<Uuid>,
    specs: Value,
    thumbnail_key: Option<String>,
}

/// The page's products, read from the read model, in the page's order, with their scores.
async fn hits(read: &PgPool, media: &MediaStore, page: &[(Uuid, Option<f64>)]) -> Result<Vec<Hit>, ApiError> {
    let ids: Vec<Uuid> = page.iter().map(|(id, _)| *id).collect();
    let rows: Vec<HitRow> = sqlx::query_as(
        "SELECT p.id, p.sku, p.name, p.family_id, p.family_name, p.brand_id, p.brand_name, p.category_id, p.specs, \
                p.thumbnail_key \
           FROM catalog.products p WHERE p.id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(read)
    .await?;
    let mut rows: HashMap<Uuid, HitRow> = rows.into_iter().map(|row| (row.id, row)).collect();
    let mut hits = Vec::with_capacity(page.len());
    for (id, score) in page {
        let Some(row) = rows.remove(id) else { continue };
        hits.push(Hit {
            id: row.id,
            sku: row.sku,
            name: row.name,
            family: Named { id: row.family_id, name: row.family_name },
            brand: row.brand_id.map(|id| Named { id, name: row.brand_name }),
            category_id: row.category_id,
            specs: row.specs,
            score: *score,
            thumbnail_url: crate::http::media::thumbnail_url(media, row.thumbnail_key.as_deref()).await?,
            price: None,
        });
    }
    Ok(hits)
}
