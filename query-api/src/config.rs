//! The query API's configuration, read once at start from flags or environment variables.

use secrecy::SecretString;
use std::net::SocketAddr;

use telemetry::LogFormat;

#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "query-api",
    version,
    about = "Ferrule's query API: browse and search from the read database.",
    long_about = "Ferrule's query API: serves the catalog (category tree, categories, products) from the read \
                  database the projector keeps, and carts, orders, stock and price lists to those whose access token \
                  allows it. A request may send `X-Min-Position: N` to be answered only once \
                  the read model has reached position N. Browse, product and search answers are cached in \
                  Redis when FERRULE_REDIS_URL is set. It applies the read database's migrations at start. \
                  Every option can also be set by the environment variable shown."
)]
pub struct Config {
    /// PostgreSQL URL of the read database (the projector's read model).
    #[arg(
        long,
        env = "FERRULE_READ_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/ferrule_read"
    )]
    pub read_database_url: SecretString,

    /// PostgreSQL URL of the write database. Optional: only `/v1/health` uses it, to report how
    /// far the read model lags behind the event store (a pool of 2 connections).
    #[arg(long, env = "FERRULE_WRITE_DATABASE_URL", hide_env_values = true)]
    pub write_database_url: Option<SecretString>,

    /// Address to listen on.
    #[arg(long, env = "FERRULE_QUERY_ADDR", default_value = "127.0.0.1:8081")]
    pub addr: SocketAddr,

    /// Connections in the read database pool.
    #[arg(long, env = "FERRULE_READ_POOL_SIZE", default_value_t = 16)]
    pub read_pool_size: u32,

    /// Milliseconds a request with `X-Min-Position` waits for the read model to reach that
    /// position before it is answered 504.
    #[arg(long, env = "FERRULE_MIN_POSITION_WAIT_MS", default_value_t = 5000)]
    pub min_position_wait_ms: u64,

    /// Seconds a request may take before it is answered 503 (keep it above the min-position wait).
    #[arg(long, env = "FERRULE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Redis URL of the response cache (`redis://host:6379/0`, `rediss://user:password@host:port`
    /// for TLS). Unset: no cache, every answer comes from the read database. When Redis is down
    /// the API answers from the read database, with `X-Cache: off`.
    #[arg(long, env = "FERRULE_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,

    /// Prefix of every Redis key of the response cache; the projector must use the same one.
    #[arg(long, env = "FERRULE_CACHE_PREFIX", default_value = read_store::cache_keys::DEFAULT_PREFIX)]
    pub cache_prefix: String,

    /// Prefix of the revocation entries in Redis (`service_http::revocations`): the command API
    /// and the projector must use the same one.
    #[arg(long, env = "FERRULE_REVOCATION_PREFIX", default_value = service_http::revocations::DEFAULT_PREFIX)]
    pub revocation_prefix: String,

    /// Largest request body accepted, in bytes (larger gets 413). The query API reads no bodies.
    #[arg(long, env = "FERRULE_BODY_LIMIT_BYTES", default_value_t = 16 * 1024)]
    pub body_limit_bytes: usize,

    /// The keys, issuer and audience access tokens are verified with: the command API's
    /// (`FERRULE_JWT_KEYS_DIR` or `FERRULE_JWT_SIGNING_KEY`). Without keys every token is refused
    /// (401) and only the public endpoints answer.
    #[command(flatten)]
    pub auth: auth_tokens::KeyConfig,

    /// The media bucket (`media_store::S3Config`): media URLs are built from it at response
    /// time (FERRULE_MEDIA_PUBLIC_BASE_URL, else presigned GETs) and buyers' downloads are
    /// presigned with its keys.
    #[command(flatten)]
    pub s3: media_store::S3Config,

    /// CORS, security headers, trusted proxies and rate limits (`service_http::HttpConfig`).
    #[command(flatten)]
    pub http: service_http::HttpConfig,

    /// Log format.
    #[arg(long, env = "FERRULE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
}
