//! The plan as a catalog file (`catalog_io::Row`s, as `ferrule import` and `POST /v1/imports`
//! take them): what `ferrule bench import` uploads, and a realistic file for trying an import.
//!
//! External ids: a category's plan key (`fasteners/bolts/hex`), a brand's name, a family's key
//! (`<line code>/<brand code>`), a product's planned id. Rows come in the order an import takes
//! them in one pass: categories parents first with their definitions, brands, families with
//! their overrides, then the products family by family, drawn as they are written (the plan's
//! products are never all in memory).

use std::collections::HashMap;
use std::io::Write;

use anyhow::Context;
use catalog_io::{AttributeOwner, AttributeRow, Row};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::plan::Plan;

/// Every row of the plan's catalog, structure first; products are drawn as they are consumed.
pub fn catalog_rows(plan: &Plan) -> anyhow::Result<impl Iterator<Item = Row> + '_> {
    let category_keys: HashMap<Uuid, &str> = plan.categories.iter().map(|c| (c.id, c.key)).collect();
    let brand_names: HashMap<Uuid, &str> = plan.brands.iter().map(|b| (b.id, b.name)).collect();
    let family_keys: HashMap<Uuid, String> = plan.families.iter().map(|f| (f.id, f.key.clone())).collect();
    let mut structure = Vec::new();
    for category in &plan.categories {
        structure.push(Row::Category {
            external_id: category.key.to_owned(),
            name: category.name.to_owned(),
            parent: category.parent.and_then(|p| category_keys.get(&p)).map(|k| (*k).to_owned()),
        });
        for (key, definition) in &category.attributes {
            structure.push(attribute(AttributeOwner::Category, category.key, key, definition)?);
        }
    }
    for brand in &plan.brands {
        structure.push(Row::Brand { external_id: brand.name.to_owned(), name: brand.name.to_owned() });
    }
    for family in &plan.families {
        structure.push(Row::Family {
            external_id: family.key.clone(),
            category: category_keys.get(&family.category).map(|k| (*k).to_owned()).unwrap_or_default(),
            brand: brand_names.get(&family.brand).map(|n| (*n).to_owned()),
            name: family.name.clone(),
            code: Some(family.code.clone()),
        });
        for (key, definition) in &family.overrides {
            structure.push(attribute(AttributeOwner::Family, &family.key, key, definition)?);
        }
    }
    let products = plan.products().map(move |product| Row::Product {
        external_id: product.id.to_string(),
        family: family_keys.get(&product.family).cloned().unwrap_or_default(),
        name: product.name,
        sku: product.sku,
        specs: product.specs,
    });
    Ok(structure.into_iter().chain(products))
}

/// A definition of the plan (the API's `PUT …/attributes/{key}` body) as an attribute row.
fn attribute(owner: AttributeOwner, owner_id: &str, key: &str, definition: &Value) -> anyhow::Result<Row> {
    let mut row = json!({ "owner": owner, "owner_id": owner_id, "key": key });
    if let (Some(row), Some(fields)) = (row.as_object_mut(), definition.as_object()) {
        row.extend(fields.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())));
    }
    let row: AttributeRow = serde_json::from_value(row)
        .with_context(|| format!("definition {key} of {owner_id} is not an attribute row"))?;
    Ok(Row::Attribute(row))
}

/// Writes the plan's catalog to `out` as NDJSON; answers (rows, products) written.
pub fn write_catalog_file(plan: &Plan, out: impl Write) -> anyhow::Result<(u64, u64)> {
    let mut out = std::io::BufWriter::new(out);
    let (mut rows, mut products) = (0, 0);
    for row in catalog_rows(plan)? {
        if matches!(row, Row::Product { .. }) {
            products += 1;
        }
        serde_json::to_writer(&mut out, &row)?;
        out.write_all(b"\n")?;
        rows += 1;
    }
    out.flush()?;
    Ok((rows, products))
}
