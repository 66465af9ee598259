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
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::error::ApiError;

/// Suggestions of each kind.
const PER_KIND: i64 = 5;
const PRODUCTS: i64 = 8;
/// Products, families and brands matching the query that are ordered for the suggestions.
const CANDIDATES: i64 = 200;

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

pub async fn suggest(read: &PgPool, q: &SearchQuery) -> Result<Value, ApiError> {
    let Some(query) = prefix_query(q) else {
        return Ok(json!({ "q": q.text(), "categories": [], "brands": [], "families": [], "products": [] }));
    };
    let row: (Value, Value, Value, Value) = sqlx::query_as(
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
    let (categories, brands, families, products) = row;
    Ok(json!({ "q": q.text(), "categories": categories, "brands": brands, "families": families, "products": products }))
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
