//! The rows of a catalog file and their JSON shape (an NDJSON line is one row as JSON).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// One row: what it creates or updates, naming the rows it hangs on by external id. Fields left
/// out are absent, not empty: an update by external id leaves them as they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Row {
    Category {
        external_id: String,
        name: String,
        /// The parent's external id; none: a root (a cluster).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
    },
    Attribute(AttributeRow),
    Brand {
        external_id: String,
        name: String,
    },
    Family {
        external_id: String,
        /// The leaf category's external id.
        category: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brand: Option<String>,
        name: String,
        /// The code its SKUs start with; none: derived from the name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    Product {
        external_id: String,
        /// The family's external id.
        family: String,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sku: Option<String>,
        /// As the API takes them: a number spec with a unit as `{"value": 50, "unit": "mm"}` or a
        /// bare number in the attribute's unit.
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        specs: Map<String, Value>,
    },
    Price {
        /// The product's external id.
        product: String,
        amount_minor: i64,
        currency: String,
    },
    Stock {
        /// The product's external id.
        product: String,
        /// The warehouse, as the WMS names it (a UUID, as in the API).
        warehouse_id: Uuid,
        on_hand: i64,
    },
}

/// Where an attribute definition is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeOwner {
    Category,
    Family,
}

/// An attribute definition (API.md's `PUT …/attributes/{key}` body) on a category or a family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeRow {
    pub owner: AttributeOwner,
    /// The category's or family's external id.
    pub owner_id: String,
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub attribute_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub variant_defining: bool,
    #[serde(default)]
    pub filterable: bool,
    #[serde(default)]
    pub searchable: bool,
}

impl Row {
    /// The external id the row is known by in a report (a price's or stock's: its product's).
    pub fn external_id(&self) -> &str {
        match self {
            Row::Category { external_id, .. }
            | Row::Brand { external_id, .. }
            | Row::Family { external_id, .. }
            | Row::Product { external_id, .. } => external_id,
            Row::Attribute(attribute) => &attribute.owner_id,
            Row::Price { product, .. } | Row::Stock { product, .. } => product,
        }
    }
}

/// Why a row was not taken: the row's number in the file (1 is the first data row), its external
/// id when it could be read, and the field and code as the API's 422s name them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("row {row}: {field}: {message} ({code})")]
pub struct RowError {
    pub row: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub field: String,
    pub code: String,
    pub message: String,
}

impl RowError {
    pub fn new(row: u64, field: impl Into<String>, code: &str, message: impl Into<String>) -> RowError {
        RowError { row, external_id: None, field: field.into(), code: code.to_owned(), message: message.into() }
    }
}

/// The row a JSON object spells. A line that is not JSON is `malformed_row`; one that is, but
/// not a row, names the first field that is wrong (`unknown_field`, `missing_field`,
/// `invalid_type`) and the external id when the line has one.
pub fn from_json(number: u64, bytes: &[u8]) -> Result<Row, RowError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| RowError::new(number, "", "malformed_row", format!("not a JSON object: {e}")))?;
    from_value(number, value)
}

pub(crate) fn from_value(number: u64, value: Value) -> Result<Row, RowError> {
    let external_id = value.get("external_id").and_then(Value::as_str).map(str::to_owned);
    if !value.is_object() {
        return Err(RowError::new(number, "", "malformed_row", "a row is a JSON object"));
    }
    match value.get("kind").and_then(Value::as_str) {
        None => return Err(RowError { external_id, ..RowError::new(number, "kind", "missing_field", KINDS) }),
        Some(kind) if !KIND_NAMES.contains(&kind) => {
            let message = format!("{kind:?} is not a kind of row; {KINDS}");
            return Err(RowError { external_id, ..RowError::new(number, "kind", "invalid_kind", message) });
        }
        Some(_) => {}
    }
    serde_json::from_value(value).map_err(|e| {
        let message = e.to_string();
        let (code, field) = classify(&message);
        RowError { external_id, ..RowError::new(number, field, code, message) }
    })
}

const KIND_NAMES: [&str; 7] = ["category", "attribute", "brand", "family", "product", "price", "stock"];
const KINDS: &str = "kind is one of category, attribute, brand, family, product, price, stock";

/// serde's message names the field between backticks.
fn classify(message: &str) -> (&'static str, String) {
    let named = || message.split('`').nth(1).unwrap_or_default().to_owned();
    if message.starts_with("unknown field") {
        ("unknown_field", named())
    } else if message.starts_with("missing field") {
        ("missing_field", named())
    } else {
        ("invalid_type", String::new())
    }
}
