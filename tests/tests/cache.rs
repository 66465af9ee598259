//! The query API's Redis cache through the real pipeline: answers are served again while nothing
//! they depend on changed, a projected change turns them away, an answer older than the position a
//! client asked for is never served, and a Redis that is down costs the API nothing but speed.
//! Each test has its own databases, stream and Redis key prefix.

use std::time::{Duration, Instant};

use integration_tests::pipeline::{nats_url, unique_names, OwnRedis, Pipeline, TestCache, DEADLINE};
use integration_tests::{hex_bolts, Answer, HexBolts, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

struct Catalog {
    pipeline: Pipeline,
    query: String,
    hex: HexBolts,
}

/// The walk-through's hex bolts with `products` (thread, material) in them, projected, and a query
/// API with the cache in front.
async fn catalog(pipeline: Pipeline, products: &[(&str, &str)]) -> (Catalog, Vec<Uuid>) {
    let hex = hex_bolts(&pipeline.app).await;
    let mut ids = Vec::new();
    for (thread, material) in products {
        ids.push(product(&pipeline.app, hex.family, thread, material).await.0);
    }
    pipeline.converged().await;
    let query = pipeline.query_api().await;
    (Catalog { pipeline, query, hex }, ids)
}

/// Creates a product; its id and the position its command answered.
async fn product(app: &TestApp, family: Uuid, thread: &str, material: &str) -> (Uuid, i64) {
    let answer = app
        .post(
            "/v1/products",
            json!({"family_id": family, "name": format!("Hex bolt {thread} {material}"),
                   "specs": {"thread_size": thread, "length": 40, "material": material}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    (answer.id(), position(&answer))
}

fn position(answer: &Answer) -> i64 {
    answer.body["position"].as_i64().unwrap_or_else(|| panic!("no position in {answer:?}"))
}

fn x_cache(answer: &Answer) -> &str {
    answer.header("x-cache").unwrap_or("(none)")
}

impl Catalog {
    async fn get(&self, path: &str) -> Answer {
        self.get_with(path, None, false).await
    }

    async fn get_with(&self, path: &str, min_position: Option<i64>, no_cache: bool) -> Answer {
        get(&self.pipeline.app.client, &format!("{}{path}", self.query), min_position, no_cache).await
    }

    /// Asks until the answer comes from the cache (storing happens behind the answer that missed).
    async fn until_hit(&self, path: &str, min_position: Option<i64>) -> Answer {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let answer = self.get_with(path, min_position, false).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
            if x_cache(&answer) == "hit" {
                return answer;
            }
            assert!(Instant::now() < deadline, "{path} was never served from the cache: {answer:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn patch_product(&self, id: Uuid, name: &str) -> i64 {
        let answer = self.pipeline.app.patch(&format!("/v1/products/{id}"), json!({"name": name})).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        position(&answer)
    }

    fn cache(&self) -> &TestCache {
        self.pipeline.cache.as_ref().unwrap_or_else(|| panic!("the pipeline has no cache"))
    }

    /// What Redis holds at `key` (a marker's position, or a response's stamp).
    async fn stamp(&self, key: &str) -> Option<i64> {
        let mut redis = self.cache().connection().await;
        let value: Option<Vec<u8>> = redis::cmd("GET").arg(key).query_async(&mut redis).await.unwrap_or(None);
        let text = String::from_utf8_lossy(&value?).into_owned();
        text.split([' ', '\n']).next().and_then(|s| s.parse().ok())
    }
}

async fn get(client: &reqwest::Client, url: &str, min_position: Option<i64>, no_cache: bool) -> Answer {
    let mut request = client.get(url);
    if let Some(position) = min_position {
        request = request.header("X-Min-Position", position);
    }
    if no_cache {
        request = request.header("Cache-Control", "no-cache");
    }
    TestApp::answer(request).await
}

#[tokio::test]
async fn a_second_get_is_served_from_the_cache_with_the_same_body() {
    let (c, ids) = catalog(Pipeline::start_with_cache("cache_hit").await, &[("M12", "A4")]).await;
    let paths = [
        format!("/v1/products/{}", ids[0]),
        "/v1/categories".to_owned(),
        format!("/v1/categories/{}", c.hex.hex_bolts),
        "/v1/search?q=M12".to_owned(),
        format!("/v1/search?category_id={}&filter.material=A4", c.hex.hex_bolts),
    ];
    for path in &paths {
        let first = c.get(path).await;
        assert_eq!(first.status, StatusCode::OK, "{path}: {first:?}");
        assert_eq!(x_cache(&first), "miss", "{path}");
        let again = c.until_hit(path, None).await;
        assert_eq!(again.body, first.body, "{path}");
        assert_eq!(again.header("content-type"), first.header("content-type"), "{path}");
        assert!(again.header("x-position").is_some(), "{path}: {again:?}");
        assert!(again.header("x-request-id").is_some(), "{path}: {again:?}");
    }
    let key = c.cache().keys().response(&paths[0]);
    assert!(c.stamp(&key).await.is_some(), "{key} is not in Redis");

    // A client that wants a fresh answer gets one (and it is stored for the next).
    let fresh = c.get_with(&paths[0], None, true).await;
    assert_eq!((fresh.status, x_cache(&fresh)), (StatusCode::OK, "bypass"), "{fresh:?}");
    assert_eq!(fresh.body["name"], "Hex bolt M12 A4");

    // Never cached: health, errors.
    let health = c.get("/v1/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.header("x-cache"), None);
    let missing = format!("/v1/products/{}", Uuid::new_v4());
    assert_eq!(c.get(&missing).await.status, StatusCode::NOT_FOUND);
    let again = c.get(&missing).await;
    assert_eq!((again.status, x_cache(&again)), (StatusCode::NOT_FOUND, "miss"));
    c.pipeline.finish().await;
}

#[tokio::test]
async fn a_projected_product_change_turns_its_cached_answer_away_and_no_other() {
    let (c, ids) = catalog(Pipeline::start_with_cache("cache_inval").await, &[("M12", "A4"), ("M8", "A2")]).await;
    let (changed, untouched) = (format!("/v1/products/{}", ids[0]), format!("/v1/products/{}", ids[1]));
    c.until_hit(&changed, None).await;
    c.until_hit(&untouched, None).await;

    // Read your writes: at the command's position, the new name and not the cached one.
    let at = c.patch_product(ids[0], "Hex bolt M12 renamed").await;
    let answer = c.get_with(&changed, Some(at), false).await;
    assert_eq!((answer.status, x_cache(&answer)), (StatusCode::OK, "miss"), "{answer:?}");
    assert_eq!(answer.body["name"], "Hex bolt M12 renamed");
    assert_eq!(x_cache(&c.get(&untouched).await), "hit", "another product's answer stays");

    // Without a position too, once the read model has the change: the markers moved before the
    // batch committed.
    c.patch_product(ids[0], "Hex bolt M12 renamed twice").await;
    c.pipeline.converged().await;
    let answer = c.get(&changed).await;
    assert_eq!((answer.status, x_cache(&answer)), (StatusCode::OK, "miss"), "{answer:?}");
    assert_eq!(answer.body["name"], "Hex bolt M12 renamed twice");
    assert_eq!(c.until_hit(&changed, None).await.body["name"], "Hex bolt M12 renamed twice");

    // A change to the structure a product embeds (its category's name) turns it away too.
    let renamed =
        c.pipeline.app.patch(&format!("/v1/categories/{}", c.hex.hex_bolts), json!({"name": "Hex screws"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    c.pipeline.converged().await;
    for path in [&changed, &untouched] {
        let answer = c.get(path).await;
        assert_eq!((answer.status, x_cache(&answer)), (StatusCode::OK, "miss"), "{path}: {answer:?}");
        assert_eq!(answer.body["category"]["name"], "Hex screws", "{path}");
    }
    c.pipeline.finish().await;
}

#[tokio::test]
async fn a_new_product_turns_cached_search_results_away() {
    let (c, _) = catalog(Pipeline::start_with_cache("cache_search").await, &[("M12", "A4")]).await;
    let path = "/v1/search?q=M12";
    let cached = c.until_hit(path, None).await;
    assert_eq!(cached.body["total"], 1, "{}", cached.body);

    let (added, _) = product(&c.pipeline.app, c.hex.family, "M12", "A2").await;
    c.pipeline.converged().await;
    let answer = c.get(path).await;
    assert_eq!((answer.status, x_cache(&answer)), (StatusCode::OK, "miss"), "{answer:?}");
    assert_eq!(answer.body["total"], 2, "{}", answer.body);
    let hits: Vec<&Value> = answer.body["hits"].as_array().map(|h| h.iter().collect()).unwrap_or_default();
    assert!(hits.iter().any(|hit| hit["id"] == json!(added)), "{}", answer.body);
    assert_eq!(c.until_hit(path, None).await.body, answer.body);
    c.pipeline.finish().await;
}

#[tokio::test]
async fn a_synonym_defined_by_an_admin_reaches_the_next_cached_search_at_once() {
    let (c, _) = catalog(Pipeline::start_with_cache("cache_synonyms").await, &[("M12", "A4"), ("M8", "A2")]).await;
    let path = "/v1/search?q=inox";
    assert_eq!(c.until_hit(path, None).await.body["total"], 0);

    let defined = c.pipeline.app.post("/v1/synonyms", json!({"phrases": ["inox", "A4"]})).await;
    assert_eq!(defined.status, StatusCode::CREATED, "{defined:?}");
    c.pipeline.converged().await;
    // What the search keeps in memory (the synonyms) is read again for an answer that is stored,
    // even a moment after it was last read.
    let answer = c.get(path).await;
    assert_eq!((answer.status, x_cache(&answer)), (StatusCode::OK, "miss"), "{answer:?}");
    assert_eq!(answer.body["total"], 1, "{}", answer.body);
    assert_eq!(c.until_hit(path, None).await.body, answer.body);
    c.pipeline.finish().await;
}

#[tokio::test]
async fn an_answer_stamped_before_the_position_a_client_asks_for_is_never_served() {
    let (c, ids) = catalog(Pipeline::start_with_cache("cache_min").await, &[("M12", "A4")]).await;
    let path = format!("/v1/products/{}", ids[0]);
    let cached = c.until_hit(&path, None).await;
    let key = c.cache().keys().response(&path);
    let stamp = c.stamp(&key).await.unwrap_or_else(|| panic!("{key} is not in Redis"));

    // Another product moves the read model on; this product's answer is still valid, but older
    // than the position the client now asks for.
    let (_, later) = product(&c.pipeline.app, c.hex.family, "M8", "A2").await;
    assert!(later > stamp, "{later} <= {stamp}");
    let answer = c.get_with(&path, Some(later), false).await;
    assert_eq!((answer.status, x_cache(&answer)), (StatusCode::OK, "miss"), "{answer:?}");
    assert_eq!(answer.body, cached.body);
    // Stored again, now at the later position, it serves that client.
    c.until_hit(&path, Some(later)).await;
    let restamped = c.stamp(&key).await.unwrap_or_default();
    assert!(restamped >= later, "stored at {restamped}, asked for {later}");
    c.pipeline.finish().await;
}

#[tokio::test]
async fn a_rebuild_turns_away_every_answer_cached_before_it() {
    let (c, ids) = catalog(Pipeline::start_with_cache("cache_rebuild").await, &[("M12", "A4")]).await;
    let paths = [format!("/v1/products/{}", ids[0]), "/v1/categories".to_owned(), "/v1/search?q=M12".to_owned()];
    for path in &paths {
        c.until_hit(path, None).await;
    }
    let rebuilt = c.pipeline.rebuild().await;
    assert_eq!(c.stamp(&c.cache().keys().changed_all()).await, Some(rebuilt.checkpoint + 1));
    for path in &paths {
        let answer = c.get(path).await;
        assert_eq!((answer.status, x_cache(&answer)), (StatusCode::OK, "miss"), "{path}: {answer:?}");
    }
    // From the next projected event on, answers are stored and served again.
    let (_, at) = product(&c.pipeline.app, c.hex.family, "M8", "A2").await;
    c.until_hit(&paths[0], Some(at)).await;
    c.pipeline.finish().await;
}

/// Every cached endpoint, and one with the position asked for.
fn endpoints(hex: &HexBolts, product: Uuid) -> Vec<String> {
    vec![
        format!("/v1/products/{product}"),
        "/v1/categories".to_owned(),
        format!("/v1/categories/{}", hex.hex_bolts),
        "/v1/search?q=M12".to_owned(),
        format!("/v1/search?category_id={}&filter.material=A4", hex.hex_bolts),
    ]
}

#[tokio::test]
async fn with_redis_down_every_endpoint_answers_from_the_read_database_without_waiting_for_it() {
    let (c, ids) = catalog(Pipeline::start("cache_down").await, &[("M12", "A4")]).await;
    let at = c.pipeline.checkpoint().await;
    let paths = endpoints(&c.hex, ids[0]);
    let plain: Vec<Answer> = {
        let mut answers = Vec::new();
        for path in &paths {
            answers.push(c.get(path).await);
        }
        answers
    };
    assert!(plain.iter().all(|a| a.status == StatusCode::OK && x_cache(a) == "off"), "{plain:?}");

    // Nothing listens there: connections are refused.
    let refused = c.pipeline.query_api_on(Some("redis://127.0.0.1:1")).await;
    // Something listens there and never answers: every call would wait for its timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let silent_url = format!("redis://{}", silent.local_addr().unwrap_or_else(|e| panic!("{e}")));
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            sockets.push(socket);
        }
    });
    let silent = c.pipeline.query_api_on(Some(&silent_url)).await;

    // The same requests against each; with no Redis at all first, for how long they take anyway.
    let client = reqwest::Client::new();
    let mut took = Vec::new();
    for base in [&c.query, &refused, &silent] {
        let started = Instant::now();
        for round in 0..8 {
            for (path, expected) in paths.iter().zip(&plain) {
                let min_position = (round % 2 == 1).then_some(at);
                let answer = get(&client, &format!("{base}{path}"), min_position, round % 4 == 3).await;
                assert_eq!(answer.status, StatusCode::OK, "{base}{path}: {answer:?}");
                assert_eq!(x_cache(&answer), "off", "{base}{path}");
                assert_eq!(answer.body, expected.body, "{base}{path}");
            }
        }
        took.push(started.elapsed());
    }
    // One call waits for Redis's timeout (100 ms); the others leave Redis alone. Waiting for it
    // each time, the 40 answers would take 4 s longer.
    let slowest = took[1].max(took[2]);
    assert!(slowest < took[0] + Duration::from_millis(1500), "with Redis down: {took:?}");
    held.abort();
    c.pipeline.finish().await;
}

#[tokio::test]
async fn an_invalidation_the_projector_missed_while_redis_was_down_is_delivered_when_it_is_back() {
    let mut own = OwnRedis::start().await;
    let pipeline = Pipeline::start_with(&nats_url(), unique_names("cache_back"), Some(TestCache::on(&own.url()))).await;
    let (c, ids) = catalog(pipeline, &[("M12", "A4")]).await;
    let path = format!("/v1/products/{}", ids[0]);
    let key = c.cache().keys().response(&path);
    c.until_hit(&path, None).await;
    let stamp = c.stamp(&key).await.unwrap_or_else(|| panic!("{key} is not in Redis"));

    own.stop();
    let at = c.patch_product(ids[0], "Hex bolt renamed while Redis was down").await;
    c.pipeline.converged().await;
    let answer = c.get(&path).await;
    assert_eq!((answer.status, x_cache(&answer)), (StatusCode::OK, "off"), "{answer:?}");
    assert_eq!(answer.body["name"], "Hex bolt renamed while Redis was down");

    // Redis comes back with what it held: the old answer, and no marker for the change.
    own.resume().await;
    assert_eq!(c.stamp(&key).await, Some(stamp), "the old answer survived the restart");
    let all = c.cache().keys().changed_all();
    let deadline = Instant::now() + DEADLINE;
    loop {
        match c.stamp(&all).await {
            Some(marker) if marker >= at => break,
            marker => assert!(Instant::now() < deadline, "changed:all is {marker:?}, the change is at {at}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Once the query API uses Redis again, the old answer is not served.
    let deadline = Instant::now() + DEADLINE;
    let answer = loop {
        let answer = c.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        assert_eq!(answer.body["name"], "Hex bolt renamed while Redis was down", "{answer:?}");
        if x_cache(&answer) != "off" {
            break answer;
        }
        assert!(Instant::now() < deadline, "the query API never used Redis again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(x_cache(&answer), "miss");
    assert_eq!(c.until_hit(&path, None).await.body["name"], "Hex bolt renamed while Redis was down");
    c.pipeline.finish().await;
}
