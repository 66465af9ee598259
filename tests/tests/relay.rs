//! The outbox relay against the real PostgreSQL and NATS JetStream, on a stream of its own.

use async_nats::jetstream;
use event_store::{Append, EventFilter, EventStore, EventToAppend, Metadata, StreamWrite};
use futures::StreamExt;
use integration_tests::admin_url;
use relay::{Names, Relay, RelayConfig, Round};
use serde_json::json;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

fn nats_url() -> String {
    std::env::var("FERRULE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

async fn appended(store: &EventStore, n: usize) {
    for _ in 0..n {
        let stream = Uuid::new_v4();
        let batch = Append {
            events: vec![EventToAppend {
                event_id: Uuid::new_v4(),
                stream_id: stream,
                stream_type: "brand",
                version: 1,
                event_type: "BrandCreated",
                schema_version: 1,
                payload: json!({"name": stream.to_string()}),
            }],
            streams: vec![StreamWrite {
                stream_id: stream,
                stream_type: "brand",
                expected_version: 0,
                version: 1,
                parent_id: None,
                snapshot: json!({}),
            }],
            ..Append::default()
        };
        let metadata = Metadata {
            actor_id: "t".into(),
            actor_role: "admin".into(),
            request_id: "r".into(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
        };
        EventStore::append(store.pool(), &batch, &metadata, chrono::Utc::now()).await.unwrap_or_else(|e| panic!("{e}"));
    }
}

struct Setup {
    store: EventStore,
    relay: Relay,
    js: jetstream::Context,
    names: Names,
    leader: PgConnection,
}

async fn setup() -> Setup {
    let options =
        event_store::scratch::fresh_database(&admin_url(), "ft_relay").await.unwrap_or_else(|e| panic!("{e}"));
    let store = EventStore::connect(options.clone(), 4).await.unwrap_or_else(|e| panic!("{e}"));
    let client = async_nats::connect(nats_url()).await.unwrap_or_else(|e| panic!("is NATS running? {e}"));
    let js = jetstream::new(client);
    let names = Names::isolated(&Uuid::new_v4().simple().to_string()[..10]);
    relay::jetstream::ensure_stream(&js, &names).await.unwrap_or_else(|e| panic!("{e}"));
    let config = RelayConfig { names: names.clone(), ..RelayConfig::default() };
    let relay = Relay::new(options.clone(), js.clone(), config);
    let mut leader = PgConnection::connect_with(&options).await.unwrap_or_else(|e| panic!("{e}"));
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(relay::RELAY_LOCK)
        .fetch_one(&mut leader)
        .await
        .unwrap_or_default();
    assert!(locked);
    Setup { store, relay, js, names, leader }
}

/// The first `n` events, once the gap-safe reader can see them all.
async fn readable(store: &EventStore, n: usize) -> Vec<event_store::StoredEvent> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let events = EventStore::read_all(store.pool(), 0, 100).await.unwrap_or_else(|e| panic!("{e}"));
        if events.len() >= n {
            return events;
        }
        assert!(tokio::time::Instant::now() < deadline, "only {} of {n} events became readable", events.len());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Every committed event's position, in order.
async fn committed(store: &EventStore) -> Vec<i64> {
    let events = EventStore::events(store.pool(), &EventFilter::all()).await.unwrap_or_default();
    events.into_iter().map(|e| e.position).collect()
}

/// Each position with the one before it (0 for the first): what the relay's headers must say.
fn chained(positions: &[i64]) -> Vec<(i64, i64)> {
    positions.iter().enumerate().map(|(i, p)| (*p, if i == 0 { 0 } else { positions[i - 1] })).collect()
}

impl Setup {
    /// Relay rounds until the relay has published up to `last`. Transaction ids are server-wide:
    /// another test's open transaction can hold a round back, never make it skip.
    async fn drain(&mut self, last: i64) -> Round {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut total = Round::default();
        while total.position < last {
            assert!(tokio::time::Instant::now() < deadline, "the relay never reached {last}: {total:?}");
            let round = self.relay.round(&mut self.leader).await.unwrap_or_else(|e| panic!("{e}"));
            if round.published == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            total = Round {
                published: total.published + round.published,
                duplicates: total.duplicates + round.duplicates,
                position: round.position,
            };
        }
        total
    }

    /// Removes the test's stream from the shared NATS server.
    async fn finish(self) {
        let _ = self.js.delete_stream(&self.names.stream).await;
    }
}

/// (position, previous position) of every message in the stream, in stream order.
async fn published(setup: &Setup) -> Vec<(i64, i64)> {
    let stream = setup.js.get_stream(&setup.names.stream).await.unwrap_or_else(|e| panic!("{e}"));
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::Config {
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let count = stream.cached_info().state.messages as usize;
    let mut messages = consumer.fetch().max_messages(count.max(1)).messages().await.unwrap_or_else(|e| panic!("{e}"));
    let mut found = Vec::new();
    while found.len() < count {
        let Some(Ok(message)) = messages.next().await else { break };
        let header = |name: &str| {
            message
                .headers
                .as_ref()
                .and_then(|h| h.get(name))
                .and_then(|v| v.as_str().parse::<i64>().ok())
                .unwrap_or(-1)
        };
        found.push((header(relay::POSITION_HEADER), header(relay::PREVIOUS_HEADER)));
    }
    found
}

#[tokio::test]
async fn the_relay_publishes_in_global_order_and_records_its_progress() {
    let mut setup = setup().await;
    appended(&setup.store, 5).await;
    let positions = committed(&setup.store).await;
    let round = setup.drain(positions[4]).await;
    assert_eq!(round, Round { published: 5, duplicates: 0, position: positions[4] });
    assert_eq!(relay::progress(setup.store.pool()).await.unwrap_or_default(), positions[4]);
    assert_eq!(published(&setup).await, chained(&positions));
    let idle = setup.relay.round(&mut setup.leader).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(idle.published, 0);
    setup.finish().await;
}

#[tokio::test]
async fn a_relay_killed_after_publishing_but_before_recording_publishes_nothing_twice() {
    let mut setup = setup().await;
    appended(&setup.store, 3).await;
    // The first relay publishes and dies before it records its progress.
    let events = readable(&setup.store, 3).await;
    setup.relay.publish(&events, 0).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(relay::progress(setup.store.pool()).await.unwrap_or_default(), 0);
    // Its successor starts from the recorded progress: JetStream drops the republished copies.
    appended(&setup.store, 1).await;
    let positions = committed(&setup.store).await;
    let round = setup.drain(positions[3]).await;
    assert_eq!(round, Round { published: 4, duplicates: 3, position: positions[3] });
    assert_eq!(published(&setup).await, chained(&positions));
    setup.finish().await;
}

#[tokio::test]
async fn only_one_relay_is_active_per_database() {
    let setup = setup().await;
    // The test holds the relay lock: a second relay stands by and publishes nothing.
    appended(&setup.store, 2).await;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let standby = tokio::spawn(setup.relay.run(async {
        let _ = stop_rx.await;
    }));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(1500);
    while tokio::time::Instant::now() < deadline {
        assert_eq!(relay::progress(setup.store.pool()).await.unwrap_or_default(), 0, "a standby relay published");
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The active relay's connection goes away: the standby takes over and drains the backlog.
    let Setup { store, js, names, leader, .. } = setup;
    leader.close().await.unwrap_or_else(|e| panic!("{e}"));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let last = *committed(&store).await.last().unwrap_or(&0);
    while relay::progress(store.pool()).await.unwrap_or_default() < last {
        assert!(tokio::time::Instant::now() < deadline, "the standby never took over");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(());
    let _ = standby.await;
    let _ = js.delete_stream(&names.stream).await;
}
