//! The query API over its own freshly cloned read database, filled with plain SQL as the projector
//! would fill it: browsing, problems, request ids, read-your-writes and health.

use std::time::{Duration, Instant};

use domain::format_path;
use event_store::scratch::{insert_raw_event, RawEvent};
use integration_tests::{admin_url, Answer, TestApp};
use query_api::read_store::READ_MIGRATOR;
use query_api::{Application, Config};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;

/// A running query API and a pool on its read database, to play the projector.
struct ReadApp {
    base: String,
    client: reqwest::Client,
    db: PgPool,
}

fn config(min_position_wait: Duration) -> Config {
    Config {
        read_database_url: String::new().into(),
        write_database_url: None,
        addr: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        read_pool_size: 4,
        min_position_wait_ms: u64::try_from(min_position_wait.as_millis()).unwrap_or(u64::MAX),
        request_timeout_secs: 30,
        redis_url: None,
        cache_prefix: "ferrule".into(),
        revocation_prefix: service_http::revocations::DEFAULT_PREFIX.into(),
        body_limit_bytes: 16 * 1024,
        http: service_http::HttpConfig::unlimited(),
        log_format: Default::default(),
        auth: Default::default(),
        s3: media_store::testing::test_config(),
    }
}

async fn fresh_read_database() -> PgPool {
    let options = event_store::scratch::fresh_database_from(&admin_url(), "ft_read", &READ_MIGRATOR, "read")
        .await
        .unwrap_or_else(|e| panic!("cannot create a read database (is PostgreSQL running?): {e}"));
    PgPoolOptions::new().max_connections(4).connect_with(options).await.unwrap_or_else(|e| panic!("{e}"))
}

impl ReadApp {
    async fn spawn() -> ReadApp {
        Self::spawn_with(Duration::from_secs(10), None).await
    }

    async fn spawn_with(min_position_wait: Duration, write: Option<PgPool>) -> ReadApp {
        let db = fresh_read_database().await;
        let app = Application::with_pool(&config(min_position_wait), db.clone(), write)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = app.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(app.run_until(std::future::pending()));
        ReadApp { base: format!("http://{addr}"), client: reqwest::Client::new(), db }
    }

    fn request(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    async fn get(&self, path: &str) -> Answer {
        TestApp::answer(self.request(path)).await
    }

    /// Inserts a category under `parent` (given by its path) and returns its path.
    async fn category(&self, name: &str, parent: &[Uuid], resolved: Value, retired: bool) -> Vec<Uuid> {
        let id = Uuid::new_v4();
        let mut path = parent.to_vec();
        path.push(id);
        sqlx::query(
            "INSERT INTO catalog.categories
                 (id, name, parent_id, path, path_text, depth, attributes, resolved, retired, version, position, state)
             VALUES ($1, $2, $3, $4, $5, $6, '{}', $7, $8, 1, 10, '{}')",
        )
        .bind(id)
        .bind(name)
        .bind(parent.last())
        .bind(&path)
        .bind(format_path(&path))
        .bind(i32::try_from(parent.len()).unwrap_or(i32::MAX))
        .bind(resolved)
        .bind(retired)
        .execute(&self.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        path
    }

    async fn brand(&self, name: &str) -> Uuid {
        let id = Uuid::new_v4();
        sqlx::query("INSERT INTO catalog.brands (id, name, version, position, state) VALUES ($1, $2, 1, 11, '{}')")
            .bind(id)
            .bind(name)
            .execute(&self.db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        id
    }

    async fn family(&self, category: Uuid, brand: Option<Uuid>, name: &str, required: &[&str]) -> Uuid {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO catalog.families
                 (id, category_id, brand_id, name, code, attributes, required_keys, version, position, state)
             VALUES ($1, $2, $3, $4, $4, '{}', $5, 1, 12, '{}')",
        )
        .bind(id)
        .bind(category)
        .bind(brand)
        .bind(name)
        .bind(required)
        .execute(&self.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        id
    }

    /// Sets the checkpoint, optionally notifying in the same transaction as the projector does.
    async fn checkpoint(&self, position: i64, notify: bool) {
        let mut tx = self.db.begin().await.unwrap_or_else(|e| panic!("{e}"));
        sqlx::query("UPDATE catalog.checkpoint SET position = $1, event_at = now(), updated_at = now()")
            .bind(position)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if notify {
            sqlx::query("SELECT pg_notify('ferrule_checkpoint', $1)")
                .bind(position.to_string())
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A resolved attribute as the projector stores it: the definition and the level it came from.
fn resolved_attribute(key: &str, category: Uuid, depth: usize, required: bool) -> Value {
    json!({
        "key": key, "label": key, "type": "text", "required": required, "variant_defining": false,
        "filterable": true, "searchable": true, "level": "category", "category_id": category, "depth": depth,
    })
}

fn names(nodes: &Value) -> Vec<&str> {
    nodes.as_array().map(|nodes| nodes.iter().filter_map(|n| n["name"].as_str()).collect()).unwrap_or_default()
}

fn assert_problem(answer: &Answer, status: StatusCode) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/problem+json"), "{answer:?}");
    assert_eq!(answer.body["status"], json!(status.as_u16()), "{answer:?}");
    for field in ["type", "title", "detail"] {
        assert!(answer.body[field].is_string(), "no {field} in {answer:?}");
    }
    assert!(answer.body["errors"].is_array(), "{answer:?}");
}

fn position_header(answer: &Answer) -> i64 {
    answer.header("x-position").and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no X-Position in {answer:?}"))
}

#[tokio::test]
async fn the_category_tree_nests_live_categories_by_name_and_names_their_kinds() {
    let app = ReadApp::spawn().await;
    let motors = app.category("Motors", &[], json!([]), false).await;
    let fasteners = app.category("Fasteners", &[], json!([]), false).await;
    let bolts = app.category("Bolts", &fasteners, json!([]), false).await;
    let hex_bolts = app.category("Hex bolts", &bolts, json!([]), false).await;
    app.category("Anchors", &fasteners, json!([]), false).await;
    let rivets = app.category("Rivets", &fasteners, json!([]), true).await;
    app.category("Blind rivets", &rivets, json!([]), false).await;
    app.category("Obsolete", &[], json!([]), true).await;
    app.family(hex_bolts[2], None, "DIN 933", &[]).await;

    let answer = app.get("/v1/categories").await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let roots = &answer.body;
    assert_eq!(names(roots), ["Fasteners", "Motors"], "{roots}");
    assert_eq!(roots[0]["kind"], "cluster");
    assert_eq!(roots[0]["path"], json!(format_path(&fasteners)));
    assert_eq!(roots[1]["id"], json!(motors[0]));
    assert_eq!(roots[1]["children"], json!([]));
    let children = &roots[0]["children"];
    assert_eq!(names(children), ["Anchors", "Bolts"], "retired Rivets and all under it are hidden: {children}");
    assert_eq!(children[0]["kind"], "node");
    assert_eq!(children[1]["kind"], "node");
    let leaf = &children[1]["children"][0];
    assert_eq!(leaf["name"], "Hex bolts");
    assert_eq!(leaf["kind"], "leaf");
    assert_eq!(leaf["path"], json!(format_path(&hex_bolts)));
    assert_eq!(leaf["children"], json!([]));
}

#[tokio::test]
async fn a_category_shows_its_ancestors_root_first_and_its_resolved_attributes_with_their_levels() {
    let app = ReadApp::spawn().await;
    let fasteners = app.category("Fasteners", &[], json!([]), false).await;
    let bolts = app.category("Bolts", &fasteners, json!([]), false).await;
    let id = Uuid::new_v4();
    let resolved =
        json!(
            [resolved_attribute("material", fasteners[0], 0, false), resolved_attribute("thread_size", id, 2, true),]
        );
    let hex_bolts = [bolts.clone(), vec![id]].concat();
    sqlx::query(
        "INSERT INTO catalog.categories
             (id, name, parent_id, path, path_text, depth, attributes, resolved, retired, version, position, state)
         VALUES ($1, 'Hex bolts', $2, $3, $4, 2, '{}', $5, false, 3, 42, '{}')",
    )
    .bind(id)
    .bind(bolts[1])
    .bind(&hex_bolts)
    .bind(format_path(&hex_bolts))
    .bind(&resolved)
    .execute(&app.db)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    app.family(id, None, "DIN 933", &[]).await;

    let answer = app.get(&format!("/v1/categories/{id}")).await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let body = &answer.body;
    assert_eq!(body["id"], json!(id));
    assert_eq!(body["name"], "Hex bolts");
    assert_eq!(body["path"], json!(format_path(&hex_bolts)));
    assert_eq!(body["kind"], "leaf");
    assert_eq!(body["parent_id"], json!(bolts[1]));
    assert_eq!(
        body["ancestors"],
        json!([
            { "id": fasteners[0], "name": "Fasteners", "path": format_path(&fasteners) },
            { "id": bolts[1], "name": "Bolts", "path": format_path(&bolts) },
        ])
    );
    assert_eq!(body["attributes"], resolved, "the resolved set is passed through as stored");
    assert_eq!(body["version"], 3);
    assert_eq!(body["position"], 42);

    let root = app.get(&format!("/v1/categories/{}", fasteners[0])).await;
    assert_eq!(root.status, StatusCode::OK, "{root:?}");
    assert_eq!(root.body["kind"], "cluster");
    assert_eq!(root.body["parent_id"], Value::Null);
    assert_eq!(root.body["ancestors"], json!([]));
}

#[tokio::test]
async fn a_product_shows_its_family_brand_category_and_the_required_specs_it_lacks() {
    let app = ReadApp::spawn().await;
    let fasteners = app.category("Fasteners", &[], json!([]), false).await;
    let hex_bolts = app.category("Hex bolts", &fasteners, json!([]), false).await;
    let brand = app.brand("Würth").await;
    let family = app.family(hex_bolts[1], Some(brand), "DIN 933", &["thread_size"]).await;
    let specs = json!({
        "thread_size": "M12",
        "length": { "value": 40, "unit": "mm", "base_value": 0.04, "base_unit": "m" },
    });
    let insert = |id: Uuid, sku: &'static str, specs: Value, retired: bool, required: Vec<&'static str>| {
        sqlx::query(
            "INSERT INTO catalog.products
                 (id, family_id, name, sku, specs, retired, version, position, family_name, brand_id, brand_name,
                  category_id, category_path, required_keys)
             VALUES ($1, $2, 'Hex bolt', $3, $4, $5, 2, 77, 'DIN 933', $6, 'Würth', $7, $8, $9)",
        )
        .bind(id)
        .bind(family)
        .bind(sku)
        .bind(specs)
        .bind(retired)
        .bind(brand)
        .bind(hex_bolts[1])
        .bind(hex_bolts.clone())
        .bind(required)
        .execute(&app.db)
    };
    let complete = Uuid::new_v4();
    let lacking = Uuid::new_v4();
    insert(complete, "HB933-M12-40", specs.clone(), false, vec!["thread_size"]).await.unwrap_or_else(|e| panic!("{e}"));
    insert(lacking, "HB933-X", json!({ "length": specs["length"] }), true, vec!["material", "thread_size"])
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let answer = app.get(&format!("/v1/products/{complete}")).await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let body = &answer.body;
    assert_eq!(body["id"], json!(complete));
    assert_eq!(body["sku"], "HB933-M12-40");
    assert_eq!(body["name"], "Hex bolt");
    assert_eq!(body["family"], json!({ "id": family, "name": "DIN 933", "external_id": null }));
    assert_eq!(body["brand"], json!({ "id": brand, "name": "Würth", "external_id": null }));
    assert_eq!(body["category"], json!({ "id": hex_bolts[1], "name": "Hex bolts", "path": format_path(&hex_bolts) }));
    assert_eq!(body["specs"], specs);
    assert_eq!(body["complete"], true);
    assert_eq!(body["missing_required"], json!([]));
    assert_eq!(body["retired"], false);
    assert_eq!(body["version"], 2);
    assert_eq!(body["position"], 77);

    let answer = app.get(&format!("/v1/products/{lacking}")).await;
    assert_eq!(answer.status, StatusCode::OK, "a retired product is still shown: {answer:?}");
    assert_eq!(answer.body["complete"], false);
    assert_eq!(answer.body["missing_required"], json!(["material", "thread_size"]));
    assert_eq!(answer.body["retired"], true);
}

#[tokio::test]
async fn unknown_and_retired_ids_are_404_problems_and_malformed_ids_are_400_problems() {
    let app = ReadApp::spawn().await;
    let retired = app.category("Obsolete", &[], json!([]), true).await;

    for path in [
        format!("/v1/categories/{}", Uuid::new_v4()),
        format!("/v1/categories/{}", retired[0]),
        format!("/v1/products/{}", Uuid::new_v4()),
        "/v1/no-such-thing".to_owned(),
    ] {
        let answer = app.get(&path).await;
        assert_problem(&answer, StatusCode::NOT_FOUND);
    }
    for path in ["/v1/categories/not-a-uuid", "/v1/products/12345"] {
        let answer = app.get(path).await;
        assert_problem(&answer, StatusCode::BAD_REQUEST);
        assert_eq!(answer.field_errors(), [("id".to_owned(), "invalid_uuid".to_owned())], "{answer:?}");
    }
}

#[tokio::test]
async fn every_answer_echoes_the_clients_request_id_or_carries_a_new_one() {
    let app = ReadApp::spawn().await;

    let echoed = TestApp::answer(app.request("/v1/categories").header("x-request-id", "req-query-1")).await;
    let problem = TestApp::answer(app.request("/v1/products/nope").header("x-request-id", "req-query-2")).await;
    let generated = app.get("/v1/categories").await;

    assert_eq!(echoed.status, StatusCode::OK);
    assert_eq!(echoed.header("x-request-id"), Some("req-query-1"));
    assert_eq!(problem.status, StatusCode::BAD_REQUEST);
    assert_eq!(problem.header("x-request-id"), Some("req-query-2"));
    assert!(generated.header("x-request-id").is_some_and(|id| !id.is_empty()), "{generated:?}");
    assert_eq!(position_header(&generated), 0);
}

#[tokio::test]
async fn a_request_for_a_later_position_waits_and_is_answered_as_soon_as_the_checkpoint_is_notified() {
    let app = ReadApp::spawn_with(Duration::from_secs(10), None).await;
    let waiting = tokio::spawn(TestApp::answer(app.request("/v1/categories").header("x-min-position", "42")));
    let mut waiting = std::pin::pin!(waiting);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut waiting).await.is_err(),
        "answered before the read model reached the position"
    );

    let notified = Instant::now();
    app.checkpoint(42, true).await;
    let answer = waiting.await.unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert!(notified.elapsed() < Duration::from_secs(5), "waited {:?}", notified.elapsed());
    assert!(position_header(&answer) >= 42, "{answer:?}");
    let already = TestApp::answer(app.request("/v1/categories").header("x-min-position", "40")).await;
    assert_eq!(already.status, StatusCode::OK, "{already:?}");
}

#[tokio::test]
async fn a_checkpoint_that_moved_without_a_notification_is_found_by_the_periodic_reread() {
    let app = ReadApp::spawn_with(Duration::from_secs(10), None).await;
    let waiting = tokio::spawn(TestApp::answer(app.request("/v1/categories").header("x-min-position", "7")));
    let mut waiting = std::pin::pin!(waiting);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut waiting).await.is_err(),
        "answered before the read model reached the position"
    );

    let moved = Instant::now();
    app.checkpoint(7, false).await;
    let answer = waiting.await.unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert!(moved.elapsed() < Duration::from_secs(5), "waited {:?}", moved.elapsed());
    assert_eq!(position_header(&answer), 7);
}

#[tokio::test]
async fn a_position_never_reached_is_a_504_problem_after_the_configured_wait() {
    let app = ReadApp::spawn_with(Duration::from_millis(300), None).await;
    app.checkpoint(5, true).await;

    let started = Instant::now();
    let answer = TestApp::answer(app.request("/v1/categories").header("x-min-position", "1000")).await;

    assert_problem(&answer, StatusCode::GATEWAY_TIMEOUT);
    assert!(started.elapsed() >= Duration::from_millis(300), "answered after {:?}", started.elapsed());
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("1000") && detail.contains("retry"), "{detail}");
    assert!(answer.header("x-request-id").is_some());
}

#[tokio::test]
async fn a_malformed_min_position_header_is_a_400_problem_naming_the_header() {
    let app = ReadApp::spawn().await;

    for value in ["soon", "-1", "1.5"] {
        let answer = TestApp::answer(app.request("/v1/categories").header("x-min-position", value)).await;
        assert_problem(&answer, StatusCode::BAD_REQUEST);
        assert_eq!(answer.field_errors(), [("X-Min-Position".to_owned(), "invalid_header".to_owned())]);
    }
}

#[tokio::test]
async fn health_without_a_write_database_reports_the_checkpoint_and_no_lag() {
    let app = ReadApp::spawn().await;
    app.checkpoint(9, true).await;

    let answer = app.get("/v1/health").await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["status"], "ok");
    assert_eq!(answer.body["checkpoint"]["position"], 9);
    assert!(answer.body["checkpoint"]["event_at"].is_string(), "{answer:?}");
    assert!(answer.body["checkpoint"]["updated_at"].is_string(), "{answer:?}");
    assert_eq!(answer.body["write_head"], Value::Null);
    assert_eq!(answer.body["behind"], Value::Null);
    assert_eq!(answer.body["lag_seconds"], Value::Null);
}

#[tokio::test]
async fn health_with_a_write_database_reports_how_far_behind_the_read_model_is() {
    let options = event_store::scratch::fresh_database(&admin_url(), "ft_write")
        .await
        .unwrap_or_else(|e| panic!("cannot create a write database: {e}"));
    let write = PgPoolOptions::new().max_connections(2).connect_with(options).await.unwrap_or_else(|e| panic!("{e}"));
    for (position, age_secs) in [(10_i64, 120.0_f64), (20, 60.0), (30, 1.0)] {
        let event_id = Uuid::new_v4();
        let event = RawEvent {
            position: Some(position),
            event_id,
            stream_id: Uuid::new_v4(),
            stream_type: "brand".into(),
            version: 1,
            event_type: "BrandCreated".into(),
            schema_version: 1,
            payload: json!({}),
            actor_id: "test".into(),
            actor_role: "admin".into(),
            request_id: "r".into(),
            correlation_id: event_id,
            recorded_at: chrono::Utc::now() - chrono::Duration::milliseconds((age_secs * 1000.0) as i64),
        };
        insert_raw_event(&write, &event).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let app = ReadApp::spawn_with(Duration::from_secs(1), Some(write)).await;
    app.checkpoint(10, true).await;

    let answer = app.get("/v1/health").await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["checkpoint"]["position"], 10);
    assert_eq!(answer.body["write_head"], 30);
    assert_eq!(answer.body["behind"], 2);
    let lag = answer.body["lag_seconds"].as_f64().unwrap_or_else(|| panic!("{answer:?}"));
    assert!((59.0..120.0).contains(&lag), "the oldest unapplied event is a minute old: {lag}");

    app.checkpoint(30, true).await;
    let caught_up = app.get("/v1/health").await;
    assert_eq!(caught_up.body["behind"], 0);
    assert_eq!(caught_up.body["lag_seconds"], 0.0);
    // The search index follows the checkpoint by itself, with no search asking it to.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let index = app.get("/v1/health").await.body["search_index"].clone();
        if index["position"] == 30 {
            assert_eq!((index["loaded"].as_bool(), index["products"].as_u64()), (Some(true), Some(0)), "{index}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the search index never reached 30: {index}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
