use proptest::prelude::*;
use serde_json::json;

use crate::*;

fn rows_of(encoding: Encoding, chunks: &[&[u8]]) -> Vec<Result<Row, RowError>> {
    let mut splitter = Splitter::new(encoding);
    let mut records = Vec::new();
    for chunk in chunks {
        records.extend(splitter.push(chunk).unwrap_or_else(|e| panic!("{e}")));
    }
    records.extend(splitter.finish().unwrap_or_else(|e| panic!("{e}")));
    let mut header = None;
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                rows.push(Err(error));
                continue;
            }
        };
        if encoding == Encoding::Csv && record.number == 0 {
            header = Some(CsvHeader::parse(&record.cells).unwrap_or_else(|e| panic!("{e}")));
            continue;
        }
        rows.push(parse(&record, header.as_ref()));
    }
    rows
}

fn bolt() -> Row {
    let specs = json!({"thread_size": "M12", "length": {"value": 50, "unit": "mm"}, "finish": "zinc, \"bright\""});
    let serde_json::Value::Object(specs) = specs else { unreachable!() };
    Row::Product {
        external_id: "ERP-1".into(),
        family: "F-933".into(),
        name: "Hex bolt M12x50".into(),
        sku: None,
        specs,
    }
}

const NDJSON: &str = "{\"kind\":\"category\",\"external_id\":\"C1\",\"name\":\"Bolts\"}\r\n\n\
    {\"kind\":\"brand\",\"external_id\":\"B1\",\"name\":\"Würth\"}\n\
    {\"kind\":\"pallet\"}\n\
    {\"kind\":\"brand\",\"external_id\":\"B2\",\"name\":\"X\",\"colour\":\"red\"}\n\
    not json\n\
    {\"kind\":\"family\",\"external_id\":\"F1\",\"name\":\"DIN 933\"}";

#[test]
fn ndjson_lines_become_rows_and_each_bad_line_is_reported_with_its_line_number() {
    let rows = rows_of(Encoding::Ndjson, &[NDJSON.as_bytes()]);
    assert_eq!(rows.len(), 6, "the blank line is no row: {rows:?}");
    assert_eq!(rows[0], Ok(Row::Category { external_id: "C1".into(), name: "Bolts".into(), parent: None }));
    let errors: Vec<(u64, String, String)> =
        rows.iter().filter_map(|r| r.as_ref().err()).map(|e| (e.row, e.field.clone(), e.code.clone())).collect();
    let expected = [
        (4, "kind", "invalid_kind"),
        (5, "colour", "unknown_field"),
        (6, "", "malformed_row"),
        (7, "category", "missing_field"),
    ];
    assert_eq!(errors, expected.map(|(r, f, c)| (r, f.to_owned(), c.to_owned())));
    assert_eq!(rows[3].as_ref().err().and_then(|e| e.external_id.as_deref()), Some("B2"));
}

#[test]
fn csv_cells_become_rows_with_specs_in_units_and_quoted_commas_and_line_breaks() {
    let csv = "\u{feff}kind,external_id,family,name,spec.thread_size,spec.length[mm],spec.note\r\n\
               product,ERP-1,F-933,\"Hex bolt, M12\",M12,50,\"two\nlines\"\r\n\
               \r\n\
               product,ERP-2,F-933,Hex bolt M16,M16,fifty,\r\n\
               product,ERP-3,F-933\r\n";
    let rows = rows_of(Encoding::Csv, &[csv.as_bytes()]);
    let Ok(Row::Product { name, specs, .. }) = &rows[0] else { panic!("{rows:?}") };
    assert_eq!(name, "Hex bolt, M12");
    assert_eq!(
        serde_json::Value::Object(specs.clone()),
        json!({"thread_size": "M12", "length": {"value": 50, "unit": "mm"}, "note": "two\nlines"})
    );
    let error = rows[1].as_ref().err().map(|e| (e.row, e.field.as_str(), e.code.as_str()));
    assert_eq!(error, Some((2, "specs.length", "invalid_type")), "the blank line keeps no number");
    assert_eq!(rows[2].as_ref().err().map(|e| e.code.as_str()), Some("malformed_row"));
}

#[test]
fn a_csv_header_with_an_unknown_or_repeated_column_or_no_kind_is_refused() {
    let header = |cells: &[&str]| CsvHeader::parse(&cells.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    assert_eq!(header(&["kind", "colour"]).err().map(|e| e.code), Some("unknown_column".into()));
    assert_eq!(header(&["kind", "name", "name"]).err().map(|e| e.code), Some("duplicate_column".into()));
    assert_eq!(header(&["name"]).err().map(|e| e.code), Some("missing_column".into()));
    assert_eq!(header(&["kind", "spec.length[]"]).err().map(|e| e.code), Some("unknown_column".into()));
    assert!(header(&["kind", "spec.length[in]", "spec.voltage"]).is_ok());
}

#[test]
fn the_encoding_is_what_the_content_type_says_or_what_the_first_bytes_show() {
    assert_eq!(Encoding::of_content_type("text/csv; charset=utf-8"), Some(Encoding::Csv));
    assert_eq!(Encoding::of_content_type("application/x-ndjson"), Some(Encoding::Ndjson));
    assert_eq!(Encoding::of_content_type("application/pdf"), None);
    assert_eq!(Encoding::sniff(b"  {\"kind\""), Some(Encoding::Ndjson));
    assert_eq!(Encoding::sniff(b"\xef\xbb\xbfkind,name\n"), Some(Encoding::Csv));
    assert_eq!(Encoding::sniff(b""), Some(Encoding::Ndjson));
    assert_eq!(Encoding::sniff(b"%PDF-1.7"), None);
}

#[test]
fn a_record_over_the_limit_ends_the_file() {
    let mut splitter = Splitter::new(Encoding::Ndjson);
    let long = vec![b'x'; MAX_RECORD_BYTES + 1];
    assert!(splitter.push(&long).is_err());
}

#[test]
fn rows_written_as_csv_read_back_as_the_same_rows() {
    let rows = vec![
        Row::Category { external_id: "C1".into(), name: "Bolts, hex".into(), parent: Some("C0".into()) },
        Row::Attribute(AttributeRow {
            owner: AttributeOwner::Category,
            owner_id: "C1".into(),
            key: "length".into(),
            label: "Length".into(),
            attribute_type: "number".into(),
            unit: Some("mm".into()),
            min: Some(1.5),
            max: Some(400.0),
            options: vec![],
            regex: None,
            required: true,
            variant_defining: true,
            filterable: true,
            searchable: false,
        }),
        Row::Brand { external_id: "B1".into(), name: "Würth \"W\"".into() },
        bolt(),
        Row::Price { product: "ERP-1".into(), amount_minor: 1299, currency: "EUR".into() },
    ];
    let specs = ["finish", "length[mm]", "thread_size"].map(String::from);
    let writer = CsvWriter::new(&specs);
    let mut file = writer.header();
    for row in &rows {
        file.push_str(&writer.row(row).unwrap_or_else(|e| panic!("{e}")));
    }
    let read: Vec<Row> =
        rows_of(Encoding::Csv, &[file.as_bytes()]).into_iter().map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect();
    assert_eq!(read, rows);
    assert!(CsvWriter::new(&[]).row(&bolt()).is_err(), "a spec without a column is not dropped");
}

proptest! {
    #[test]
    fn any_cut_of_a_file_into_chunks_gives_the_same_rows(cuts in proptest::collection::vec(0usize..NDJSON.len(), 0..8)) {
        let bytes = NDJSON.as_bytes();
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut start = 0;
        for cut in cuts {
            chunks.push(&bytes[start..cut.max(start)]);
            start = cut.max(start);
        }
        chunks.push(&bytes[start..]);
        prop_assert_eq!(rows_of(Encoding::Ndjson, &chunks), rows_of(Encoding::Ndjson, &[bytes]));
    }

    #[test]
    fn any_cut_of_a_csv_file_gives_the_same_rows(cut in 0usize..120) {
        let writer = CsvWriter::new(&["finish".into(), "length[mm]".into(), "thread_size".into()]);
        let file = writer.header() + &writer.row(&bolt()).unwrap_or_default();
        let cut = cut.min(file.len());
        let bytes = file.as_bytes();
        prop_assert_eq!(rows_of(Encoding::Csv, &[&bytes[..cut], &bytes[cut..]]), vec![Ok(bolt())]);
    }
}

#[test]
fn a_csv_spec_cell_takes_the_type_of_its_attribute() {
    assert_eq!(coerce_spec("number", json!("12.5")), json!(12.5));
    assert_eq!(coerce_spec("number", json!("M12")), json!("M12"), "left for validation to name");
    assert_eq!(coerce_spec("text", json!("12")), json!("12"));
    assert_eq!(coerce_spec("boolean", json!("yes")), json!(true));
    assert_eq!(coerce_spec("multi_select", json!("zinc|black")), json!(["zinc", "black"]));
    assert_eq!(coerce_spec("number", json!({"value": 50, "unit": "mm"})), json!({"value": 50, "unit": "mm"}));
}
