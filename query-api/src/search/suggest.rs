//! `GET /v1/search/suggest?q=`: what a half-typed query may be heading for — categories, brands,
//! families and products whose terms start with it. Every word but the last must match whole; the
//! last matches as a prefix of a term ("stainl" → "stainless", "24" → "24v").
//!
//! The query is held to the bounds a search's is (`SearchQuery`: 512 characters, 32 terms, each
//! term cut to a lexeme's length by the normalizer), so its `tsquery` has at most 32 lexemes
//! and PostgreSQL always takes it. Products, families and brands, which grow with the catalog,
//! are ordered among at most `CANDIDATES` matches each (a two-letter prefix matches most of a
//! large catalog); categories, the taxonomy, are all ranked, so that a cluster always comes
//! before the thousands of categories within it.

use domain::search::SearchQuery;
use read_store::lexeme;
use serde::{Deserialize, Serialize};
use sqlx::types::Json as JsonColumn;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;

/// Suggestions of each kind.
const PER_KIND: i64 = 5;
const PRODUCTS: i64 = 8;
/// Products, families and brands matching the query that are ordered for the suggestions.
const CANDIDATES: i64 = 200;

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SuggestedCategory {
    id: Uuid,
    name: String,
    /// The materialized path, ids joined by dots.
    path: String,
    /// The names of its ancestors (null for a root).
    within: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SuggestedBrand {
    id: Uuid,
    name: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SuggestedFamily {
    id: Uuid,
    name: String,
    code: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SuggestedProduct {
    id: Uuid,
    sku: String,
    name: String,
}

/// What a half-typed query may be heading for, of each kind.
#[derive(Serialize, ToSchema)]
pub struct Suggestions {
    q: String,
    categories: Vec<SuggestedCategory>,
    brands: Vec<SuggestedBrand>,
    families: Vec<SuggestedFamily>,
    products: Vec<SuggestedProduct>,
}

/// The tsquery of a half-typed text, or `None` when it is too short to suggest anything.
pub fn prefix_query(q: &SearchQuery) -> Option<String> {
    let found = q.terms();
    let (last, whole) = found.split_last()?;
    if found.len() == 1 && last.chars().count() < 2 {
        return None;
    }
    let mut parts: Vec<String> = whole.iter().map(|t| lexeme(t)).collect();
    parts.push(format!("{}:*", lexeme(last)));
    Some(parts.join(" & "))
}

type Found = (
    JsonColumn<Vec<SuggestedCategory>>,
    JsonColumn<Vec<SuggestedBrand>>,
    JsonColumn<Vec<SuggestedFamily>>,
    JsonColumn<Vec<SuggestedProduct>>,
);

pub async fn suggest(read: &PgPool, q: &SearchQuery) -> Result<Suggestions, ApiError> {
    let Some(query) = prefix_query(q) else {
        return Ok(Suggestions {
            q: q.text().to_owned(),
            categories: Vec::new(),
            brands: Vec::new(),
            families: Vec::new(),
            products: Vec::new(),
        });
    };
    let row: Found = sqlx::query_as(
        "SELECT
           (SELECT coalesce(json_agg(json_build_object('id', c.id, 'name', c.name, 'path', c.path_text,
                                                       'within', nullif(c.path_names, ''))), '[]')
              FROM (SELECT * FROM catalog.categories WHERE NOT retired AND search @@ $1::tsquery
                     ORDER BY ts_rank(search, $1::tsquery) DESC, depth, name LIMIT $2) c),
           (SELECT coalesce(json_agg(json_build_object('id', b.id, 'name', b.name)), '[]')
              FROM (SELECT * FROM (SELECT id, name FROM catalog.brands WHERE search @@ $1::tsquery LIMIT $4) m
                     ORDER BY name LIMIT $2) b),
           (SELECT coalesce(json_agg(json_build_object('id', f.id, 'name', f.name, 'code', f.code)), '[]')
              FROM (SELECT * FROM (SELECT id, name, code FROM catalog.families WHERE search @@ $1::tsquery LIMIT $4) m
                     ORDER BY name LIMIT $2) f),
           (SELECT coalesce(json_agg(json_build_object('id', p.id, 'sku', p.sku, 'name', p.name)), '[]')
              FROM (SELECT * FROM (SELECT id, sku, name, search FROM catalog.products
                                    WHERE NOT retired AND search @@ $1::tsquery LIMIT $4) m
                     ORDER BY ts_rank(search, $1::tsquery, 32) DESC, name LIMIT $3) p)",
    )
    .bind(&query)
    .bind(PER_KIND)
    .bind(PRODUCTS)
    .bind(CANDIDATES)
    .fetch_one(read)
    .await?;
    let (JsonColumn(categories), JsonColumn(brands), JsonColumn(families), JsonColumn(products)) = row;
    Ok(Suggestions { q: q.text().to_owned(), categories, brands, families, products })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn prefix(text: &str) -> Option<String> {
        prefix_query(&SearchQuery::parse("q", text).unwrap())
    }

    #[test]
    fn the_last_word_is_a_prefix_and_the_others_whole() {
        assert_eq!(prefix("stainl").as_deref(), Some("'stainl':*"));
        assert_eq!(prefix("M12 stainl").as_deref(), Some("'m12' & 'stainl':*"));
        assert_eq!(prefix("24 V").as_deref(), Some("'24v':*"));
        assert_eq!(prefix("s"), None);
        assert_eq!(prefix("  -- "), None);
    }

    #[test]
    fn a_word_beyond_a_lexemes_length_is_cut_as_the_products_terms_are() {
        // 512 four-byte letters: 2,048 bytes, one more than a lexeme may hold.
        let query = prefix(&"𠀀".repeat(512)).unwrap();
        assert_eq!(query, format!("'{}':*", "𠀀".repeat(511)));
    }
}
