//! Writing a batch's changed rows back: one upsert per catalog table (categories, brands,
//! families and synonym sets from their snapshots, the columns taken from the JSON in SQL), then
//! the products (`products`), the commerce rows (`commerce`) and the media lists (`media`).

use std::collections::HashSet;

use domain::product::Product;
use domain::search::terms;
use domain::{format_path, Aggregate};
use read_store::tsvector_text;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::lexicon::Lexicon;
use super::{commerce, media, products, unreadable, ApplyError, Row};

/// Column arrays for one table's upsert.
#[derive(Default)]
struct Columns {
    ids: Vec<Uuid>,
    versions: Vec<i64>,
    positions: Vec<i64>,
    states: Vec<Value>,
    /// The row's search terms, as `tsvector` text.
    terms: Vec<String>,
}

impl Columns {
    fn push(&mut self, id: Uuid, row: &Row, text: &str, words: &mut Lexicon) -> Result<(), ApplyError> {
        self.ids.push(id);
        self.versions.push(row.version);
        self.positions.push(row.position);
        self.states.push(serde_json::to_value(&row.state).map_err(|e| unreadable(id, e))?);
        let found = terms(text);
        words.add(&found);
        self.terms.push(tsvector_text(found));
        Ok(())
    }
}

/// Writes the changed rows: one upsert per table. Categories, brands and families are written from
/// their snapshots (the columns are taken from the JSON in SQL); products from their fields;
/// commerce rows and the orders' `history` by `commerce`.
pub(super) async fn write(
    conn: &mut PgConnection,
    changed: &[(Uuid, &Row)],
    existed: &HashSet<Uuid>,
    history: &[commerce::HistoryEntry],
) -> Result<(), ApplyError> {
    let (mut categories, mut brands, mut families) = (Columns::default(), Columns::default(), Columns::default());
    let mut synonyms = Columns::default();
    let mut phrases: Vec<Value> = Vec::new();
    let mut products: Vec<(Uuid, &Row, &Product)> = Vec::new();
    let mut words = Lexicon::default();
    let mut trade = commerce::Commerce::default();
    let mut media_lists = Vec::new();
    for (id, row) in changed {
        if trade.take(*id, row)? {
            continue;
        }
        match &row.state {
            Aggregate::Category(c) => categories.push(*id, row, &c.name, &mut words)?,
            Aggregate::Brand(b) => brands.push(*id, row, &b.name, &mut words)?,
            Aggregate::Family(f) => families.push(*id, row, &format!("{} {}", f.name, f.code.as_str()), &mut words)?,
            Aggregate::Product(p) => products.push((*id, row, p)),
            Aggregate::Media(list) => media_lists.push((*id, *row, list)),
            Aggregate::Synonyms(set) => {
                synonyms.push(*id, row, "", &mut words)?;
                phrases.push(json!(set.terms()));
            }
            // Identity streams are never loaded nor folded (`apply` skips their events); commerce
            // rows were taken above.
            Aggregate::User(_)
            | Aggregate::Company(_)
            | Aggregate::ProductTerms(_)
            | Aggregate::PriceList(_)
            | Aggregate::Stock(_)
            | Aggregate::Cart(_)
            | Aggregate::Order(_) => {}
        }
    }
    if !categories.ids.is_empty() {
        let paths: Vec<String> = changed
            .iter()
            .filter_map(|(_, r)| match &r.state {
                Aggregate::Category(c) => Some(format_path(&c.path)),
                _ => None,
            })
            .collect();
        sqlx::query(
            "INSERT INTO categories (id, name, parent_id, path, path_text, depth, attributes, retired, version, \
                                     position, state, name_terms, external_id) \
             SELECT x.id, x.state->>'name', (x.state->>'parent_id')::uuid, \
                    ARRAY(SELECT jsonb_array_elements_text(x.state->'path')::uuid), x.path_text, \
                    jsonb_array_length(x.state->'path') - 1, x.state->'attributes', (x.state->>'retired')::boolean, \
                    x.version, x.position, x.state, x.terms::tsvector, x.state->>'external_id' \
               FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::text[], $6::text[]) \
                    AS x(id, version, position, state, path_text, terms) \
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, \
                    path = EXCLUDED.path, path_text = EXCLUDED.path_text, depth = EXCLUDED.depth, \
                    attributes = EXCLUDED.attributes, retired = EXCLUDED.retired, version = EXCLUDED.version, \
                    position = EXCLUDED.position, state = EXCLUDED.state, name_terms = EXCLUDED.name_terms, \
                    external_id = EXCLUDED.external_id",
        )
        .bind(&categories.ids)
        .bind(&categories.versions)
        .bind(&categories.positions)
        .bind(&categories.states)
        .bind(&paths)
        .bind(&categories.terms)
        .execute(&mut *conn)
        .await?;
    }
    if !brands.ids.is_empty() {
        sqlx::query(
            "INSERT INTO brands (id, name, version, position, state, search, external_id) \
             SELECT x.id, x.state->>'name', x.version, x.position, x.state, x.terms::tsvector, \
                    x.state->>'external_id' \
               FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::text[]) \
                    AS x(id, version, position, state, terms) \
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version, \
                    position = EXCLUDED.position, state = EXCLUDED.state, search = EXCLUDED.search, \
                    external_id = EXCLUDED.external_id",
        )
        .bind(&brands.ids)
        .bind(&brands.versions)
        .bind(&brands.positions)
        .bind(&brands.states)
        .bind(&brands.terms)
        .execute(&mut *conn)
        .await?;
    }
    if !families.ids.is_empty() {
        sqlx::query(
            "INSERT INTO families (id, category_id, brand_id, name, code, attributes, version, position, state, \
                                   search, external_id) \
             SELECT x.id, (x.state->>'category_id')::uuid, (x.state->>'brand_id')::uuid, x.state->>'name', \
                    x.state->>'code', x.state->'attributes', x.version, x.position, x.state, \
                    x.terms::tsvector, x.state->>'external_id' \
               FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::text[]) \
                    AS x(id, version, position, state, terms) \
             ON CONFLICT (id) DO UPDATE SET category_id = EXCLUDED.category_id, brand_id = EXCLUDED.brand_id, \
                    name = EXCLUDED.name, code = EXCLUDED.code, attributes = EXCLUDED.attributes, \
                    version = EXCLUDED.version, position = EXCLUDED.position, state = EXCLUDED.state, \
                    search = EXCLUDED.search, external_id = EXCLUDED.external_id",
        )
        .bind(&families.ids)
        .bind(&families.versions)
        .bind(&families.positions)
        .bind(&families.states)
        .bind(&families.terms)
        .execute(&mut *conn)
        .await?;
    }
    if !synonyms.ids.is_empty() {
        sqlx::query(
            "INSERT INTO synonyms (id, phrases, terms, removed, version, position, state) \
             SELECT x.id, ARRAY(SELECT jsonb_array_elements_text(x.state->'phrases')), x.terms, \
                    (x.state->>'removed')::boolean, x.version, x.position, x.state \
               FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::jsonb[]) \
                    AS x(id, version, position, state, terms) \
             ON CONFLICT (id) DO UPDATE SET phrases = EXCLUDED.phrases, terms = EXCLUDED.terms, \
                    removed = EXCLUDED.removed, version = EXCLUDED.version, position = EXCLUDED.position, \
                    state = EXCLUDED.state",
        )
        .bind(&synonyms.ids)
        .bind(&synonyms.versions)
        .bind(&synonyms.positions)
        .bind(&synonyms.states)
        .bind(&phrases)
        .execute(&mut *conn)
        .await?;
    }
    if !products.is_empty() {
        products::write(conn, &products, existed, &mut words).await?;
    }
    trade.write(conn, history).await?;
    media::write(conn, &media_lists).await?;
    words.write(conn).await
}
