//! The event store on its own: atomic appends, optimistic versions, the schema guard, claims, and
//! the gap-safe global reader with transactions that commit out of order.

use event_store::{
    Append, AppendError, EventFilter, EventStore, EventToAppend, GroupAppender, GroupOptions, Metadata, StreamWrite,
};
use integration_tests::admin_url;
use serde_json::json;
use sqlx::Connection;
use uuid::Uuid;

async fn store() -> EventStore {
    let options =
        event_store::scratch::fresh_database(&admin_url(), "ft_store").await.unwrap_or_else(|e| panic!("{e}"));
    EventStore::connect(options, 8).await.unwrap_or_else(|e| panic!("{e}"))
}

fn metadata() -> Metadata {
    Metadata {
        actor_id: "tester".into(),
        actor_role: "admin".into(),
        request_id: "req".into(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    }
}

/// One event on `stream`, moving it from `version - 1` to `version`.
fn one(stream: Uuid, version: i64, claims: &[&str]) -> Append {
    Append {
        events: vec![EventToAppend {
            event_id: Uuid::new_v4(),
            stream_id: stream,
            stream_type: "brand",
            version,
            event_type: "Probe",
            schema_version: 1,
            payload: json!({ "n": version }),
        }],
        streams: vec![StreamWrite {
            stream_id: stream,
            stream_type: "brand",
            expected_version: version - 1,
            version,
            parent_id: None,
            snapshot: json!({ "n": version }),
        }],
        claims: claims.iter().map(|c| ((*c).to_owned(), stream)).collect(),
        ..Append::default()
    }
}

async fn append(store: &EventStore, batch: &Append) -> Result<i64, AppendError> {
    EventStore::append(store.pool(), batch, &metadata(), chrono::Utc::now()).await
}

async fn positions_read(store: &EventStore, after: i64) -> Vec<i64> {
    EventStore::read_all(store.pool(), after, 1000)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|e| e.position)
        .collect()
}

#[tokio::test]
async fn the_reader_never_passes_a_transaction_that_commits_late() {
    let store = store().await;
    let first = append(&store, &one(Uuid::new_v4(), 1, &[])).await.unwrap_or_else(|e| panic!("{e}"));

    // A writer appends and holds its transaction open...
    let mut slow = store.pool().begin().await.unwrap_or_else(|e| panic!("{e}"));
    let held = EventStore::append(&mut *slow, &one(Uuid::new_v4(), 1, &[]), &metadata(), chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // ...while later writers commit above it.
    let mut later = Vec::new();
    for _ in 0..3 {
        later.push(append(&store, &one(Uuid::new_v4(), 1, &[])).await.unwrap_or_else(|e| panic!("{e}")));
    }
    assert!(later.iter().all(|p| *p > held));

    // The reader stops before the open transaction's position: nothing is skipped. (Transaction
    // ids are server-wide, so another test's open transaction may hold it back further still.)
    let mut all = vec![first, held];
    all.extend(&later);
    let read = positions_read(&store, 0).await;
    assert!([first].starts_with(&read), "read {read:?} past the open transaction at {held}");
    slow.commit().await.unwrap_or_else(|e| panic!("{e}"));

    // Once it commits, everything becomes readable, in order, and every read on the way is a
    // prefix of the final order.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let read = positions_read(&store, 0).await;
        assert!(all.starts_with(&read), "{read:?} is not a prefix of {all:?}");
        if read == all {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the reader never caught up: {read:?}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Reading on from the held position gives the later ones (once no other test's open
    // transaction holds the server-wide horizon back).
    loop {
        let after_held = positions_read(&store, held).await;
        assert!(later.starts_with(&after_held), "{after_held:?} is not a prefix of {later:?}");
        if after_held == later {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "reading after {held} never caught up: {after_held:?}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_transaction_that_dies_mid_command_leaves_nothing() {
    let store = store().await;
    let stream = Uuid::new_v4();
    let mut conn = store.pool().acquire().await.unwrap_or_else(|e| panic!("{e}")).detach();
    let mut tx = conn.begin().await.unwrap_or_else(|e| panic!("{e}"));
    EventStore::append(&mut *tx, &one(stream, 1, &["brand:ghost"]), &metadata(), chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The process dies: the connection goes away without a commit.
    drop(tx);
    drop(conn);
    let events = EventStore::count_events(store.pool(), &EventFilter::all()).await.unwrap_or_default();
    let heads = EventStore::count_heads(store.pool(), None, None).await.unwrap_or_default();
    let claims = EventStore::count_claims(store.pool(), "").await.unwrap_or_default();
    assert_eq!((events, heads, claims), (0, 0, 0));
    // And the position lock was not left behind: the next append goes through.
    append(&store, &one(stream, 1, &["brand:ghost"])).await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_refused_append_writes_nothing_at_all() {
    let store = store().await;
    let a = Uuid::new_v4();
    append(&store, &one(a, 1, &["sku:X1"])).await.unwrap_or_else(|e| panic!("{e}"));

    // A claim another stream holds: the events before it in the same call are not kept.
    let b = Uuid::new_v4();
    let taken = append(&store, &one(b, 1, &["sku:X1"])).await;
    assert!(matches!(taken, Err(AppendError::ClaimTaken(ref c)) if c == "sku:X1"), "{taken:?}");

    // A stale version.
    let stale = append(&store, &one(a, 1, &[])).await;
    assert!(matches!(stale, Err(AppendError::StaleVersion(_))), "{stale:?}");

    let events = EventStore::stream_ids(store.pool(), &EventFilter::all()).await.unwrap_or_default();
    assert_eq!(events, [a]);
    let head = EventStore::stream_head(store.pool(), a).await.unwrap_or_default();
    let version = head.map_or(0, |head| head.version);
    assert_eq!(version, 1);
}

#[tokio::test]
async fn an_append_validated_against_an_old_schema_version_is_refused() {
    let store = store().await;
    let schema = Uuid::new_v4();
    append(&store, &one(schema, 1, &[])).await.unwrap_or_else(|e| panic!("{e}"));
    append(&store, &one(schema, 2, &[])).await.unwrap_or_else(|e| panic!("{e}"));
    let mut product = one(Uuid::new_v4(), 1, &[]);
    product.guards = vec![(schema, 1)];
    assert!(matches!(append(&store, &product).await, Err(AppendError::SchemaChanged)));
    product.guards = vec![(schema, 2)];
    append(&store, &product).await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn positions_follow_versions_within_a_command() {
    let store = store().await;
    let stream = Uuid::new_v4();
    let mut batch = one(stream, 1, &[]);
    let mut second = one(stream, 2, &[]).events;
    batch.events.append(&mut second);
    batch.streams[0].version = 2;
    let last = append(&store, &batch).await.unwrap_or_else(|e| panic!("{e}"));
    let events = EventStore::events(store.pool(), &EventFilter::all()).await.unwrap_or_default();
    let rows: Vec<(i64, i64)> = events.iter().map(|e| (e.position, e.version)).collect();
    assert_eq!(rows, [(last - 1, 1), (last, 2)]);
}

/// Commands appended together share a transaction, yet each is kept or refused on its own: the
/// refused ones leave nothing, the others are all there, once.
#[tokio::test]
async fn a_group_append_keeps_or_refuses_each_command_alone() {
    let store = store().await;
    let held = Uuid::new_v4();
    append(&store, &one(held, 1, &["sku:HELD"])).await.unwrap_or_else(|e| panic!("{e}"));
    let schema = Uuid::new_v4();
    append(&store, &one(schema, 1, &[])).await.unwrap_or_else(|e| panic!("{e}"));
    append(&store, &one(schema, 2, &[])).await.unwrap_or_else(|e| panic!("{e}"));

    let mut commands: Vec<(&str, Append)> = Vec::new();
    for n in 0..20 {
        commands.push(("kept", one(Uuid::new_v4(), 1, &[&format!("sku:OWN-{n}")])));
    }
    for _ in 0..5 {
        commands.push(("claim", one(Uuid::new_v4(), 1, &["sku:HELD"])));
        commands.push(("stale", one(held, 1, &[])));
        let mut old_schema = one(Uuid::new_v4(), 1, &[]);
        old_schema.guards = vec![(schema, 1)];
        commands.push(("schema", old_schema));
    }
    // Ten commands race for one new SKU, within the same batches: exactly one gets it.
    for _ in 0..10 {
        commands.push(("race", one(Uuid::new_v4(), 1, &["sku:RACE"])));
    }

    // One worker: while it appends the first command, the others wait and go in one batch.
    let appender = GroupAppender::start(store.clone(), GroupOptions { workers: 1, max_commands: 64 });
    let outcomes = futures::future::join_all(commands.iter().map(|(_, command)| {
        let appender = appender.clone();
        async move { appender.append(command, &metadata(), chrono::Utc::now()).await }
    }))
    .await;

    let mut kept = vec![held, schema];
    let mut race_winners = 0;
    for ((kind, command), outcome) in commands.iter().zip(&outcomes) {
        let stream = command.events[0].stream_id;
        match (*kind, outcome) {
            ("kept", Ok(_)) => kept.push(stream),
            ("claim", Err(AppendError::ClaimTaken(claim))) => assert_eq!(claim, "sku:HELD"),
            ("stale", Err(AppendError::StaleVersion(_))) | ("schema", Err(AppendError::SchemaChanged)) => {}
            ("race", Ok(_)) => {
                race_winners += 1;
                kept.push(stream);
            }
            ("race", Err(AppendError::ClaimTaken(claim))) => assert_eq!(claim, "sku:RACE"),
            (kind, outcome) => panic!("a {kind} command answered {outcome:?}"),
        }
    }
    assert_eq!(race_winners, 1);

    // A position is its transaction's id × 65536 + the event's ordinal (migrations/write/0001).
    let events = EventStore::events(store.pool(), &EventFilter::all()).await.unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<(Uuid, i64, i64)> = events.iter().map(|e| (e.stream_id, e.position, e.position >> 16)).collect();
    // Every kept command's event, once; the schema stream has two.
    let mut stored: Vec<Uuid> = rows.iter().map(|(stream, _, _)| *stream).collect();
    stored.sort();
    kept.push(schema);
    kept.sort();
    assert_eq!(stored, kept);
    // Each kept command answered the position of its own event.
    for ((_, command), outcome) in commands.iter().zip(&outcomes) {
        if let Ok(position) = outcome {
            let (_, stored_at, _) = rows
                .iter()
                .find(|(stream, _, _)| *stream == command.events[0].stream_id)
                .unwrap_or_else(|| panic!("kept command missing"));
            assert_eq!(stored_at, position);
        }
    }
    let transactions: std::collections::HashSet<&i64> =
        rows.iter().skip(3).map(|(_, _, transaction)| transaction).collect();
    assert!(transactions.len() < 21, "21 commands kept in {} transactions: none was grouped", transactions.len());
}

/// Transactions in other databases of the server cannot write these events: an open one there
/// does not hold the reader back, while one in this database does.
#[tokio::test]
async fn the_reader_is_held_back_only_by_transactions_of_its_own_database() {
    let other = store().await;
    let store = store().await;
    let mut elsewhere = other.pool().begin().await.unwrap_or_else(|e| panic!("{e}"));
    append_in(&mut elsewhere, Uuid::new_v4()).await;
    let mine = append(&store, &one(Uuid::new_v4(), 1, &[])).await.unwrap_or_else(|e| panic!("{e}"));
    // Other tests' transactions on this database server may come and go: wait with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !positions_read(&store, 0).await.contains(&mine) {
        assert!(std::time::Instant::now() < deadline, "a transaction in another database held the reader back");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mut here = store.pool().begin().await.unwrap_or_else(|e| panic!("{e}"));
    append_in(&mut here, Uuid::new_v4()).await;
    let after = append(&store, &one(Uuid::new_v4(), 1, &[])).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!positions_read(&store, 0).await.contains(&after), "read past a transaction of its own database");
    here.rollback().await.unwrap_or_else(|e| panic!("{e}"));
    elsewhere.rollback().await.unwrap_or_else(|e| panic!("{e}"));
}

async fn append_in(tx: &mut sqlx::PgConnection, stream: Uuid) {
    EventStore::append(&mut *tx, &one(stream, 1, &[]), &metadata(), chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}
