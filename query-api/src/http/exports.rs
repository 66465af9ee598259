//! `GET /v1/exports/products`: the catalog as a catalog file (`catalog_io`'s rows, NDJSON or
//! CSV), for staff, streamed as it is read, so that it imports into an empty installation as the
//! same catalog.
//!
//! The rows come in an order that imports in one pass: categories parents first (by depth), the
//! categories' own attribute definitions, brands, families, the families' own definitions,
//! products. Each is read in keyset-paged batches (`PAGE`) inside one read-only repeatable-read
//! transaction, so the file is one snapshot of the read model and memory holds a page, never the
//! catalog. Rows name each other by external id; a record that has none is named by its UUID
//! (as text), which the import then gives it as its external id, so that a round trip keeps
//! every reference. Retired categories and products are left out. Then each product's list price
//! and its stock on hand per warehouse (what is reserved for orders is not the catalog's).
//!
//! With `category_id`, the file holds that category's subtree: its categories (and, so that it
//! imports on its own, its ancestors with their definitions), the families in it with their
//! brands, and their products.

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::Response;
use catalog_io::{AttributeOwner, AttributeRow, CsvWriter, Row};
use domain::specs::SpecValue;
use domain::FieldError;
use futures::StreamExt;
use serde_json::{Map, Value};
use sqlx::{Postgres, Transaction};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::caller::Staff;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(catalog))
}

/// Rows read per query.
const PAGE: i64 = 500;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Ndjson,
    Csv,
}

/// The catalog as a catalog file: categories (parents first), their attribute definitions,
/// brands, families, the families' definitions, products, list prices, stock on hand, each naming the others by external id
/// (a record without one by its UUID). Streamed; one snapshot of the read model.
#[utoipa::path(get, path = "/v1/exports/products", tag = "exports", security(("bearer" = [])),
    params(
        ("format" = Option<String>, Query, pattern = "^(ndjson|csv)$", description = "`ndjson` (default) or `csv`"),
        ("category_id" = Option<Uuid>, Query, description = "Only this category's subtree (with its ancestors, so the file imports on its own)"),
    ),
    responses((status = 200, description = "The catalog file, one row per line (NDJSON) or record (CSV, with a header)",
               content((String = "application/x-ndjson"), (String = "text/csv"))),
              (status = 401, description = "No valid access token", body = service_http::openapi::Problem),
              (status = 403, description = "Not ops or admin", body = service_http::openapi::Problem),
              (status = 404, description = "No such category", body = service_http::openapi::Problem),
              (status = 422, description = "Unknown or malformed parameters, every one listed", body = service_http::openapi::Problem)))]
#[tracing::instrument(skip_all)]
async fn catalog(
    State(state): State<AppState>,
    _staff: Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (mut format, mut subtree, mut errors) = (Format::Ndjson, None, Vec::new());
    for (name, value) in form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "format" => match value.as_ref() {
                "ndjson" => format = Format::Ndjson,
                "csv" => format = Format::Csv,
                other => {
                    errors.push(FieldError::new("format", "invalid_format", format!("{other:?} is not ndjson or csv")))
                }
            },
            "category_id" => match Uuid::parse_str(&value) {
                Ok(id) => subtree = Some(id),
                Err(_) => errors.push(FieldError::new("category_id", "invalid_uuid", "category_id is a UUID")),
            },
            other => {
                errors.push(FieldError::new(other, "unknown_parameter", format!("{other:?} is not a parameter here")))
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut tx = state.read.begin().await.map_err(internal)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    if let Some(id) = subtree {
        let found: Option<bool> =
            sqlx::query_scalar("SELECT true FROM catalog.categories WHERE id = $1 AND NOT retired")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?;
        if found.is_none() {
            return Err(ApiError::NotFound(format!("category {id} does not exist")));
        }
    }
    let csv = match format {
        Format::Csv => Some(CsvWriter::new(&spec_columns(&mut tx, subtree).await.map_err(internal)?)),
        Format::Ndjson => None,
    };
    let header = csv.as_ref().map(|w| Bytes::from(w.header()));
    let export = Export { tx, subtree, csv, phase: Phase::Categories, cursor: None, done: false };
    let rows = futures::stream::try_unfold(export, |mut export| async move {
        let chunk = export.next_chunk().await.map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(chunk.map(|chunk| (chunk, export)))
    });
    let body = futures::stream::iter(header.map(Ok::<_, std::io::Error>)).chain(rows);
    let content_type = match format {
        Format::Ndjson => "application/x-ndjson",
        Format::Csv => "text/csv; charset=utf-8",
    };
    let filename = match format {
        Format::Ndjson => "attachment; filename=\"catalog.ndjson\"",
        Format::Csv => "attachment; filename=\"catalog.csv\"",
    };
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, filename)
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::Internal(e.into()))
}

fn internal(error: sqlx::Error) -> ApiError {
    ApiError::Internal(error.into())
}

/// The spec columns a CSV needs: each key, with its unit for a number given in one.
async fn spec_columns(
    tx: &mut Transaction<'static, Postgres>,
    subtree: Option<Uuid>,
) -> Result<Vec<String>, sqlx::Error> {
    let pairs: Vec<(String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT DISTINCT e.key, e.value->>'unit' FROM catalog.products p, jsonb_each(p.specs) e \
          WHERE NOT p.retired AND {PRODUCTS_IN} ORDER BY 1, 2"
    ))
    .bind(subtree)
    .fetch_all(&mut **tx)
    .await?;
    Ok(pairs.into_iter().map(|(key, unit)| unit.map_or_else(|| key.clone(), |u| format!("{key}[{u}]"))).collect())
}

/// The categories of the subtree `$1` (none: all) and their ancestors.
const CATEGORIES_IN: &str = "($1::uuid IS NULL OR $1 = ANY(c.path) \
     OR c.id = ANY(coalesce((SELECT s.path FROM catalog.categories s WHERE s.id = $1), '{}')))";
/// The families in the subtree `$1`.
const FAMILIES_IN: &str =
    "($1::uuid IS NULL OR f.category_id IN (SELECT s.id FROM catalog.categories s WHERE $1 = ANY(s.path)))";
const PRODUCTS_IN: &str = "($1::uuid IS NULL OR p.family_id IN (SELECT f.id FROM catalog.families f \
     JOIN catalog.categories s ON s.id = f.category_id WHERE $1 = ANY(s.path)))";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Categories,
    CategoryAttributes,
    Brands,
    Families,
    FamilyAttributes,
    Products,
    Prices,
    Stock,
}

impl Phase {
    fn next(self) -> Option<Phase> {
        Some(match self {
            Phase::Categories => Phase::CategoryAttributes,
            Phase::CategoryAttributes => Phase::Brands,
            Phase::Brands => Phase::Families,
            Phase::Families => Phase::FamilyAttributes,
            Phase::FamilyAttributes => Phase::Products,
            Phase::Products => Phase::Prices,
            Phase::Prices => Phase::Stock,
            Phase::Stock => return None,
        })
    }
}

struct Export {
    tx: Transaction<'static, Postgres>,
    subtree: Option<Uuid>,
    csv: Option<CsvWriter>,
    phase: Phase,
    /// The last row's keyset position in this phase: (depth or 0, id).
    cursor: Option<(i32, Uuid)>,
    done: bool,
}

/// depth, id, external id, name, parent's external id, own definitions.
type CategoryRecord = (i32, Uuid, String, String, Option<String>, Value);
/// id, external id, category's and brand's external ids, name, code, own definitions.
type FamilyRecord = (Uuid, String, String, Option<String>, String, String, Value);
/// id, external id, family's external id, name, SKU, specs.
type ProductRecord = (Uuid, String, String, String, String, Value);

/// One page of a phase, as read: the keyset position and the rows it makes.
type Page = Vec<((i32, Uuid), Vec<Row>)>;

impl Export {
    /// The next page's rows, encoded; none at the end.
    async fn next_chunk(&mut self) -> anyhow::Result<Option<Bytes>> {
        loop {
            if self.done {
                return Ok(None);
            }
            let page = self.page().await?;
            let Some(((depth, id), _)) = page.last() else {
                match self.phase.next() {
                    Some(phase) => {
                        self.phase = phase;
                        self.cursor = None;
                        continue;
                    }
                    None => {
                        self.done = true;
                        return Ok(None);
                    }
                }
            };
            self.cursor = Some((*depth, *id));
            let mut out = String::new();
            for row in page.iter().flat_map(|(_, rows)| rows) {
                match &self.csv {
                    Some(writer) => out.push_str(&writer.row(row).map_err(anyhow::Error::msg)?),
                    None => {
                        out.push_str(&serde_json::to_string(row)?);
                        out.push('\n');
                    }
                }
            }
            if !out.is_empty() {
                return Ok(Some(Bytes::from(out)));
            }
        }
    }

    async fn page(&mut self) -> anyhow::Result<Page> {
        let (depth, after) = self.cursor.unwrap_or((-1, Uuid::nil()));
        let subtree = self.subtree;
        let tx = &mut *self.tx;
        Ok(match self.phase {
            Phase::Categories | Phase::CategoryAttributes => {
                let rows: Vec<CategoryRecord> = sqlx::query_as(&format!(
                    "SELECT c.depth, c.id, coalesce(c.external_id, c.id::text), c.name, \
                            coalesce(pc.external_id, pc.id::text), c.attributes \
                       FROM catalog.categories c LEFT JOIN catalog.categories pc ON pc.id = c.parent_id \
                      WHERE NOT c.retired AND {CATEGORIES_IN} AND (c.depth, c.id) > ($2, $3) \
                      ORDER BY c.depth, c.id LIMIT $4"
                ))
                .bind(subtree)
                .bind(depth)
                .bind(after)
                .bind(PAGE)
                .fetch_all(tx)
                .await?;
                let attributes = self.phase == Phase::CategoryAttributes;
                rows.into_iter()
                    .map(|(depth, id, external_id, name, parent, definitions)| {
                        let rows = if attributes {
                            attribute_rows(AttributeOwner::Category, &external_id, definitions)?
                        } else {
                            vec![Row::Category { external_id, name, parent }]
                        };
                        Ok(((depth, id), rows))
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            Phase::Brands => {
                let rows: Vec<(Uuid, String, String)> = sqlx::query_as(&format!(
                    "SELECT b.id, coalesce(b.external_id, b.id::text), b.name FROM catalog.brands b \
                      WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM catalog.families f \
                             WHERE f.brand_id = b.id AND {FAMILIES_IN})) AND b.id > $2 \
                      ORDER BY b.id LIMIT $3"
                ))
                .bind(subtree)
                .bind(after)
                .bind(PAGE)
                .fetch_all(tx)
                .await?;
                rows.into_iter()
                    .map(|(id, external_id, name)| ((0, id), vec![Row::Brand { external_id, name }]))
                    .collect()
            }
            Phase::Families | Phase::FamilyAttributes => {
                let rows: Vec<FamilyRecord> = sqlx::query_as(&format!(
                    "SELECT f.id, coalesce(f.external_id, f.id::text), coalesce(c.external_id, c.id::text), \
                            coalesce(b.external_id, b.id::text), f.name, f.code, f.attributes \
                       FROM catalog.families f JOIN catalog.categories c ON c.id = f.category_id \
                       LEFT JOIN catalog.brands b ON b.id = f.brand_id \
                      WHERE {FAMILIES_IN} AND f.id > $2 ORDER BY f.id LIMIT $3"
                ))
                .bind(subtree)
                .bind(after)
                .bind(PAGE)
                .fetch_all(tx)
                .await?;
                let attributes = self.phase == Phase::FamilyAttributes;
                rows.into_iter()
                    .map(|(id, external_id, category, brand, name, code, definitions)| {
                        let rows = if attributes {
                            attribute_rows(AttributeOwner::Family, &external_id, definitions)?
                        } else {
                            vec![Row::Family { external_id, category, brand, name, code: Some(code) }]
                        };
                        Ok(((0, id), rows))
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            Phase::Products => {
                let rows: Vec<ProductRecord> = sqlx::query_as(&format!(
                    "SELECT p.id, coalesce(p.external_id, p.id::text), coalesce(f.external_id, f.id::text), \
                            p.name, p.sku, p.specs \
                       FROM catalog.products p JOIN catalog.families f ON f.id = p.family_id \
                      WHERE NOT p.retired AND {PRODUCTS_IN} AND p.id > $2 ORDER BY p.id LIMIT $3"
                ))
                .bind(subtree)
                .bind(after)
                .bind(PAGE)
                .fetch_all(tx)
                .await?;
                rows.into_iter()
                    .map(|(id, external_id, family, name, sku, specs)| {
                        let specs = input_specs(specs)?;
                        Ok(((0, id), vec![Row::Product { external_id, family, name, sku: Some(sku), specs }]))
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            Phase::Prices => {
                let rows: Vec<(Uuid, String, i64, String)> = sqlx::query_as(&format!(
                    "SELECT p.id, coalesce(p.external_id, p.id::text), t.list_price_minor, t.list_price_currency \
                       FROM catalog.product_terms t JOIN catalog.products p ON p.id = t.product_id \
                      WHERE NOT p.retired AND t.list_price_minor IS NOT NULL AND t.list_price_currency IS NOT NULL \
                        AND {PRODUCTS_IN} AND p.id > $2 ORDER BY p.id LIMIT $3"
                ))
                .bind(subtree)
                .bind(after)
                .bind(PAGE)
                .fetch_all(tx)
                .await?;
                rows.into_iter()
                    .map(|(id, product, amount_minor, currency)| {
                        ((0, id), vec![Row::Price { product, amount_minor, currency }])
                    })
                    .collect()
            }
            Phase::Stock => {
                let rows: Vec<(Uuid, String, Uuid, i64)> = sqlx::query_as(&format!(
                    "SELECT s.id, coalesce(p.external_id, p.id::text), s.warehouse_id, s.on_hand \
                       FROM catalog.stock s JOIN catalog.products p ON p.id = s.product_id \
                      WHERE NOT p.retired AND {PRODUCTS_IN} AND s.id > $2 ORDER BY s.id LIMIT $3"
                ))
                .bind(subtree)
                .bind(after)
                .bind(PAGE)
                .fetch_all(tx)
                .await?;
                rows.into_iter()
                    .map(|(id, product, warehouse_id, on_hand)| {
                        ((0, id), vec![Row::Stock { product, warehouse_id, on_hand }])
                    })
                    .collect()
            }
        })
    }
}

/// A stored spec (a quantity keeps its base value too) as an import takes it.
fn input_specs(specs: Value) -> anyhow::Result<Map<String, Value>> {
    let Value::Object(specs) = specs else { return Ok(Map::new()) };
    specs.into_iter().map(|(key, value)| Ok((key, serde_json::from_value::<SpecValue>(value)?.to_input()))).collect()
}

/// An owner's own definitions (stored as a list of `{key, ...definition}`, in order) as rows.
fn attribute_rows(owner: AttributeOwner, owner_id: &str, definitions: Value) -> anyhow::Result<Vec<Row>> {
    let Value::Array(definitions) = definitions else { return Ok(Vec::new()) };
    definitions
        .into_iter()
        .map(|entry| {
            let key = entry.get("key").and_then(Value::as_str).unwrap_or_default().to_owned();
            let definition: domain::AttributeDefinition = serde_json::from_value(entry)?;
            Ok(Row::Attribute(AttributeRow {
                owner,
                owner_id: owner_id.to_owned(),
                key,
                label: definition.label,
                attribute_type: definition.kind.name().to_owned(),
                unit: definition.unit.map(|u| u.to_string()),
                min: definition.min,
                max: definition.max,
                options: definition.options,
                regex: definition.regex,
                required: definition.required,
                variant_defining: definition.variant_defining,
                filterable: definition.filterable,
                searchable: definition.searchable,
            }))
        })
        .collect()
}
