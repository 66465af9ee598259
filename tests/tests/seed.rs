//! `ferrule seed` into fresh write databases: the catalog arrives as ordinary events through the
//! command path, a re-run changes nothing, a larger count extends the catalog, and the same seed
//! gives the same streams in another database.

use event_store::{EventFilter, EventStore, StoredEvent};
use ferrule_seed::{seed_database, Options, Report};
use integration_tests::admin_url;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// A fresh, migrated write database: its URL and a pool on it.
async fn fresh() -> (String, PgPool) {
    let options = event_store::scratch::fresh_database(&admin_url(), "ft_seed")
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database (is PostgreSQL running?): {e}"));
    let name = options.get_database().unwrap_or_else(|| panic!("the scratch database has no name")).to_owned();
    let admin = admin_url();
    let (server, _) = admin.rsplit_once('/').unwrap_or_else(|| panic!("{admin} names no database"));
    let pool = PgPool::connect_with(options).await.unwrap_or_else(|e| panic!("{e}"));
    (format!("{server}/{name}"), pool)
}

fn options(url: &str, seed: u64, products: u64) -> Options {
    Options {
        seed,
        products,
        database_url: url.to_owned(),
        concurrency: 64,
        append_workers: 2,
        append_batch_max: 32,
        progress: false,
    }
}

async fn seed(url: &str, seed: u64, products: u64) -> Report {
    seed_database(&options(url, seed, products)).await.unwrap_or_else(|e| panic!("{e:#}"))
}

async fn events(pool: &PgPool, filter: EventFilter<'_>) -> Vec<StoredEvent> {
    EventStore::events(pool, &filter).await.unwrap_or_else(|e| panic!("{e}"))
}

async fn event_count(pool: &PgPool) -> i64 {
    EventStore::count_events(pool, &EventFilter::all()).await.unwrap_or_else(|e| panic!("{e}"))
}

async fn events_of_type(pool: &PgPool, event_type: &str) -> i64 {
    EventStore::count_events(pool, &EventFilter::all().event_type(event_type)).await.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn seeding_writes_ordinary_events_and_running_it_again_changes_nothing() {
    let (url, pool) = fresh().await;
    let report = seed(&url, 42, 300).await;
    assert_eq!(report.products.created, 300);
    assert!(!report.already_complete);
    assert_eq!(event_count(&pool).await, report.events as i64);
    assert_eq!(events_of_type(&pool, "ProductCreated").await, 300);
    assert_eq!(events_of_type(&pool, "BrandCreated").await, report.brands.created as i64);
    assert_eq!(events_of_type(&pool, "CategoryCreated").await, report.categories.created as i64);
    assert_eq!(events_of_type(&pool, "FamilyCreated").await, report.families.created as i64);
    assert_eq!(events_of_type(&pool, "AttributeDefined").await, (report.definitions + report.family_overrides) as i64);
    assert!(
        report.categories.created >= 40 && report.brands.created >= 15 && report.families.created >= 50,
        "{report:?}"
    );
    let all = events(&pool, EventFilter::all()).await;
    let foreign = all.iter().filter(|e| e.actor_id != "ferrule-seed" || e.request_id != "seed-42").count();
    assert_eq!(foreign, 0, "every event carries the seed's audit metadata");
    let claims = EventStore::count_claims(&pool, "sku:").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(claims, 300, "every product took its SKU through the event store's claims");

    let again = seed(&url, 42, 300).await;
    assert!(again.already_complete, "{again:?}");
    assert_eq!((again.events, again.products.skipped), (0, 300));
    assert_eq!(event_count(&pool).await, report.events as i64, "a re-run appends nothing");
}

#[tokio::test]
async fn a_larger_count_for_the_same_seed_adds_products_and_keeps_those_there() {
    let (url, pool) = fresh().await;
    seed(&url, 7, 200).await;
    let before: Vec<Uuid> = EventStore::stream_ids(&pool, &EventFilter::all().event_type("ProductCreated"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let more = seed(&url, 7, 320).await;
    assert_eq!(more.products.created + more.products.skipped, 320, "{more:?}");
    assert!(more.products.skipped > 0 && more.products.created > 0, "{more:?}");
    assert_eq!(more.brands.created + more.categories.created, 0, "the structure was there: {more:?}");
    let after = events_of_type(&pool, "ProductCreated").await;
    assert_eq!(after, before.len() as i64 + more.products.created as i64);
    let versions =
        events(&pool, EventFilter::all().stream_type("product")).await.iter().filter(|e| e.version > 1).count();
    assert_eq!(versions, 0, "no product was written twice");
}

/// A database's streams: id, type, version, event type and payload, in stream order.
async fn streams(pool: &PgPool) -> Vec<(Uuid, String, i64, String, Value)> {
    let mut rows: Vec<(Uuid, String, i64, String, Value)> = events(pool, EventFilter::all())
        .await
        .into_iter()
        .map(|e| (e.stream_id, e.stream_type, e.version, e.event_type, e.payload))
        .collect();
    rows.sort_by_key(|(stream, _, version, _, _)| (*stream, *version));
    rows
}

#[tokio::test]
async fn the_same_seed_gives_the_same_streams_in_another_database() {
    let ((url_a, pool_a), (url_b, pool_b)) = (fresh().await, fresh().await);
    seed(&url_a, 3, 250).await;
    seed(&url_b, 3, 250).await;
    let (a, b) = (streams(&pool_a).await, streams(&pool_b).await);
    assert!(a.len() > 250);
    assert_eq!(a.len(), b.len());
    for (left, right) in a.iter().zip(&b) {
        assert_eq!(left, right, "stream ids, versions, event types and payloads are the seed's");
    }
}

#[tokio::test]
async fn another_seed_is_refused_by_a_database_holding_a_catalog() {
    let (url, pool) = fresh().await;
    seed(&url, 1, 50).await;
    let appended = event_count(&pool).await;
    let refused = seed_database(&options(&url, 2, 50)).await.err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(refused.contains("not seed 2's") && refused.contains("seed-1"), "{refused}");
    assert_eq!(event_count(&pool).await, appended);
}
