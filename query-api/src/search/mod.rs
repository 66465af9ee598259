//! Search and browse over the read model.
//!
//! A query is cut into terms by the domain's normalizer — the same code that made the products'
//! search vectors — so "24 V" meets a voltage of 0.024 kV and "DIN-912" meets "DIN 912". Every
//! term must match (`&`); when no product matches them all, the best partial matches are served
//! instead and the answer says so.
//!
//! Ranking and facets cost a bounded amount however many products match:
//! - candidates: at most `CANDIDATES` products matching every term at weight A (name or SKU), and
//!   at most `CANDIDATES` matching them anywhere, taken as the index finds them; only these are
//!   ranked (`ts_rank` with the A/B/C/D weights, plus a boost when the query names a spec value
//!   the product's specs hold). Pages beyond the first `CANDIDATES` results are not served.
//! - facets are counted over at most `CANDIDATES` matches (per active filter, over the matches
//!   of the other filters, so a filter's own facet still shows its alternatives) and marked
//!   exact or not; the total is counted up to `COUNT_CAP`.
//!
//! Browsing without a query takes the same bounded sample of the matches and orders it by name.

pub mod params;
pub mod schema;
pub mod snapshots;
pub mod suggest;
pub mod vocabulary;

use std::collections::HashMap;

use domain::search::{is_value_term, terms};
use read_store::lexeme;
use serde_json::{json, Map, Value};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::error::ApiError;
use params::{Condition, Filter, Raw};
use schema::{filterables, FilterableCache, Filterables};
use vocabulary::{vocabulary, VocabularyCache};

/// Products ranked per tier, and matches facets are counted over.
pub const CANDIDATES: i64 = 300;
/// Matches counted for the total; above it the total is given as "at least".
pub const COUNT_CAP: i64 = 1_000;
/// Values listed per facet, most frequent first.
const FACET_VALUES: usize = 50;
/// Added to the rank of a product whose specs hold every value the query names ("24V", "M12"):
/// ranks are scaled into [0, 1) (`ts_rank` normalization 32), so such products come first.
const SPEC_BOOST: f64 = 1.0;

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
    fn tsquery(&self, weight: &str) -> String {
        let alternatives: Vec<String> = self
            .alternatives
            .iter()
            .map(|terms| {
                let all: Vec<String> = terms.iter().map(|t| format!("{}{weight}", lexeme(t))).collect();
                format!("({})", all.join(" & "))
            })
            .collect();
        format!("({})", alternatives.join(" | "))
    }
}

fn and(groups: &[&Group], weight: &str) -> String {
    groups.iter().map(|g| g.tsquery(weight)).collect::<Vec<_>>().join(" & ")
}

/// What searches keep in memory between requests.
#[derive(Clone, Default)]
pub struct Caches {
    pub filterables: FilterableCache,
    pub vocabulary: VocabularyCache,
}

/// How the products are chosen and ordered.
enum Mode {
    /// No query: everything in scope, by name.
    Browse,
    /// Every group must match.
    All { all: String, values: Option<String> },
    /// Some groups: ranked first by how many match.
    Partial { any: String, each: Vec<String>, tiers: Vec<String> },
}

impl Mode {
    fn matching(&self) -> Option<&str> {
        match self {
            Mode::Browse => None,
            Mode::All { all, .. } => Some(all),
            Mode::Partial { any, .. } => Some(any),
        }
    }
}

/// One page of results, as JSON, for the request's parameters.
pub async fn search(read: &PgPool, caches: &Caches, raw: &Raw, wanted: i64, position: i64) -> Result<Value, ApiError> {
    if let Some(category) = raw.category_id {
        let known: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM catalog.categories WHERE id = $1 AND NOT retired)")
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
    }
    let attributes = filterables(&caches.filterables, read, raw.category_id, wanted, position).await?;
    let filters = params::filters(raw, &attributes).map_err(ApiError::Invalid)?;
    let groups = vocabulary(&caches.vocabulary, read, wanted, position).await?.groups(&terms(&raw.q));
    let offset = i64::from(raw.page - 1) * i64::from(raw.per_page);
    let limit = i64::from(raw.per_page);
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
    let search = Search { read, attributes: &attributes, filters: &filters, scope: raw.category_id, offset, limit };

    let mut mode = if groups.is_empty() {
        Mode::Browse
    } else {
        let refs: Vec<&Group> = groups.iter().collect();
        let values: Vec<&Group> =
            groups.iter().filter(|g| g.alternatives.iter().all(|a| a.iter().all(|t| is_value_term(t)))).collect();
        Mode::All { all: and(&refs, ""), values: (!values.is_empty()).then(|| and(&values, "")) }
    };
    let mut found = search.run(&mode).await?;
    let mut matched = "all";
    let mut notice = None;
    if found.sampled == 0 && groups.len() > 1 {
        let each: Vec<String> = groups.iter().map(|g| g.tsquery("")).collect();
        let tiers: Vec<String> = (0..groups.len())
            .map(|skip| {
                let rest: Vec<&Group> = groups.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, g)| g).collect();
                and(&rest, "")
            })
            .collect();
        mode = Mode::Partial { any: each.join(" | "), each, tiers };
        found = search.run(&mode).await?;
        matched = "partial";
        let absent = search.absent(&groups).await?;
        let mut text = "No product matches every term; these match some of them, the most terms first.".to_owned();
        if !absent.is_empty() {
            text.push_str(&format!(" Nothing here matches {}.", absent.join(", ")));
        }
        notice = Some(text);
    } else if found.sampled == 0 && !groups.is_empty() {
        matched = "none";
    }
    let total_exact = found.sampled < CANDIDATES;
    let total = if total_exact { found.sampled } else { search.count(mode.matching()).await? };
    let (facets, ranges) = facets(&attributes, &found.tally);
    Ok(json!({
        "q": raw.q,
        "terms": groups.iter().map(|g| &g.text).collect::<Vec<_>>(),
        "corrections": groups
            .iter()
            .filter_map(|g| g.corrected.as_ref().map(|c| (g.text.clone(), Value::String(c.clone()))))
            .collect::<Map<String, Value>>(),
        "match": matched,
        "notice": notice,
        "total": total,
        "total_exact": total_exact || total <= COUNT_CAP,
        "page": raw.page,
        "per_page": raw.per_page,
        "hits": found.hits,
        "facets": facets,
        "ranges": ranges,
        "facets_exact": found.facets_exact,
    }))
}

/// What one run found.
struct Found {
    /// Matches sampled (every filter applied), up to `CANDIDATES`.
    sampled: i64,
    hits: Value,
    tally: Tally,
    facets_exact: bool,
}

/// Facet values counted and number bounds found over the samples' `facets` columns (entries
/// `key=value` for values, `key#number` for numbers in their base unit).
#[derive(Default)]
struct Tally {
    counts: HashMap<String, HashMap<String, i64>>,
    bounds: HashMap<String, (f64, f64)>,
}

impl Tally {
    fn add(&mut self, rows: &[Vec<String>], counted: impl Fn(&str) -> bool) {
        for entry in rows.iter().flatten() {
            if let Some((key, value)) = entry.split_once('=') {
                if counted(key) {
                    *self.counts.entry(key.to_owned()).or_default().entry(value.to_owned()).or_default() += 1;
                }
            } else if let Some((key, number)) = entry.split_once('#') {
                if let (true, Ok(number)) = (counted(key), number.parse::<f64>()) {
                    let bounds = self.bounds.entry(key.to_owned()).or_insert((number, number));
                    bounds.0 = bounds.0.min(number);
                    bounds.1 = bounds.1.max(number);
                }
            }
        }
    }
}

struct Search<'a> {
    read: &'a PgPool,
    attributes: &'a Filterables,
    filters: &'a [Filter],
    scope: Option<Uuid>,
    offset: i64,
    limit: i64,
}

const HIT_COLUMNS: &str = "p.id, p.sku, p.name, p.family_id, p.family_name, p.brand_id, p.brand_name, p.category_id, \
                           p.specs";

impl Search<'_> {
    /// The conditions every match meets: not retired, the text query, the scope, and the filters
    /// except the one on `except`.
    fn conditions(&self, qb: &mut QueryBuilder<'_, Postgres>, text: Option<&str>, except: Option<&str>) {
        // A retired product's search vector is empty (the read model's trigger): a text query
        // never matches it, and needs no look at the row to know it.
        match text {
            Some(text) => qb.push(" p.search @@ ").push_bind(text.to_owned()).push("::tsquery"),
            None => qb.push(" NOT p.retired"),
        };
        if let Some(scope) = self.scope {
            qb.push(" AND p.category_path @> ARRAY[").push_bind(scope).push("]::uuid[]");
        }
        for filter in self.filters.iter().filter(|f| Some(f.key.as_str()) != except) {
            match &filter.condition {
                Condition::OneOf(entries) => {
                    // Array overlap, on the facets' GIN index, whose statistics know how common
                    // each value is (so the planner walks the name order for common ones).
                    qb.push(" AND p.facets && ").push_bind(entries.clone()).push("::text[]");
                }
                Condition::Between { min, max } => {
                    // Per candidate, through the primary key: the scan stops at its LIMIT.
                    qb.push(
                        " AND EXISTS (SELECT 1 FROM catalog.product_numbers n WHERE n.product_id = p.id AND n.key = ",
                    )
                    .push_bind(filter.key.clone());
                    if min.is_finite() {
                        qb.push(" AND n.value >= ").push_bind(*min);
                    }
                    if max.is_finite() {
                        qb.push(" AND n.value <= ").push_bind(*max);
                    }
                    qb.push(")");
                }
            }
        }
    }

    async fn run(&self, mode: &Mode) -> Result<Found, ApiError> {
        let text = mode.matching();
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("WITH sample AS MATERIALIZED (SELECT p.id, p.facets");
        if text.is_some() {
            qb.push(", p.name, p.search, p.spec_terms");
        }
        qb.push(" FROM catalog.products p WHERE");
        self.conditions(&mut qb, text, None);
        qb.push(" LIMIT ").push_bind(CANDIDATES).push(")");
        // Further tiers of candidates, each bounded.
        // (query, whether the name and SKU alone must hold it)
        let tiers: Vec<(&String, bool)> = match mode {
            Mode::Browse => Vec::new(),
            Mode::All { all, .. } => vec![(all, true)],
            Mode::Partial { tiers, .. } => tiers.iter().map(|t| (t, false)).collect(),
        };
        for (i, (tier, in_names)) in tiers.iter().enumerate() {
            qb.push(format!(
                ", tier{i} AS MATERIALIZED (SELECT p.id, p.name, p.search, p.spec_terms FROM catalog.products p WHERE"
            ));
            self.conditions(&mut qb, Some(tier), None);
            if *in_names {
                // Its own index: no row is read to find out at which weight a term matched.
                qb.push(" AND p.name_terms @@ ").push_bind((*tier).clone()).push("::tsquery");
            }
            // Needed only when the sample missed matches.
            qb.push(" AND (SELECT count(*) FROM sample) >= ").push_bind(CANDIDATES);
            qb.push(" LIMIT ").push_bind(CANDIDATES).push(")");
        }
        // Per active filter on a facet, its own sample: the matches of the other filters.
        let own_samples: Vec<&Filter> = self.filters.iter().filter(|f| self.attributes.get(&f.key).is_some()).collect();
        for (i, filter) in own_samples.iter().enumerate() {
            qb.push(format!(", own{i} AS MATERIALIZED (SELECT p.facets FROM catalog.products p WHERE"));
            self.conditions(&mut qb, text, Some(&filter.key));
            qb.push(" LIMIT ").push_bind(CANDIDATES).push(")");
        }

        // The page: browsing by name through the index; a search ranks its candidates (each once,
        // though several tiers may have found it).
        qb.push(", hits AS (");
        match mode {
            Mode::Browse => {
                // The sample's products by name: walking the name index to the matches of a
                // category and filters reads every name before them (they are not spread evenly).
                qb.push(format!(
                    "SELECT {HIT_COLUMNS}, NULL::float8 AS score FROM sample s JOIN catalog.products p ON p.id = s.id \
                     ORDER BY p.name, p.id"
                ));
            }
            Mode::All { all, values, .. } => {
                qb.push(
                    "SELECT r.id, r.name, r.score FROM (SELECT DISTINCT ON (c.id) c.id, c.name, ts_rank(c.search, ",
                )
                .push_bind(all.clone())
                .push("::tsquery, 32)::float8");
                if let Some(values) = values {
                    qb.push(" + CASE WHEN c.spec_terms @@ ")
                        .push_bind(values.clone())
                        .push("::tsquery THEN ")
                        .push_bind(SPEC_BOOST)
                        .push(" ELSE 0 END");
                }
                qb.push(" AS score FROM (");
                push_candidates(&mut qb, tiers.len());
                qb.push(") c ORDER BY c.id) r ORDER BY r.score DESC, r.name, r.id");
            }
            Mode::Partial { any, each, .. } => {
                qb.push("SELECT r.id, r.name, r.score FROM (SELECT DISTINCT ON (c.id) c.id, c.name, (");
                for (i, group) in each.iter().enumerate() {
                    if i > 0 {
                        qb.push(" + ");
                    }
                    qb.push("(c.search @@ ").push_bind(group.clone()).push("::tsquery)::int");
                }
                qb.push(")::float8 + ts_rank(c.search, ")
                    .push_bind(any.clone())
                    .push("::tsquery, 32)::float8 AS score FROM (");
                push_candidates(&mut qb, tiers.len());
                qb.push(") c ORDER BY c.id) r ORDER BY r.score DESC, r.name, r.id");
            }
        }
        qb.push(" LIMIT ").push_bind(self.limit).push(" OFFSET ").push_bind(self.offset).push(")");
        // The hits' rows, in rank order (distinct ids: a candidate may come from several tiers).
        let ranked = match mode {
            Mode::Browse => "SELECT h.*, row_number() OVER (ORDER BY h.name, h.id) AS ord FROM hits h".to_owned(),
            _ => format!(
                "SELECT {HIT_COLUMNS}, r.score, row_number() OVER (ORDER BY r.score DESC, r.name, r.id) AS ord \
                 FROM hits r JOIN catalog.products p ON p.id = r.id"
            ),
        };
        qb.push(format!(
            " SELECT (SELECT count(*) FROM sample) AS sampled, \
               (SELECT coalesce(json_agg(json_build_object('id', h.id, 'sku', h.sku, 'name', h.name, 'score', h.score, \
                  'family', json_build_object('id', h.family_id, 'name', h.family_name), \
                  'brand', CASE WHEN h.brand_id IS NULL THEN NULL ELSE json_build_object('id', h.brand_id, 'name', h.brand_name) END, \
                  'category_id', h.category_id, 'specs', h.specs) ORDER BY h.ord), '[]') FROM ({ranked}) h) AS hits, \
               (SELECT coalesce(json_agg(facets), '[]') FROM sample) AS facets"
        ));
        for i in 0..own_samples.len() {
            qb.push(format!(", (SELECT coalesce(json_agg(facets), '[]') FROM own{i}) AS own{i}"));
        }
        let row = indexed(self.read, &mut qb).await?;
        let sampled: i64 = row.try_get(0)?;
        let hits: Value = row.try_get(1)?;
        let mut tally = Tally::default();
        let main: sqlx::types::Json<Vec<Vec<String>>> = row.try_get(2)?;
        let mut largest = main.0.len();
        let own_keys: Vec<&str> = own_samples.iter().map(|f| f.key.as_str()).collect();
        tally.add(&main.0, |key| !own_keys.contains(&key));
        for (i, key) in own_keys.iter().enumerate() {
            let rows: sqlx::types::Json<Vec<Vec<String>>> = row.try_get(3 + i)?;
            largest = largest.max(rows.0.len());
            tally.add(&rows.0, |k| k == *key);
        }
        Ok(Found { sampled, hits, tally, facets_exact: (largest as i64) < CANDIDATES })
    }

    /// Matches counted up to `COUNT_CAP` (+1, to tell "exactly" from "at least").
    async fn count(&self, text: Option<&str>) -> Result<i64, ApiError> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM catalog.products p WHERE");
        self.conditions(&mut qb, text, None);
        qb.push(" LIMIT ").push_bind(COUNT_CAP + 1).push(") c");
        Ok(indexed(self.read, &mut qb).await?.try_get(0)?)
    }

    /// The groups no product in scope matches at all.
    async fn absent(&self, groups: &[Group]) -> Result<Vec<String>, ApiError> {
        let mut absent = Vec::new();
        for group in groups {
            let mut qb: QueryBuilder<Postgres> =
                QueryBuilder::new("SELECT EXISTS (SELECT 1 FROM catalog.products p WHERE");
            self.conditions(&mut qb, Some(&group.tsquery("")), None);
            qb.push(")");
            let found: bool = indexed(self.read, &mut qb).await?.try_get(0)?;
            if !found {
                absent.push(group.text.clone());
            }
        }
        Ok(absent)
    }
}

/// Runs a search statement with sequential scans ruled out. The planner takes a `LIMIT` over
/// matches it believes spread evenly as a short walk of the table; a catalog's products are not
/// (motors sit together, after the fasteners), so such a walk can read most of the table before
/// it finds its few hundred, where the indexes find them at once.
async fn indexed(read: &PgPool, qb: &mut QueryBuilder<'_, Postgres>) -> Result<sqlx::postgres::PgRow, sqlx::Error> {
    let mut tx = read.begin().await?;
    sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
    let row = qb.build().fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(row)
}

/// The candidates of a search: the main sample and the tiers, as (id, name, search, spec_terms).
fn push_candidates(qb: &mut QueryBuilder<'_, Postgres>, tiers: usize) {
    qb.push("SELECT id, name, search, spec_terms FROM sample");
    for i in 0..tiers {
        qb.push(format!(" UNION ALL SELECT id, name, search, spec_terms FROM tier{i}"));
    }
}

/// `facets: {key: [{value, count}]}` (most frequent first) and `ranges: {key: {min, max, unit}}`,
/// for the scope's filterable attributes.
fn facets(attributes: &Filterables, tally: &Tally) -> (Value, Value) {
    let mut facets = Map::new();
    let mut ranges = Map::new();
    for attribute in attributes.iter() {
        if attribute.is_range() {
            if let Some((min, max)) = tally.bounds.get(&attribute.key) {
                let unit = attribute.base_unit().map(|u| u.symbol());
                ranges.insert(attribute.key.clone(), json!({ "min": min, "max": max, "unit": unit }));
            }
        } else if let Some(values) = tally.counts.get(&attribute.key) {
            let mut values: Vec<(&String, &i64)> = values.iter().collect();
            values.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let list: Vec<Value> =
                values.iter().take(FACET_VALUES).map(|(value, n)| json!({ "value": value, "count": n })).collect();
            facets.insert(attribute.key.clone(), Value::Array(list));
        }
    }
    (Value::Object(facets), Value::Object(ranges))
}
