//! The whole pipeline in one test: the command API over its own write database, the relay on a
//! JetStream stream of the test's own, the projector into the test's own read database, with the
//! query cache under a Redis key prefix of the test's own when asked for, and, for fault tests, a
//! nats-server or a redis-server of the test's own.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use projector::{Invalidator, Projector, Stats};
use relay::{Names, Relay, RelayConfig};
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::{admin_url, TestApp};

pub fn nats_url() -> String {
    std::env::var("FERRULE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

pub fn redis_url() -> String {
    std::env::var("FERRULE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The query cache of a pipeline: which Redis, and the test's own key prefix.
#[derive(Clone, Debug)]
pub struct TestCache {
    pub redis_url: String,
    pub prefix: String,
}

impl TestCache {
    /// On `redis_url`, under a prefix no other test uses.
    pub fn on(redis_url: &str) -> TestCache {
        let suffix = Uuid::new_v4().simple().to_string();
        TestCache { redis_url: redis_url.to_owned(), prefix: format!("ft{}", &suffix[..12]) }
    }

    /// The prefix of the test's revocation entries (in the same Redis).
    pub fn revocation_prefix(&self) -> String {
        format!("{}:revoked", self.prefix)
    }

    pub fn keys(&self) -> read_store::cache_keys::CacheKeys {
        read_store::cache_keys::CacheKeys::new(&self.prefix)
    }

    /// A connection to its Redis, for looking behind the cache.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.redis_url.as_str())
            .unwrap_or_else(|e| panic!("{e}"))
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("cannot reach Redis at {} (is it running?): {e}", self.redis_url))
    }

    /// Deletes every key under the prefix (the markers never expire by themselves).
    pub async fn clear(&self) {
        let Ok(client) = redis::Client::open(self.redis_url.as_str()) else { return };
        let Ok(mut connection) = client.get_multiplexed_async_connection().await else { return };
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", self.prefix)).query_async(&mut connection).await.unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query_async(&mut connection).await;
        }
    }
}

/// How long a test waits for the pipeline to converge before it fails.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// The access token lifetime of the test command APIs (`AuthConfig::defaults`).
pub const ACCESS_TTL_SECS: u32 = 15 * 60;

pub struct Pipeline {
    pub app: TestApp,
    pub read: PgPool,
    pub read_options: PgConnectOptions,
    pub names: Names,
    pub nats_url: String,
    /// The query cache the projector invalidates and `query_api()` uses; none: no cache.
    pub cache: Option<TestCache>,
    /// The media bucket `query_api()` signs URLs for: the test S3 server under a key prefix of
    /// the test's own (put objects with `MediaStore::new(&pipeline.media)`).
    pub media: media_store::S3Config,
    relay: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    projector: Option<(Projector, JoinHandle<()>)>,
}

impl Pipeline {
    /// A pipeline on the shared NATS server, with a stream named after `tag`.
    pub async fn start(tag: &str) -> Pipeline {
        Self::start_on(&nats_url(), unique_names(tag)).await
    }

    /// As `start`, with the query cache on the shared Redis under a prefix of the test's own.
    pub async fn start_with_cache(tag: &str) -> Pipeline {
        Self::start_with(&nats_url(), unique_names(tag), Some(TestCache::on(&redis_url()))).await
    }

    pub async fn start_on(nats_url: &str, names: Names) -> Pipeline {
        Self::start_with(nats_url, names, None).await
    }

    pub async fn start_with(nats_url: &str, names: Names, cache: Option<TestCache>) -> Pipeline {
        let app = TestApp::spawn().await;
        let read_options =
            event_store::scratch::fresh_database_from(&admin_url(), "ft_read", &read_store::READ_MIGRATOR, "read")
                .await
                .unwrap_or_else(|e| panic!("cannot create a read database: {e}"));
        let read = sqlx::postgres::PgPoolOptions::new()
            .max_connections(6)
            .connect_with(read_options.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut pipeline = Pipeline {
            app,
            read,
            read_options,
            names,
            nats_url: nats_url.to_owned(),
            cache,
            media: media_store::testing::test_config(),
            relay: None,
            projector: None,
        };
        pipeline.start_relay().await;
        pipeline.start_projector().await;
        pipeline
    }

    pub async fn jetstream(&self) -> jetstream::Context {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(&self.nats_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach NATS at {}: {e}", self.nats_url));
        jetstream::new(client)
    }

    pub async fn start_relay(&mut self) {
        let config = RelayConfig { names: self.names.clone(), ..RelayConfig::default() };
        let options = self.app.store.pool().connect_options().as_ref().clone();
        let relay = Relay::new(options, self.jetstream().await, config);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(relay.run(async {
            let _ = stopped.await;
        }));
        self.relay = Some((stop, task));
    }

    pub async fn stop_relay(&mut self) {
        if let Some((stop, task)) = self.relay.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    pub async fn start_projector(&mut self) {
        let consumer = relay::jetstream::ensure_consumer(&self.jetstream().await, &self.names)
            .await
            .unwrap_or_else(|e| panic!("cannot set up the projector's consumer: {e:#}"));
        let projector = Projector::new(self.read.clone(), self.app.db.clone(), consumer, 500)
            .with_invalidator(self.invalidator())
            .with_revocations(self.revocations(), std::time::Duration::from_secs(ACCESS_TTL_SECS.into()));
        let task = tokio::spawn(projector.clone().run(std::future::pending()));
        self.projector = Some((projector, task));
    }

    /// Stops the projector where it is, as a crash would: a batch in flight is neither committed
    /// nor acked.
    pub async fn kill_projector(&mut self) -> Stats {
        let (projector, task) = self.projector.take().unwrap_or_else(|| panic!("no projector is running"));
        task.abort();
        let _ = task.await;
        projector.stats()
    }

    /// The revocation entries in the pipeline's cache's Redis (none without a cache).
    pub fn revocations(&self) -> service_http::revocations::Revocations {
        match &self.cache {
            Some(cache) => {
                service_http::revocations::Revocations::connect(&cache.redis_url, &cache.revocation_prefix())
                    .unwrap_or_else(|e| panic!("{e:#}"))
            }
            None => service_http::revocations::Revocations::off(),
        }
    }

    /// The invalidation of the pipeline's cache (none without one).
    pub fn invalidator(&self) -> Invalidator {
        match &self.cache {
            Some(cache) => Invalidator::connect(&cache.redis_url, &cache.prefix).unwrap_or_else(|e| panic!("{e:#}")),
            None => Invalidator::off(),
        }
    }

    pub fn projector_stats(&self) -> Stats {
        self.projector.as_ref().map(|(p, _)| p.stats()).unwrap_or_default()
    }

    pub async fn checkpoint(&self) -> i64 {
        read_store::checkpoint(&self.read).await.map(|c| c.position).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits until the read model has applied everything the write database holds.
    pub async fn converged(&self) -> i64 {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let head = event_store::EventStore::head_position(&self.app.db).await.unwrap_or_else(|e| panic!("{e}"));
            let at = self.checkpoint().await;
            if at == head {
                return at;
            }
            assert!(Instant::now() < deadline, "the read model stayed at {at}; the write database is at {head}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every row of the live read model, as JSON, in a stable order.
    pub async fn read_model(&self) -> Value {
        read_model(&self.read).await
    }

    /// Rebuilds the read model from the write database (and swaps it in), invalidating the
    /// pipeline's cache.
    pub async fn rebuild(&self) -> projector::Rebuilt {
        let invalidator = self.invalidator();
        let options = projector::RebuildOptions::default();
        projector::rebuild_and_invalidate(&self.read, &self.app.db, options, &(), &invalidator)
            .await
            .unwrap_or_else(|e| panic!("rebuild failed: {e}"))
    }

    /// A query API over the read database (and the write one, for its health lag), with the
    /// pipeline's cache if it has one; its base URL.
    pub async fn query_api(&self) -> String {
        self.query_api_on(self.cache.as_ref().map(|c| c.redis_url.as_str())).await
    }

    /// As `query_api`, with the cache (under the pipeline's prefix) on the Redis at `redis_url`.
    pub async fn query_api_on(&self, redis_url: Option<&str>) -> String {
        self.query_api_with(redis_url, service_http::HttpConfig::unlimited(), 30).await
    }

    /// As `query_api_on`, with the outer layers' settings `http` and a request timeout.
    pub async fn query_api_with(
        &self,
        redis_url: Option<&str>,
        http: service_http::HttpConfig,
        request_timeout_secs: u64,
    ) -> String {
        let prefix = self.cache.as_ref().map_or_else(|| "ferrule".to_owned(), |c| c.prefix.clone());
        let config = query_api::config::Config {
            read_database_url: String::new().into(),
            write_database_url: None,
            addr: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
            read_pool_size: 4,
            min_position_wait_ms: 10_000,
            request_timeout_secs,
            redis_url: redis_url.map(Into::into),
            cache_prefix: prefix,
            revocation_prefix: self
                .cache
                .as_ref()
                .map_or_else(|| service_http::revocations::DEFAULT_PREFIX.to_owned(), TestCache::revocation_prefix),
            body_limit_bytes: 16 * 1024,
            http,
            log_format: Default::default(),
            auth: auth_tokens::KeyConfig::defaults(),
            s3: self.media.clone(),
        };
        // Tokens the test's command API issued verify (its keyring, without the private keys).
        let keyring = self.app.keyring.clone();
        let app = query_api::Application::with_keyring(&config, self.read.clone(), Some(self.app.db.clone()), keyring)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = app.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(app.run_until(std::future::pending()));
        let base = format!("http://{addr}");
        crate::contract::serves(&base, crate::contract::Service::Query);
        base
    }

    /// Stops the relay and the projector and deletes the test's stream (and cache keys).
    pub async fn finish(mut self) {
        self.stop_relay().await;
        if let Some((_, task)) = self.projector.take() {
            task.abort();
        }
        let _ = self.jetstream().await.delete_stream(&self.names.stream).await;
        if let Some(cache) = &self.cache {
            cache.clear().await;
        }
    }
}

/// Names of a stream for this test alone.
pub fn unique_names(tag: &str) -> Names {
    let suffix = Uuid::new_v4().simple().to_string();
    Names { ack_wait: Some(Duration::from_secs(2)), ..Names::isolated(&format!("{tag}{}", &suffix[..10])) }
}

/// Every row of the read model, in a stable order (the checkpoint without its wall-clock time).
pub async fn read_model(pool: &PgPool) -> Value {
    let tables = [
        ("categories", "id"),
        ("brands", "id"),
        ("families", "id"),
        ("products", "id"),
        ("product_numbers", "product_id, key"),
        ("product_terms", "id"),
        ("price_lists", "id"),
        ("price_list_entries", "price_list_id, product_id"),
        ("price_list_companies", "price_list_id, company_id"),
        ("stock", "id"),
        ("carts", "id"),
        ("orders", "id"),
        ("order_history", "order_id, version"),
        ("media_lists", "id"),
        ("media", "id"),
    ];
    let mut model = serde_json::Map::new();
    for (table, order) in tables {
        let rows: Option<Value> =
            // `changed_at` marks when a product row was last written (for the query API's search
            // index): a rebuild writes every row again, so it is left out of the comparison.
            sqlx::query_scalar(&format!(
                "SELECT jsonb_agg(to_jsonb(t) - 'changed_at' ORDER BY {order}) FROM catalog.{table} t"
            ))
                .fetch_one(pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        model.insert(table.to_owned(), rows.unwrap_or(Value::Null));
    }
    let checkpoint: i64 =
        sqlx::query_scalar("SELECT position FROM catalog.checkpoint").fetch_one(pool).await.unwrap_or_default();
    model.insert("checkpoint".into(), checkpoint.into());
    Value::Object(model)
}

/// A nats-server with JetStream of the test's own, on a spare port, that the test may stop and
/// start again (its store survives).
pub struct OwnNats {
    pub port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl OwnNats {
    pub async fn start() -> OwnNats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no spare port: {e}"));
        let dir = std::env::temp_dir().join(format!("ferrule-nats-{}", Uuid::new_v4().simple()));
        let mut nats = OwnNats { port, dir, child: None };
        nats.resume().await;
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub async fn resume(&mut self) {
        let binary = std::env::var("FERRULE_NATS_SERVER").unwrap_or_else(|_| "nats-server".into());
        let child = Command::new(&binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .or_else(|_| {
                Command::new("/usr/sbin/nats-server")
                    .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
                    .arg(&self.dir)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
            })
            .unwrap_or_else(|e| panic!("cannot start nats-server (set FERRULE_NATS_SERVER): {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + DEADLINE;
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start on port {}", self.port);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the server.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A redis-server of the test's own, on a spare port, that the test may stop and start again:
/// what it holds survives (every write is on disk before it answers).
pub struct OwnRedis {
    pub port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl OwnRedis {
    pub async fn start() -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no spare port: {e}"));
        let dir = std::env::temp_dir().join(format!("ferrule-redis-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let mut redis = OwnRedis { port, dir, child: None };
        redis.resume().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) and waits until it answers.
    pub async fn resume(&mut self) {
        let binary = std::env::var("FERRULE_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let args = |command: &mut Command| {
            command
                .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", ""])
                .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
                .arg(&self.dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
        };
        let mut command = Command::new(&binary);
        args(&mut command);
        let child = command
            .spawn()
            .or_else(|_| {
                let mut command = Command::new("/usr/bin/redis-server");
                args(&mut command);
                command.spawn()
            })
            .unwrap_or_else(|e| panic!("cannot start redis-server (set FERRULE_REDIS_SERVER): {e}"));
        self.child = Some(child);
        let client = redis::Client::open(self.url()).unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Ok(mut connection) = client.get_multiplexed_async_connection().await {
                if redis::cmd("PING").query_async::<String>(&mut connection).await.is_ok() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "redis-server did not start on port {}", self.port);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the server.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A query API over `read` (a read database of the test's own, e.g. one `ferrule audit replay`
/// built), verifying the tokens `app` issues, without cache or limits; its base URL.
pub async fn query_api_over(app: &TestApp, read: PgPool) -> String {
    let config = query_api::config::Config {
        read_database_url: String::new().into(),
        write_database_url: None,
        addr: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        read_pool_size: 4,
        min_position_wait_ms: 10_000,
        request_timeout_secs: 30,
        redis_url: None,
        cache_prefix: "ferrule".into(),
        revocation_prefix: service_http::revocations::DEFAULT_PREFIX.to_owned(),
        body_limit_bytes: 16 * 1024,
        http: service_http::HttpConfig::unlimited(),
        log_format: Default::default(),
        auth: auth_tokens::KeyConfig::defaults(),
        s3: media_store::testing::test_config(),
    };
    let app = query_api::Application::with_keyring(&config, read, None, app.keyring.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = app.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(app.run_until(std::future::pending()));
    format!("http://{addr}")
}
