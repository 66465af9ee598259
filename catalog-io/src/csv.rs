//! The CSV encoding: a header row naming the columns, then one row per record. Columns are a
//! row's fields (`kind`, `external_id`, `name`, `parent`, …) and its specs as `spec.KEY`, or
//! `spec.KEY[UNIT]` for a number given in a unit. An empty cell is an absent field. A row's
//! attribute `options` are `|`-separated; booleans are `true`/`false`.

use serde_json::{Map, Value};

use crate::row::{self, Row, RowError};
use crate::split::Record;

/// The fields a column may name, by the JSON type it holds.
const TEXT: [&str; 20] = [
    "kind",
    "external_id",
    "name",
    "parent",
    "category",
    "brand",
    "code",
    "family",
    "sku",
    "product",
    "currency",
    "warehouse_id",
    "owner",
    "owner_id",
    "key",
    "label",
    "type",
    "unit",
    "regex",
    "options",
];
const INTEGER: [&str; 2] = ["amount_minor", "on_hand"];
const NUMBER: [&str; 2] = ["min", "max"];
const BOOLEAN: [&str; 4] = ["required", "variant_defining", "filterable", "searchable"];

#[derive(Clone, Debug, PartialEq)]
enum Column {
    Field(&'static str),
    Spec { key: String, unit: Option<String> },
}

/// A CSV file's columns, checked once.
#[derive(Clone, Debug)]
pub struct CsvHeader(Vec<Column>);

impl CsvHeader {
    /// The header `cells` spell. An unknown or repeated column refuses the file (row 0): every
    /// row would lose that cell.
    pub fn parse(cells: &[String]) -> Result<CsvHeader, RowError> {
        let mut columns = Vec::with_capacity(cells.len());
        for (i, cell) in cells.iter().enumerate() {
            let name = cell.trim();
            let column = column(name).ok_or_else(|| {
                let message =
                    format!("column {} ({name:?}) is not a field of any row nor spec.KEY or spec.KEY[UNIT]", i + 1);
                RowError::new(0, name, "unknown_column", message)
            })?;
            if columns.contains(&column) {
                return Err(RowError::new(0, name, "duplicate_column", format!("column {name:?} appears twice")));
            }
            columns.push(column);
        }
        if !columns.contains(&Column::Field("kind")) {
            return Err(RowError::new(0, "kind", "missing_column", "a catalog CSV needs a kind column"));
        }
        Ok(CsvHeader(columns))
    }

    /// The row a record holds under this header.
    pub fn row(&self, record: &Record) -> Result<Row, RowError> {
        let n = record.number;
        if record.cells.len() != self.0.len() {
            let message = format!("{} cells under a header of {}", record.cells.len(), self.0.len());
            return Err(RowError::new(n, "", "malformed_row", message));
        }
        let mut object = Map::new();
        let mut specs = Map::new();
        for (column, cell) in self.0.iter().zip(&record.cells) {
            if cell.is_empty() {
                continue;
            }
            match column {
                Column::Field(name) => {
                    object.insert((*name).to_owned(), typed(n, name, cell)?);
                }
                Column::Spec { key, unit: None } => {
                    specs.insert(key.clone(), Value::String(cell.clone()));
                }
                Column::Spec { key, unit: Some(unit) } => {
                    let value = number(cell).ok_or_else(|| {
                        RowError::new(n, format!("specs.{key}"), "invalid_type", format!("{cell:?} is not a number"))
                    })?;
                    specs.insert(key.clone(), serde_json::json!({"value": value, "unit": unit}));
                }
            }
        }
        if !specs.is_empty() {
            object.insert("specs".into(), Value::Object(specs));
        }
        row::from_value(n, Value::Object(object))
    }
}

fn column(name: &str) -> Option<Column> {
    if let Some(spec) = name.strip_prefix("spec.") {
        let (key, unit) = match spec.strip_suffix(']').and_then(|s| s.split_once('[')) {
            Some((key, unit)) if !unit.is_empty() => (key, Some(unit.to_owned())),
            Some(_) => return None,
            None => (spec, None),
        };
        return (!key.is_empty()).then(|| Column::Spec { key: key.to_owned(), unit });
    }
    [&TEXT[..], &INTEGER, &NUMBER, &BOOLEAN].concat().into_iter().find(|f| *f == name).map(Column::Field)
}

fn typed(n: u64, name: &str, cell: &str) -> Result<Value, RowError> {
    let invalid = |what: &str| RowError::new(n, name, "invalid_type", format!("{cell:?} is not {what}"));
    if name == "options" {
        return Ok(Value::Array(cell.split('|').map(|o| Value::String(o.to_owned())).collect()));
    }
    if INTEGER.contains(&name) {
        return cell.trim().parse::<i64>().map(Value::from).map_err(|_| invalid("a whole number"));
    }
    if NUMBER.contains(&name) {
        return number(cell).ok_or_else(|| invalid("a number"));
    }
    if BOOLEAN.contains(&name) {
        return match cell.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "0" => Ok(Value::Bool(false)),
            _ => Err(invalid("true or false")),
        };
    }
    Ok(Value::String(cell.to_owned()))
}

fn number(cell: &str) -> Option<Value> {
    let text = cell.trim();
    if let Ok(whole) = text.parse::<i64>() {
        return Some(Value::from(whole));
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite()).and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
}

/// A CSV spec cell as the attribute of type `attribute_type` (API.md's types) takes it: a CSV
/// cell is text, and only the schema says whether "12" is a number or a thread size. A cell that
/// is not of the type stays text, for the domain's validation to name. JSON values pass as given.
pub fn coerce_spec(attribute_type: &str, value: Value) -> Value {
    let Value::String(text) = &value else { return value };
    match attribute_type {
        "number" => number(text).unwrap_or(value),
        "boolean" => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Value::Bool(true),
            "false" | "no" | "0" => Value::Bool(false),
            _ => value,
        },
        "multi_select" => Value::Array(text.split('|').map(|o| Value::String(o.to_owned())).collect()),
        _ => value,
    }
}

/// Writes rows as CSV under a fixed header (an export names its spec columns first).
pub struct CsvWriter {
    columns: Vec<String>,
}

impl CsvWriter {
    /// A writer with every field column and `specs` (`KEY` or `KEY[UNIT]`) as spec columns.
    pub fn new(specs: &[String]) -> CsvWriter {
        let fields = [&TEXT[..], &INTEGER, &NUMBER, &BOOLEAN].concat().into_iter().map(str::to_owned);
        CsvWriter { columns: fields.chain(specs.iter().map(|s| format!("spec.{s}"))).collect() }
    }

    /// The header line, with its line break.
    pub fn header(&self) -> String {
        line(self.columns.iter().map(String::as_str))
    }

    /// `row` as a line. A spec whose key has no column, or a unit other than its column's, is
    /// an error: the export's header must name it.
    pub fn row(&self, row: &Row) -> Result<String, String> {
        let Value::Object(mut object) = serde_json::to_value(row).map_err(|e| e.to_string())? else {
            return Err("a row is an object".into());
        };
        let specs = match object.remove("specs") {
            Some(Value::Object(specs)) => specs,
            _ => Map::new(),
        };
        let mut cells = Vec::with_capacity(self.columns.len());
        let mut used = 0;
        for column in &self.columns {
            let cell = match column.strip_prefix("spec.") {
                None => object.get(column.as_str()).map(cell_text).unwrap_or_default(),
                Some(spec) => match spec_cell(&specs, spec) {
                    Some(text) => {
                        used += 1;
                        text
                    }
                    None => String::new(),
                },
            };
            cells.push(cell);
        }
        if used != specs.len() {
            return Err(format!("a spec of row {} has no column", row.external_id()));
        }
        Ok(line(cells.iter().map(String::as_str)))
    }
}

fn spec_cell(specs: &Map<String, Value>, column: &str) -> Option<String> {
    match column.strip_suffix(']').and_then(|c| c.split_once('[')) {
        Some((key, unit)) => {
            let value = specs.get(key)?;
            (value.get("unit").and_then(Value::as_str) == Some(unit)).then(|| cell_text(&value["value"]))
        }
        None => specs.get(column).filter(|v| v.get("unit").is_none()).map(cell_text),
    }
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(cell_text).collect::<Vec<_>>().join("|"),
        other => other.to_string(),
    }
}

fn line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = cells
        .map(|cell| {
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.to_owned()
            }
        })
        .collect();
    quoted.join(",") + "\n"
}
