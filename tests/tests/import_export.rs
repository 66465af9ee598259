//! Export → import into an empty installation → the same catalog: `GET /v1/exports/products`
//! through the real query API, applied with `command_api::import` in process (as an import job
//! will), projected and exported again. A second apply appends nothing; bad rows are reported
//! with their number, field and code while the others are applied.

use catalog_io::{CsvHeader, Encoding, Row, RowError, Splitter};
use command_api::import::{apply_rows, ImportSummary, NumberedRow};
use command_api::service::{Catalog, CommandContext};
use integration_tests::pipeline::Pipeline;
use integration_tests::{hex_bolts, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

fn context(app: &TestApp) -> CommandContext {
    CommandContext {
        metadata: event_store::Metadata {
            actor_id: app.admin_id.to_string(),
            actor_role: "admin".into(),
            request_id: "import-test".into(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
        },
        now: chrono::Utc::now(),
        requires: Vec::new(),
        idempotency: None,
    }
}

/// A file's rows, as an import job reads them: split in small chunks, the CSV header first.
fn rows_of(encoding: Encoding, file: &str) -> Result<Vec<NumberedRow>, RowError> {
    let mut splitter = Splitter::new(encoding);
    let mut records = Vec::new();
    for chunk in file.as_bytes().chunks(97) {
        records.extend(splitter.push(chunk).unwrap_or_else(|e| panic!("{e}")));
    }
    records.extend(splitter.finish().unwrap_or_else(|e| panic!("{e}")));
    let mut header = None;
    let mut rows = Vec::new();
    for record in records {
        match record {
            Err(error) => rows.push((error.row, Err(error))),
            Ok(record) if encoding == Encoding::Csv && record.number == 0 => {
                header = Some(CsvHeader::parse(&record.cells)?);
            }
            Ok(record) => rows.push((record.number, catalog_io::parse(&record, header.as_ref()))),
        }
    }
    Ok(rows)
}

async fn import(app: &TestApp, encoding: Encoding, file: &str) -> ImportSummary {
    let catalog = Catalog::new(app.store.clone(), event_store::GroupOptions::default());
    let rows = rows_of(encoding, file).unwrap_or_else(|e| panic!("{e}"));
    apply_rows(&catalog, &context(app), rows, false).await.unwrap_or_else(|(_, e)| panic!("{e}"))
}

async fn export(pipeline: &Pipeline, query: &str, format: &str) -> String {
    pipeline.converged().await;
    let base = pipeline.query_api().await;
    let response = pipeline
        .app
        .client
        .get(format!("{base}/v1/exports/products?format={format}{query}"))
        .bearer_auth(&pipeline.app.token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap_or_else(|e| panic!("{e}"))
}

/// The lines of a file, the CSV header first, the rows sorted: the rows name each other by
/// external id and SKU, never by the installation's UUIDs, so two installations' files are equal.
fn lines(file: &str, csv: bool) -> Vec<String> {
    let mut lines: Vec<String> = file.lines().map(str::to_owned).collect();
    let start = usize::from(csv).min(lines.len());
    lines[start..].sort();
    lines
}

/// The walk-through's hex bolts, a brand with a family of its own, and products with specs (a
/// length in mm and one in cm), some known by external id.
async fn catalog(source: &Pipeline) {
    let app = &source.app;
    let cat = hex_bolts(app).await;
    let brand = app.put("/v1/brands/by-external-id/B-ACME", json!({"name": "Acme"})).await;
    assert_eq!(brand.status, StatusCode::CREATED, "{brand:?}");
    let family = app
        .put(
            "/v1/families/by-external-id/F-931",
            json!({"category_id": cat.hex_bolts, "brand_id": brand.id(), "name": "DIN 931", "code": "HB931"}),
        )
        .await;
    assert_eq!(family.status, StatusCode::CREATED, "{family:?}");
    let products = [
        (Some("MAT/4711 A"), cat.family, json!({"thread_size": "M12", "length": 50, "material": "A4"})),
        (None, cat.family, json!({"thread_size": "M8", "length": {"value": 3, "unit": "cm"}, "material": "A2"})),
        (None, family.id(), json!({"thread_size": "M10", "length": 80})),
        (Some("P-2"), family.id(), json!({"thread_size": "M16", "length": {"value": 120, "unit": "mm"}})),
    ];
    for (i, (external_id, family_id, specs)) in products.into_iter().enumerate() {
        let body = json!({"family_id": family_id, "name": format!("Hex bolt {i}"), "specs": specs});
        let answer = match external_id {
            Some(id) => {
                app.put(&format!("/v1/products/by-external-id/{}", id.replace('/', "%2F").replace(' ', "%20")), body)
                    .await
            }
            None => app.post("/v1/products", body).await,
        };
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        if i < 2 {
            let product = answer.id();
            let price = json!({"list_price": {"amount_minor": 1250 + i, "currency": "EUR"}, "minimum_quantity": 10});
            let terms = app.put(&format!("/v1/products/{product}/terms"), price).await;
            assert_eq!(terms.status, StatusCode::OK, "{terms:?}");
            let receipt =
                app.post(&format!("/v1/products/{product}/stock/{WAREHOUSE}/receipts"), json!({"quantity": 25})).await;
            assert_eq!(receipt.status, StatusCode::OK, "{receipt:?}");
        }
    }
}

const WAREHOUSE: &str = "0190b2a4-0000-7000-8000-000000000001";

#[tokio::test]
async fn an_export_imports_into_an_empty_installation_as_the_same_catalog_in_both_formats() {
    let source = Pipeline::start("ie_src").await;
    catalog(&source).await;
    let ndjson = export(&source, "", "ndjson").await;
    let csv = export(&source, "", "csv").await;
    assert_eq!(ndjson.lines().count(), 3 + 3 + 1 + 2 + 1 + 4 + 2 + 2, "{ndjson}");
    assert!(csv.starts_with("kind,"), "{csv}");
    assert!(csv.lines().next().unwrap_or_default().contains("spec.length[cm],spec.length[mm]"), "{csv}");
    // Parents first: every category's parent is a row above it.
    let rows = rows_of(Encoding::Ndjson, &ndjson).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<&str> = rows
        .iter()
        .map(|(_, row)| match row {
            Ok(Row::Category { .. }) => "category",
            Ok(Row::Attribute(_)) => "attribute",
            Ok(Row::Brand { .. }) => "brand",
            Ok(Row::Family { .. }) => "family",
            Ok(Row::Product { .. }) => "product",
            Ok(Row::Price { .. }) => "price",
            Ok(Row::Stock { .. }) => "stock",
            other => panic!("{other:?}"),
        })
        .collect();
    let mut order = kinds.clone();
    order.dedup();
    assert_eq!(
        order,
        ["category", "attribute", "brand", "family", "attribute", "product", "price", "stock"],
        "{ndjson}"
    );

    for (encoding, file, tag) in [(Encoding::Ndjson, &ndjson, "ie_nd"), (Encoding::Csv, &csv, "ie_csv")] {
        let target = Pipeline::start(tag).await;
        let before = target.app.event_count().await;
        let summary = import(&target.app, encoding, file).await;
        assert_eq!(summary.errors, [], "{summary:?}");
        assert_eq!((summary.read, summary.created, summary.refused), (18, 18, 0), "{summary:?}");
        let again = export(&target, "", "ndjson").await;
        assert_eq!(lines(&again, false), lines(&ndjson, false), "{encoding:?}");
        let again_csv = export(&target, "", "csv").await;
        assert_eq!(lines(&again_csv, true), lines(&csv, true), "{encoding:?}");

        // The same file again: every row unchanged, nothing appended.
        let appended = target.app.event_count().await;
        assert!(appended > before);
        let second = import(&target.app, encoding, file).await;
        assert_eq!((second.read, second.unchanged, second.applied, second.refused), (18, 18, 0, 0), "{second:?}");
        assert_eq!(target.app.event_count().await, appended, "a second import appends nothing");
        target.finish().await;
    }

    // Staff only, and parameters checked.
    let base = source.query_api().await;
    let anonymous = source.app.client.get(format!("{base}/v1/exports/products")).send().await;
    assert_eq!(anonymous.map(|r| r.status()).ok(), Some(StatusCode::UNAUTHORIZED));
    let bad = TestApp::answer(
        source.app.client.get(format!("{base}/v1/exports/products?format=xml&x=1")).bearer_auth(&source.app.token),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    assert_eq!(
        bad.field_errors(),
        [("format".to_owned(), "invalid_format".to_owned()), ("x".to_owned(), "unknown_parameter".to_owned())]
    );

    // A subtree: the category, its ancestors, and what hangs in it.
    let bolts: String = sqlx::query_scalar("SELECT id::text FROM catalog.categories WHERE name = 'Bolts'")
        .fetch_one(&source.read)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sub = export(&source, &format!("&category_id={bolts}"), "ndjson").await;
    assert_eq!(lines(&sub, false), lines(&ndjson, false), "everything hangs under Bolts");
    source.finish().await;
}

#[tokio::test]
async fn bad_rows_are_reported_with_their_number_field_and_code_while_the_others_are_applied() {
    let target = Pipeline::start("ie_bad").await;
    let file = [
        json!({"kind": "category", "external_id": "C-1", "name": "Fasteners"}),
        json!({"kind": "category", "external_id": "C-2", "name": "Hex bolts", "parent": "C-1"}),
        json!({"kind": "category", "external_id": "C-3", "name": "Nuts", "parent": "C-404"}),
        json!({"kind": "attribute", "owner": "category", "owner_id": "C-2", "key": "length", "label": "Length",
               "type": "number", "unit": "mm", "variant_defining": true}),
        json!({"kind": "family", "external_id": "F-1", "category": "C-2", "name": "DIN 933"}),
        json!({"kind": "product", "external_id": "P-1", "family": "F-1", "name": "Bolt 50",
               "specs": {"length": {"value": 50, "unit": "mm"}}}),
        json!({"kind": "product", "external_id": "P-2", "family": "F-1", "name": "Bolt heavy",
               "specs": {"length": {"value": 5, "unit": "kg"}}}),
        json!({"kind": "product", "external_id": "P-1", "family": "F-1", "name": "Bolt 50 again"}),
        json!({"kind": "product", "external_id": "P-3", "family": "F-1", "name": "Bolt 60", "colour": "red"}),
        json!({"kind": "product", "external_id": "P-4", "family": "F-1", "name": "Bolt 70",
               "specs": {"length": 70}}),
    ]
    .iter()
    .map(|row| row.to_string() + "\n")
    .collect::<String>();

    // Dry run: parsed, references resolved (rows above count), nothing appended.
    let catalog = Catalog::new(target.app.store.clone(), event_store::GroupOptions::default());
    let before = target.app.event_count().await;
    let rows = rows_of(Encoding::Ndjson, &file).unwrap_or_else(|e| panic!("{e}"));
    let dry = apply_rows(&catalog, &context(&target.app), rows, true).await.unwrap_or_else(|(_, e)| panic!("{e}"));
    assert_eq!(target.app.event_count().await, before, "a dry run appends nothing");
    assert_eq!((dry.checked, dry.refused, dry.applied), (7, 3, 0), "{dry:?}");

    let summary = import(&target.app, Encoding::Ndjson, &file).await;
    let reported: Vec<(u64, &str, &str)> =
        summary.errors.iter().map(|e| (e.row, e.field.as_str(), e.code.as_str())).collect();
    assert_eq!(
        reported,
        [
            (3, "parent", "unknown_reference"),
            (7, "specs.length", "wrong_unit_family"),
            (8, "external_id", "duplicate_in_file"),
            (9, "colour", "unknown_field"),
        ],
        "{summary:?}"
    );
    assert_eq!(summary.errors[1].external_id.as_deref(), Some("P-2"));
    assert_eq!((summary.read, summary.applied, summary.refused, summary.error_count), (10, 6, 4, 4), "{summary:?}");
    let exported = export(&target, "", "ndjson").await;
    assert!(
        exported.contains("\"P-4\"") && exported.contains("\"P-1\"") && !exported.contains("\"P-2\""),
        "{exported}"
    );

    // A list price and stock, then changed stock: a receipt, then a correction.
    let file = |on_hand: i64| {
        [
            json!({"kind": "price", "product": "P-1", "amount_minor": 990, "currency": "EUR"}),
            json!({"kind": "stock", "product": "P-1", "warehouse_id": WAREHOUSE, "on_hand": on_hand}),
            json!({"kind": "stock", "product": "P-404", "warehouse_id": WAREHOUSE, "on_hand": 1}),
        ]
        .iter()
        .map(|row| row.to_string() + "\n")
        .collect::<String>()
    };
    let first = import(&target.app, Encoding::Ndjson, &file(10)).await;
    assert_eq!((first.created, first.refused), (2, 1), "{first:?}");
    assert_eq!((first.errors[0].row, first.errors[0].code.as_str()), (3, "unknown_reference"));
    let second = import(&target.app, Encoding::Ndjson, &file(7)).await;
    assert_eq!((second.updated, second.unchanged, second.refused), (1, 1, 1), "{second:?}");
    let exported = export(&target, "", "ndjson").await;
    assert!(exported.contains("\"on_hand\":7") && exported.contains("\"amount_minor\":990"), "{exported}");

    // A CSV whose header has a column no row has: the file is refused at row 0, naming it.
    let csv = "kind,external_id,name,colour\ncategory,C-9,Tools,red\n";
    let refused = rows_of(Encoding::Csv, csv).err().unwrap_or_else(|| panic!("the header was taken"));
    assert_eq!((refused.row, refused.field.as_str(), refused.code.as_str()), (0, "colour", "unknown_column"));
    // A CSV row with a unit the attribute does not measure in, among good ones.
    let csv = "kind,external_id,family,name,spec.length[mm],spec.length[kg]\n\
               product,P-10,F-1,Bolt 10,10,\n\
               product,P-11,F-1,Bolt 11,,11\n";
    let summary = import(&target.app, Encoding::Csv, csv).await;
    let reported: Vec<(u64, &str, &str)> =
        summary.errors.iter().map(|e| (e.row, e.field.as_str(), e.code.as_str())).collect();
    assert_eq!(reported, [(2, "specs.length", "wrong_unit_family")], "{summary:?}");
    assert_eq!((summary.created, summary.refused), (1, 1));
    target.finish().await;
}

/// More rows than one page of the export's keyset reads: every product once, in one pass.
#[tokio::test]
async fn an_export_pages_through_more_rows_than_one_read_without_losing_or_repeating_any() {
    let pipeline = Pipeline::start("ie_pages").await;
    const PRODUCTS: usize = 1_201;
    let mut file = [
        json!({"kind": "category", "external_id": "C-0", "name": "Fasteners"}),
        json!({"kind": "category", "external_id": "C-1", "name": "Washers", "parent": "C-0"}),
        json!({"kind": "attribute", "owner": "category", "owner_id": "C-1", "key": "size", "label": "Size",
               "type": "number", "unit": "mm", "variant_defining": true}),
        json!({"kind": "family", "external_id": "F-1", "category": "C-1", "name": "DIN 125", "code": "W125"}),
    ]
    .iter()
    .map(|row| row.to_string() + "\n")
    .collect::<String>();
    for n in 1..=PRODUCTS {
        let row = json!({"kind": "product", "external_id": format!("W-{n:05}"), "family": "F-1",
                         "name": format!("Washer {n}"), "specs": {"size": n}});
        file.push_str(&(row.to_string() + "\n"));
    }
    let summary = import(&pipeline.app, Encoding::Ndjson, &file).await;
    assert_eq!((summary.created, summary.refused), (PRODUCTS as u64 + 4, 0), "{:?}", summary.errors.first());
    for (format, csv) in [("ndjson", false), ("csv", true)] {
        let exported = export(&pipeline, "", format).await;
        let products: std::collections::BTreeSet<String> = exported
            .lines()
            .filter(|line| line.contains("W-"))
            .map(|line| line.split("W-").nth(1).unwrap_or_default()[..5].to_owned())
            .collect();
        let rows = exported.lines().count() - usize::from(csv);
        assert_eq!((products.len(), rows), (PRODUCTS, PRODUCTS + 4), "{format}");
    }
    pipeline.finish().await;
}

#[tokio::test]
async fn the_readmes_sample_catalog_imports_cleanly_and_a_second_time_changes_nothing() {
    let app = TestApp::spawn().await;
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/catalog.csv"))
        .unwrap_or_else(|e| panic!("{e}"));
    let first = import(&app, Encoding::Csv, &file).await;
    assert_eq!((first.read, first.refused, first.applied), (13, 0, 13), "{first:?}");
    let events = app.event_count().await;
    let again = import(&app, Encoding::Csv, &file).await;
    assert_eq!((again.unchanged, again.refused), (13, 0), "{again:?}");
    assert_eq!(app.event_count().await, events);
}
