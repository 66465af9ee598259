//! The catalog's file format, shared by imports (the command API) and exports (the query API), so
//! that an export imports into an empty installation as the same catalog.
//!
//! A file is rows of one of two encodings (`Encoding`): NDJSON, one JSON object per line, or CSV
//! with a header row. Each row is one `Row` — a category, an attribute definition, a brand, a
//! family, a product, a list price or a stock level — naming the others by their source system's
//! external ids. `Splitter` cuts a byte stream into records as it arrives (never the whole file in
//! memory), and `parse` makes each record a `Row` or a `RowError` naming the field and the code,
//! so that one bad row is reported while the others go on.

mod csv;
mod row;
mod split;

pub use crate::csv::{coerce_spec, CsvHeader, CsvWriter};
pub use row::{AttributeOwner, AttributeRow, Row, RowError};
pub use split::{Encoding, Record, Splitter, MAX_RECORD_BYTES};

/// The row a record holds: for NDJSON the line itself, for CSV its cells under `header`.
pub fn parse(record: &Record, header: Option<&CsvHeader>) -> Result<Row, RowError> {
    match header {
        None => row::from_json(record.number, &record.bytes),
        Some(header) => header.row(record),
    }
}

#[cfg(test)]
mod tests;
