//! Writing products: their columns, search terms, facet entries and normalized numbers, with
//! their family's, brand's and category's columns as those rows stand now.

use std::collections::{HashMap, HashSet};

use domain::product::Product;
use domain::search::{terms, value_terms};
use domain::specs::Specs;
use read_store::tsvector_text;
use sqlx::PgConnection;
use uuid::Uuid;

use super::lexicon::Lexicon;
use super::{unreadable, ApplyError, Row};

/// Products take their family's, brand's and category's columns as those rows stand now; the
/// trigger derives the search vector and the missing required specs.
pub(super) async fn write(
    conn: &mut PgConnection,
    products: &[(Uuid, &Row, &Product)],
    existed: &HashSet<Uuid>,
    words: &mut Lexicon,
) -> Result<(), ApplyError> {
    // The searchable keys of the products' families, as they stand now.
    let family_ids: Vec<Uuid> =
        products.iter().map(|(_, _, p)| p.family_id).collect::<HashSet<_>>().into_iter().collect();
    let searchable: HashMap<Uuid, Vec<String>> =
        sqlx::query_as::<_, (Uuid, Vec<String>)>("SELECT id, searchable_keys FROM families WHERE id = ANY($1)")
            .bind(&family_ids)
            .persistent(false)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let mut ids = Vec::with_capacity(products.len());
    let (mut versions, mut positions, mut families, mut names) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut skus, mut specs, mut variant_keys, mut retired) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut name_terms, mut spec_term_lists) = (Vec::new(), Vec::new());
    let mut external_ids: Vec<Option<&str>> = Vec::new();
    let mut numbers: Vec<(Uuid, &str, f64, Option<&str>)> = Vec::new();
    let mut facets: Vec<String> = Vec::new();
    for (id, row, product) in products {
        ids.push(*id);
        let named = terms(&format!("{} {}", product.name, product.sku.as_str()));
        words.add(&named);
        name_terms.push(tsvector_text(named));
        let keys = searchable.get(&product.family_id).map_or(&[][..], Vec::as_slice);
        let held = spec_terms(&product.specs, keys);
        words.add(&held);
        spec_term_lists.push(tsvector_text(held));
        versions.push(row.version);
        positions.push(row.position);
        families.push(product.family_id);
        names.push(product.name.as_str());
        skus.push(product.sku.as_str());
        specs.push(serde_json::to_string(&product.specs).map_err(|e| unreadable(*id, e))?);
        facets.push(facet_entries(&product.specs));
        for (key, value) in &product.specs {
            if let domain::specs::SpecValue::Number(q) = value {
                numbers.push((*id, key.as_str(), q.base_value, q.base_unit.map(|u| u.symbol())));
            }
        }
        variant_keys.push(product.variant_key.as_deref());
        retired.push(product.retired);
        external_ids.push(product.external_id.as_ref().map(|e| e.as_str()));
    }
    sqlx::query(
        "INSERT INTO products (id, version, position, family_id, name, sku, specs, variant_key, retired, \
                               family_name, brand_id, brand_name, category_id, category_path, required_keys, \
                               searchable_keys, name_terms, family_terms, brand_terms, spec_terms, facets, \
                               external_id) \
         SELECT x.id, x.version, x.position, x.family_id, x.name, x.sku, x.specs::jsonb, x.variant_key, x.retired, \
                f.name, f.brand_id, b.name, f.category_id, c.path, coalesce(f.required_keys, '{}'), \
                coalesce(f.searchable_keys, '{}'), x.name_terms::tsvector, coalesce(f.search, ''), \
                coalesce(b.search, ''), x.spec_terms::tsvector, string_to_array(x.facets, E'\\x1e'), \
                x.external_id \
           FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::uuid[], $5::text[], $6::text[], $7::text[], \
                       $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::text[]) \
                AS x(id, version, position, family_id, name, sku, specs, variant_key, retired, name_terms, \
                     spec_terms, facets, external_id) \
           LEFT JOIN families f ON f.id = x.family_id \
           LEFT JOIN brands b ON b.id = f.brand_id \
           LEFT JOIN categories c ON c.id = f.category_id \
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, position = EXCLUDED.position, \
                name = EXCLUDED.name, sku = EXCLUDED.sku, specs = EXCLUDED.specs, \
                variant_key = EXCLUDED.variant_key, retired = EXCLUDED.retired, name_terms = EXCLUDED.name_terms, \
                spec_terms = EXCLUDED.spec_terms, facets = EXCLUDED.facets, external_id = EXCLUDED.external_id",
    )
    .bind(&ids)
    .bind(&versions)
    .bind(&positions)
    .bind(&families)
    .bind(&names)
    .bind(&skus)
    .bind(&specs)
    .bind(&variant_keys)
    .bind(&retired)
    .bind(&name_terms)
    .bind(&spec_term_lists)
    .bind(&facets)
    .bind(&external_ids)
    .execute(&mut *conn)
    .await?;
    // A product new in this batch has no numbers yet (a rebuild's products are nearly all new).
    let replaced: Vec<Uuid> = ids.iter().filter(|id| existed.contains(id)).copied().collect();
    if !replaced.is_empty() {
        sqlx::query("DELETE FROM product_numbers WHERE product_id = ANY($1)")
            .bind(&replaced)
            .persistent(false)
            .execute(&mut *conn)
            .await?;
    }
    if !numbers.is_empty() {
        let (mut ids, mut keys, mut values, mut units) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, key, value, unit) in numbers {
            ids.push(id);
            keys.push(key);
            values.push(value);
            units.push(unit);
        }
        sqlx::query(
            "INSERT INTO product_numbers (product_id, key, value, unit) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[])",
        )
        .bind(&ids)
        .bind(&keys)
        .bind(&values)
        .bind(&units)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Longer text values are descriptions, not facet values.
const FACET_TEXT_MAX: usize = 100;

/// A product's specs as facet entries (see the `facets` column), separated by U+001E (a spec
/// value never holds a control character), for `string_to_array` in SQL.
fn facet_entries(specs: &Specs) -> String {
    use domain::specs::SpecValue;
    let mut entries: Vec<String> = Vec::new();
    for (key, value) in specs {
        let key = key.as_str();
        match value {
            SpecValue::Number(q) => entries.push(format!("{key}#{}", q.base_value)),
            SpecValue::Text(text) if text.chars().count() <= FACET_TEXT_MAX => entries.push(format!("{key}={text}")),
            SpecValue::Text(_) => {}
            SpecValue::List(items) => entries.extend(items.iter().map(|item| format!("{key}={item}"))),
            SpecValue::Boolean(flag) => entries.push(format!("{key}={flag}")),
        }
    }
    entries.join("\u{1e}")
}

/// The terms of the values of a product's searchable specs.
pub(super) fn spec_terms(specs: &Specs, searchable: &[String]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (key, value) in specs {
        if searchable.iter().any(|k| k == key.as_str()) {
            for term in value_terms(value) {
                if !found.contains(&term) {
                    found.push(term);
                }
            }
        }
    }
    found
}
