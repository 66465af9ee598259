//! The filterable attributes a search can filter and facet on: those of the categories in its
//! scope (the category and its subtree, or the whole catalog) and of their families, as the read
//! model resolved them. They change only with the catalog's structure, so they are kept in memory
//! per scope and loaded again when the read model has moved on.

use std::sync::Arc;

use domain::units::Unit;
use domain::AttributeType;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::snapshots::Snapshots;

/// One filterable attribute, as the search needs it.
#[derive(Clone, Debug, Deserialize)]
pub struct Filterable {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    #[serde(default)]
    pub unit: Option<Unit>,
    #[serde(default)]
    pub options: Vec<String>,
}

impl Filterable {
    /// Numbers facet as a range (min and max in the base unit); everything else as value counts.
    pub fn is_range(&self) -> bool {
        self.kind == AttributeType::Number
    }

    /// The unit numbers are compared in: the base unit of the attribute's measurement family.
    pub fn base_unit(&self) -> Option<Unit> {
        self.unit.map(|u| u.dimension().base_unit())
    }
}

/// The filterable attributes of a scope, in schema order (root category's first).
#[derive(Debug, Default)]
pub struct Filterables(Vec<Filterable>);

impl Filterables {
    pub fn get(&self, key: &str) -> Option<&Filterable> {
        self.0.iter().find(|a| a.key == key)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Filterable> {
        self.0.iter()
    }

    pub fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|a| a.key.as_str()).collect()
    }
}

/// Per scope, the filterable attributes as last loaded.
pub type FilterableCache = Snapshots<Option<Uuid>, Filterables>;

/// The filterable attributes of `scope` (see `Snapshots::get` for how fresh).
pub async fn filterables(
    cache: &FilterableCache,
    read: &PgPool,
    scope: Option<Uuid>,
    wanted: i64,
    position: i64,
) -> Result<Arc<Filterables>, sqlx::Error> {
    cache.get(scope, wanted, position, || load(read, scope)).await
}

async fn load(read: &PgPool, scope: Option<Uuid>) -> Result<Filterables, sqlx::Error> {
    let rows: Vec<sqlx::types::Json<Filterable>> = sqlx::query_scalar(
        "SELECT a FROM (
             SELECT c.resolved, c.depth, 0 AS level FROM catalog.categories c
              WHERE NOT c.retired AND ($1::uuid IS NULL OR c.path @> ARRAY[$1::uuid])
             UNION ALL
             SELECT f.resolved, c.depth, 1 FROM catalog.families f JOIN catalog.categories c ON c.id = f.category_id
              WHERE NOT c.retired AND ($1::uuid IS NULL OR c.path @> ARRAY[$1::uuid])
         ) r CROSS JOIN LATERAL jsonb_array_elements(r.resolved) WITH ORDINALITY AS x(a, n)
         WHERE (x.a->>'filterable')::boolean
         ORDER BY r.depth, r.level, x.n",
    )
    .bind(scope)
    .fetch_all(read)
    .await?;
    let mut found: Vec<Filterable> = Vec::new();
    for sqlx::types::Json(attribute) in rows {
        // The shallowest definition of a key stands for it; a family's override of options adds
        // to them, so every value a product can hold is a valid filter value.
        match found.iter_mut().find(|a| a.key == attribute.key) {
            Some(known) => {
                for option in attribute.options {
                    if !known.options.contains(&option) {
                        known.options.push(option);
                    }
                }
            }
            None => found.push(attribute),
        }
    }
    Ok(Filterables(found))
}
