//! What derives from other rows, refreshed after categories, families or brands changed.

use domain::category::{Category, CategoryTree};
use domain::family::Family;
use domain::search::terms;
use domain::specs::Specs;
use domain::Aggregate;
use read_store::tsvector_text;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::products::spec_terms;
use super::{unreadable, ApplyError, Row};

/// After categories, families or brands changed: the resolved attribute sets and ancestor names of
/// every category at or below a changed one, the resolved sets of the families there (and of the
/// changed families), and the denormalized columns of those families' products.
pub(super) async fn refresh(conn: &mut PgConnection, changed: &[(Uuid, &Row)]) -> Result<(), ApplyError> {
    let mut changed_categories = Vec::new();
    let mut changed_families = Vec::new();
    let mut changed_brands = Vec::new();
    for (id, row) in changed {
        match row.state {
            Aggregate::Category(_) => changed_categories.push(*id),
            Aggregate::Family(_) => changed_families.push(*id),
            Aggregate::Brand(_) => changed_brands.push(*id),
            Aggregate::Product(_)
            | Aggregate::Synonyms(_)
            | Aggregate::User(_)
            | Aggregate::Company(_)
            | Aggregate::ProductTerms(_)
            | Aggregate::PriceList(_)
            | Aggregate::Stock(_)
            | Aggregate::Cart(_)
            | Aggregate::Order(_)
            | Aggregate::Media(_) => {}
        }
    }
    if changed_categories.is_empty() && changed_families.is_empty() && changed_brands.is_empty() {
        return Ok(());
    }
    // Only the categories at or below a changed one, and the ancestors of those and of the
    // families' categories: the chains the resolved sets are made from.
    let affected = categories(conn, "path && $1", &changed_categories).await?;
    let affected_ids: Vec<Uuid> = affected.iter().map(|c| c.id).collect();
    let families = families_of(conn, &changed_families, &affected_ids, &changed_brands).await?;
    let mut heads: Vec<Uuid> = affected_ids.clone();
    heads.extend(families.iter().map(|f| f.category_id));
    let chains = categories(conn, "id IN (SELECT unnest(path) FROM categories WHERE id = ANY($1))", &heads).await?;
    let tree = CategoryTree::new(chains, std::iter::empty());
    let affected: Vec<&Category> = affected_ids.iter().filter_map(|id| tree.get(*id)).collect();
    if !affected.is_empty() {
        let ids: Vec<Uuid> = affected.iter().map(|c| c.id).collect();
        let mut resolved = Vec::with_capacity(affected.len());
        let mut names = Vec::with_capacity(affected.len());
        let mut path_terms = Vec::with_capacity(affected.len());
        for category in &affected {
            resolved.push(json!(tree.schema(category.id).iter().collect::<Vec<_>>()));
            let chain = tree.chain(category.id);
            let ancestors: Vec<&str> = chain.iter().filter(|c| c.id != category.id).map(|c| c.name.as_str()).collect();
            let ancestors = ancestors.join(" ");
            path_terms.push(tsvector_text(terms(&ancestors)));
            names.push(ancestors);
        }
        sqlx::query(
            "UPDATE categories SET resolved = x.resolved, path_names = x.names, \
                    path_terms = x.path_terms::tsvector \
               FROM unnest($1::uuid[], $2::jsonb[], $3::text[], $4::text[]) AS x(id, resolved, names, path_terms) \
              WHERE categories.id = x.id",
        )
        .bind(&ids)
        .bind(&resolved)
        .bind(&names)
        .bind(&path_terms)
        .execute(&mut *conn)
        .await?;
    }

    let mut ids = Vec::new();
    let mut resolved = Vec::new();
    let mut required = Vec::new();
    let mut searchable = Vec::new();
    for family in &families {
        let schema = family_schema(&tree, family);
        ids.push(family.id);
        resolved.push(json!(schema.iter().collect::<Vec<_>>()));
        required.push(keys(&schema, |a| a.definition.required));
        searchable.push(keys(&schema, |a| a.definition.searchable));
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE families SET resolved = x.resolved, \
                required_keys = ARRAY(SELECT jsonb_array_elements_text(x.required)), \
                searchable_keys = ARRAY(SELECT jsonb_array_elements_text(x.searchable)) \
           FROM unnest($1::uuid[], $2::jsonb[], $3::jsonb[], $4::jsonb[]) AS x(id, resolved, required, searchable) \
          WHERE families.id = x.id",
    )
    .bind(&ids)
    .bind(&resolved)
    .bind(&required)
    .bind(&searchable)
    .execute(&mut *conn)
    .await?;
    refresh_spec_terms(conn, &ids).await?;
    // Only products whose columns change are rewritten (the trigger then refreshes their search
    // vector and completeness).
    sqlx::query(
        "UPDATE products p SET family_name = f.name, brand_id = f.brand_id, brand_name = b.name, \
                category_id = f.category_id, category_path = c.path, required_keys = f.required_keys, \
                family_terms = f.search, brand_terms = coalesce(b.search, '') \
           FROM families f \
           LEFT JOIN brands b ON b.id = f.brand_id \
           LEFT JOIN categories c ON c.id = f.category_id \
          WHERE p.family_id = f.id AND f.id = ANY($1) \
            AND (p.family_name, p.brand_id, p.brand_name, p.category_id, p.category_path, p.required_keys, \
                 p.family_terms, p.brand_terms) \
                IS DISTINCT FROM (f.name, f.brand_id, b.name, f.category_id, c.path, f.required_keys, \
                 f.search, coalesce(b.search, ''))",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Products of the families named whose family's searchable keys changed get their spec terms
/// anew, a page at a time (the terms come from the domain's normalizer, so this is done here
/// rather than in SQL).
async fn refresh_spec_terms(conn: &mut PgConnection, families: &[Uuid]) -> Result<(), ApplyError> {
    const PAGE: i64 = 5_000;
    loop {
        let page: Vec<(Uuid, Value, Vec<String>)> = sqlx::query_as(
            "SELECT p.id, p.specs, f.searchable_keys FROM products p JOIN families f ON f.id = p.family_id \
              WHERE f.id = ANY($1) AND p.searchable_keys IS DISTINCT FROM f.searchable_keys LIMIT $2",
        )
        .bind(families)
        .bind(PAGE)
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
        if page.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::with_capacity(page.len());
        let mut keys = Vec::with_capacity(page.len());
        let mut spec_term_lists = Vec::with_capacity(page.len());
        for (id, specs, searchable) in page {
            let specs: Specs = serde_json::from_value(specs).map_err(|e| unreadable(id, e))?;
            spec_term_lists.push(tsvector_text(spec_terms(&specs, &searchable)));
            keys.push(searchable.join(" "));
            ids.push(id);
        }
        sqlx::query(
            "UPDATE products SET searchable_keys = string_to_array(x.keys, ' '), \
                    spec_terms = x.terms::tsvector \
               FROM unnest($1::uuid[], $2::text[], $3::text[]) AS x(id, keys, terms) \
              WHERE products.id = x.id",
        )
        .bind(&ids)
        .bind(&keys)
        .bind(&spec_term_lists)
        .execute(&mut *conn)
        .await?;
    }
}

/// The categories `condition` (over `$1`, the ids given) selects, from their snapshots.
async fn categories(conn: &mut PgConnection, condition: &str, ids: &[Uuid]) -> Result<Vec<Category>, ApplyError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let states: Vec<Value> = sqlx::query_scalar(&format!("SELECT state FROM categories WHERE {condition}"))
        .bind(ids)
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
    Ok(snapshots(states, |state| match state {
        Aggregate::Category(category) => Some(category),
        _ => None,
    }))
}

/// The families changed, in an affected category, or of a changed brand.
async fn families_of(
    conn: &mut PgConnection,
    changed: &[Uuid],
    categories: &[Uuid],
    brands: &[Uuid],
) -> Result<Vec<Family>, ApplyError> {
    let states: Vec<Value> = sqlx::query_scalar(
        "SELECT state FROM families WHERE id = ANY($1) OR category_id = ANY($2) OR brand_id = ANY($3)",
    )
    .bind(changed)
    .bind(categories)
    .bind(brands)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await?;
    Ok(snapshots(states, |state| match state {
        Aggregate::Family(family) => Some(family),
        _ => None,
    }))
}

/// The snapshots `pick` takes; one of another kind, or unreadable, is left out.
fn snapshots<T>(states: Vec<Value>, pick: impl Fn(Aggregate) -> Option<T>) -> Vec<T> {
    states.into_iter().filter_map(|state| serde_json::from_value::<Aggregate>(state).ok().and_then(&pick)).collect()
}

fn family_schema(tree: &CategoryTree, family: &Family) -> domain::ResolvedSchema {
    family.schema_over(tree.chain(family.category_id).into_iter())
}

fn keys(schema: &domain::ResolvedSchema, pick: impl Fn(&domain::attributes::ResolvedAttribute) -> bool) -> Value {
    Value::Array(schema.iter().filter(|a| pick(a)).map(|a| Value::String(a.key.as_str().to_owned())).collect())
}
