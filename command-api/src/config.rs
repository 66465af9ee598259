//! The command API's configuration, read once at start from flags or environment variables.

use secrecy::SecretString;
use std::net::SocketAddr;

use telemetry::LogFormat;

pub use crate::identity::AuthConfig;
pub use auth_tokens::AuditKeyConfig;

#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "command-api",
    version,
    about = "Ferrule's command API: validates catalog commands and appends their events to the write database.",
    long_about = "Ferrule's command API: validates catalog commands (categories, attributes, brands, families, \
                  products) and appends their events, with audit metadata, to the write database. It applies \
                  the write database's migrations at start. Every option can also be set by the environment \
                  variable shown."
)]
pub struct Config {
    /// PostgreSQL URL of the write database (events are the source of truth).
    #[arg(
        long,
        env = "FERRULE_WRITE_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/ferrule_write"
    )]
    pub database_url: SecretString,

    /// Address to listen on.
    #[arg(long, env = "FERRULE_COMMAND_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Token keys, password hashing and the first admin.
    #[command(flatten)]
    pub auth: AuthConfig,

    /// Largest request body accepted, in bytes (larger gets 413).
    #[arg(long, env = "FERRULE_BODY_LIMIT_BYTES", default_value_t = 256 * 1024)]
    pub body_limit_bytes: usize,

    /// Connections in the write database pool.
    #[arg(long, env = "FERRULE_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,

    /// Product and brand commands arriving together are appended in shared transactions by this
    /// many workers (each holds one connection while it appends); see `event-store/src/group.rs`.
    #[arg(long, env = "FERRULE_APPEND_WORKERS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub append_workers: u16,

    /// Commands in one shared append transaction at most (1 appends each command alone; each is a
    /// subtransaction, and more than 64 would overflow PostgreSQL's subtransaction cache).
    #[arg(long, env = "FERRULE_APPEND_BATCH_MAX", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub append_batch_max: u16,

    /// Seconds a request may take before it is answered 503.
    #[arg(long, env = "FERRULE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// NATS server the relay publishes committed events to (JetStream). Without it no relay runs
    /// here: commands still succeed and another replica, or a later start, publishes the backlog.
    #[arg(long, env = "FERRULE_NATS_URL")]
    pub nats_url: Option<SecretString>,

    /// Redis URL (`redis://host:6379/0`, `rediss://user:password@host:port` for TLS): the shared
    /// state of the rate limits (FERRULE_RATE_LIMIT_REDIS_URL overrides it).
    #[arg(long, env = "FERRULE_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,

    /// Prefix of the revocation entries this API records in FERRULE_REDIS_URL's Redis when a
    /// user is disabled or demoted, or a company disabled (`service_http::revocations`): the query
    /// API and the projector must use the same one.
    #[arg(long, env = "FERRULE_REVOCATION_PREFIX", default_value = service_http::revocations::DEFAULT_PREFIX)]
    pub revocation_prefix: String,

    /// Whether a checkout refused for short stock tells the buyer how many units of each short
    /// line can be ordered now ("not enough stock for lines[1] (3 orderable)"). Off by default:
    /// the refusal names the lines only, so that no buyer reads stock levels off refusals.
    #[arg(long, env = "FERRULE_SHOW_AVAILABILITY")]
    pub show_availability: bool,

    /// Hours an `Idempotency-Key` and its answer are kept: a retry within them answers the first
    /// answer again. At least 24.
    #[arg(long, env = "FERRULE_IDEMPOTENCY_RETENTION_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(24..=24 * 90))]
    pub idempotency_retention_hours: u32,

    /// Import jobs (`POST /v1/imports`) this replica applies at once; 0 runs none here (the jobs
    /// wait for a replica that does).
    #[arg(long, env = "FERRULE_IMPORT_WORKERS", default_value_t = 1)]
    pub import_workers: u16,

    /// Largest catalog file `POST /v1/imports` takes, in bytes (larger gets 413). The file is
    /// streamed to the write database, never held in memory.
    #[arg(long, env = "FERRULE_IMPORT_MAX_BYTES", default_value_t = 2 * 1024 * 1024 * 1024)]
    pub import_max_bytes: usize,

    /// Product media: the bucket, its workers and the orphan GC.
    #[command(flatten)]
    pub media: MediaConfig,

    /// CORS, security headers, trusted proxies and rate limits (`service_http::HttpConfig`).
    #[command(flatten)]
    pub http: service_http::HttpConfig,

    /// The audit signing key (FERRULE_AUDIT_SIGNING_KEY / _FILE): signs export manifests and
    /// chain checkpoints.
    #[command(flatten)]
    pub audit: AuditKeyConfig,

    /// The hash chain over the events (tamper evidence, issue 17).
    #[command(flatten)]
    pub chain: crate::chainer::ChainConfig,

    /// Log format.
    #[arg(long, env = "FERRULE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
}

/// Product media (issue 16, docs/design/media-plan.md): where the bucket is, and what of the
/// media work this replica does.
#[derive(Clone, Debug, clap::Args)]
pub struct MediaConfig {
    #[command(flatten)]
    pub s3: media_store::S3Config,

    /// Create the bucket at start when it is missing (the local stack and tests; production
    /// buckets are made with their lifecycle and CORS rules beforehand).
    #[arg(long, env = "FERRULE_S3_CREATE_BUCKET", default_value_t = false, action = clap::ArgAction::Set)]
    pub create_bucket: bool,

    /// Image variant workers on this replica; 0 runs none here (the jobs wait for one that does).
    #[arg(long, env = "FERRULE_MEDIA_WORKERS", default_value_t = 1)]
    pub workers: u16,

    /// Hours an object nothing references stays in the bucket before the orphan GC deletes it
    /// (counted both from when the GC first saw it unreferenced and from its last write).
    #[arg(long, env = "FERRULE_MEDIA_GC_GRACE_HOURS", default_value_t = 24)]
    pub gc_grace_hours: u32,

    /// Minutes between two passes of the orphan GC; 0 runs none on this replica.
    #[arg(long, env = "FERRULE_MEDIA_GC_INTERVAL_MINUTES", default_value_t = 60)]
    pub gc_interval_minutes: u32,

    /// Minutes a presigned upload URL stays valid (at most 15).
    #[arg(long, env = "FERRULE_MEDIA_UPLOAD_EXPIRY_MINUTES", default_value_t = 15,
          value_parser = clap::value_parser!(u32).range(1..=15))]
    pub upload_expiry_minutes: u32,
}

impl MediaConfig {
    /// The local s3s-fs (`deploy/local`), bucket created if missing, one worker: what in-process
    /// services (tests, benchmarks, `ferrule seed`) start with.
    pub fn local(s3: media_store::S3Config) -> MediaConfig {
        MediaConfig {
            s3,
            create_bucket: true,
            workers: 1,
            gc_grace_hours: 24,
            gc_interval_minutes: 0,
            upload_expiry_minutes: 15,
        }
    }
}
