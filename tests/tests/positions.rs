//! `X-Min-Position` on the query API: a malformed position is a 400 naming the header, one the
//! event store has never reached is refused at once (409, saying the head), and one written but
//! not projected yet is waited for and answered.

use std::time::{Duration, Instant};

use event_store::EventStore;
use integration_tests::pipeline::Pipeline;
use integration_tests::{Answer, TestApp};
use reqwest::StatusCode;
use serde_json::json;

/// Far less than the query API's wait (10 s in the pipeline's configuration): a refusal this
/// quick did not wait.
const AT_ONCE: Duration = Duration::from_secs(3);

async fn categories(query: &str, min_position: &str) -> Answer {
    let request = reqwest::Client::new().get(format!("{query}/v1/categories")).header("X-Min-Position", min_position);
    TestApp::answer(request).await
}

async fn write_head(pipeline: &Pipeline) -> i64 {
    EventStore::head_position(&pipeline.app.db).await.unwrap_or_else(|e| panic!("{e}"))
}

/// The position a new category was written at.
async fn write_a_category(pipeline: &Pipeline, name: &str) -> i64 {
    let created = pipeline.app.post("/v1/categories", json!({ "name": name })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    created.body["position"].as_i64().unwrap_or_else(|| panic!("no position in {created:?}"))
}

#[tokio::test]
async fn a_malformed_min_position_is_a_400_naming_the_header() {
    let pipeline = Pipeline::start("positions_malformed").await;
    let query = pipeline.query_api().await;
    for sent in ["-1", "abc", "1.5", "9223372036854775808", "99999999999999999999", ""] {
        let answer = categories(&query, sent).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{sent:?}: {answer:?}");
        assert_eq!(answer.field_errors(), [("X-Min-Position".to_owned(), "invalid_header".to_owned())], "{sent:?}");
    }
    let largest = categories(&query, &i64::MAX.to_string()).await;
    assert_eq!(largest.status, StatusCode::CONFLICT, "{largest:?}");
    pipeline.finish().await;
}

#[tokio::test]
async fn a_position_beyond_the_write_head_is_refused_at_once_saying_the_head() {
    let pipeline = Pipeline::start("positions_beyond").await;
    write_a_category(&pipeline, "Fasteners").await;
    let query = pipeline.query_api().await;
    let head = write_head(&pipeline).await;
    let started = Instant::now();
    let answer = categories(&query, &(head + 1000).to_string()).await;
    assert!(started.elapsed() < AT_ONCE, "the refusal took {:?}", started.elapsed());
    assert_eq!(answer.status, StatusCode::CONFLICT, "{answer:?}");
    assert_eq!(answer.field_errors(), [("X-Min-Position".to_owned(), "beyond_write_head".to_owned())]);
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&format!("position {head}")), "{detail}");
    assert!(detail.contains(&(head + 1000).to_string()), "{detail}");
    // The head itself was written: it is served.
    pipeline.converged().await;
    let at_head = categories(&query, &head.to_string()).await;
    assert_eq!(at_head.status, StatusCode::OK, "{at_head:?}");
    pipeline.finish().await;
}

#[tokio::test]
async fn a_position_refused_as_unwritten_is_served_once_a_command_reaches_it() {
    let pipeline = Pipeline::start("positions_then_written").await;
    let query = pipeline.query_api().await;
    let head = write_head(&pipeline).await;
    let next = head + 1;
    let refused = categories(&query, &next.to_string()).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
    // A command now writes it: the head the query API read before is not held against it.
    let position = write_a_category(&pipeline, "Motors").await;
    assert!(position >= next, "{position} < {next}");
    let served = categories(&query, &position.to_string()).await;
    assert_eq!(served.status, StatusCode::OK, "{served:?}");
    let names: Vec<&str> = served.body.as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["Motors"]);
    pipeline.finish().await;
}

#[tokio::test]
async fn a_position_written_but_not_projected_yet_is_waited_for_and_answered() {
    let mut pipeline = Pipeline::start("positions_wait").await;
    let query = pipeline.query_api().await;
    pipeline.kill_projector().await;
    let position = write_a_category(&pipeline, "Pumps").await;
    assert!(pipeline.checkpoint().await < position, "the projector was stopped before the write");
    let waiting = tokio::spawn({
        let query = query.clone();
        async move { categories(&query, &position.to_string()).await }
    });
    pipeline.start_projector().await;
    let answer = waiting.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let reached: i64 = answer.header("x-position").and_then(|p| p.parse().ok()).unwrap_or_default();
    assert!(reached >= position, "X-Position {reached} < {position}");
    let names: Vec<&str> = answer.body.as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["Pumps"]);
    pipeline.finish().await;
}
