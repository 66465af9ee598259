//! The command line: every subcommand, option and environment variable, with its help text.

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ferrule",
    version,
    about = "Ferrule's command-line tool: demo data and benchmarks.",
    long_about = "Ferrule's command-line tool.\n\n\
                  `ferrule demo-data` loads a small industrial catalog through a running command API;\n\
                  `ferrule bench write` measures the write path against raw PostgreSQL in the same run.\n\
                  Every option can also be set by the environment variable shown in its help."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Load a small industrial demo catalog (fasteners, bearings, motors, power transmission)
    /// through the command API.
    #[command(
        long_about = "Load a small industrial demo catalog through the command API, as an admin would build it:\n\
        clusters, nodes and leaf categories with attribute definitions inherited down the tree (real spec \
        names and units), brands, product families (two with family-level overrides) and about fifty \
        products, a few of them with specs given in other units (inches, hp, W).\n\n\
        It is idempotent: when the catalog already holds the demo's first brand, it says so and exits 0. \
        It expects a catalog without the demo's names; load it into an empty write database."
    )]
    DemoData(DemoArgs),

    /// Benchmarks, each printed as a ratio to a baseline measured in the same run.
    #[command(
        subcommand,
        long_about = "Benchmarks. Each one measures Ferrule next to a baseline measured in the same run, on the \
                      same machine and database server, and reports the ratio of the two. Absolute rates on a \
                      shared or small machine swing with whatever else runs there; that noise slows both \
                      measurements alike, so the ratio stays comparable between runs and machines."
    )]
    Bench(BenchCommand),
}

#[derive(Args)]
pub struct DemoArgs {
    /// Base URL of the command API.
    #[arg(long, env = "FERRULE_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,

    /// Admin bearer token (deploy/local/up keeps it in .local/admin-token).
    #[arg(long, env = "FERRULE_ADMIN_TOKEN", hide_env_values = true)]
    pub token: String,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Product creates/s over HTTP at N clients against raw INSERTs of equivalent event rows.
    #[command(long_about = "Product creates per second through the command API over HTTP, at N concurrent clients, \
        next to the raw PostgreSQL INSERT rate of equivalent event rows at the same N, measured in the same \
        run; the result is their ratio (target ≥ 0.50).\n\n\
        What is measured:\n\
        • HTTP: the command API runs in this process on 127.0.0.1 over a fresh scratch database holding a \
        small category tree (cluster > node > leaf) with inherited attributes and one family. N clients POST \
        /v1/products in a loop, each product a new variant with four specs, one of them given in inches. \
        Each create validates the specs against the resolved schema, then appends the event and takes \
        the SKU and variant claims in one transaction. Only 201s count; anything else is an error, \
        reported with its body.\n\
        • raw: N connections each INSERT one event row per autocommit transaction, with a ProductCreated \
        payload captured from the HTTP database, into another fresh scratch database, over a pool with the \
        event store's settings. This is the cost of \
        writing the event alone, with nothing decided or checked.\n\n\
        Why a ratio: the machine's speed, other load on it and the server's configuration move both rates \
        together. The raw phase runs before and after the HTTP phase and its mean is the baseline, so a \
        drift during the run cancels out too.\n\n\
        The scratch databases are cloned from a migrated template and dropped at the end.")]
    Write(WriteArgs),

    /// Projection lag at a steady command rate; rebuild events/s against raw batched INSERTs.
    #[command(long_about = "The event pipeline, measured in this process against the real PostgreSQL and NATS.\n\n\
        • Lag: the command API, the relay and the projector run here over fresh scratch databases and a \
        JetStream stream of the run's own. Product creates are sent at a fixed rate (open loop: a slow answer \
        does not slow the sender). For each, the lag is the time from its answer (its events are committed) \
        until the projector's checkpoint notification says the read model has reached its position. \
        Printed as p50/p95/p99 (target p99 ≤ 100 ms at 500 commands/s).\n\
        • Rebuild: the write database is topped up to N events (copies of a real ProductCreated), then \
        `projector rebuild` replays them all into a fresh copy of the read model, indexes it and swaps it in. \
        Its events/s are printed next to the rate at which PostgreSQL takes the same event rows as raw \
        batched INSERTs (same batch size, into a fresh table shaped like `events`), measured before and after \
        the rebuild in the same run; targets ≥ 20,000 events/s and ≥ 0.75 of raw.\n\n\
        Scratch databases and the stream are dropped at the end.")]
    Pipeline(PipelineArgs),
}

#[derive(Args)]
pub struct PipelineArgs {
    /// Product creates per second in the lag phase.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub rate: u32,

    /// Seconds the lag phase is measured.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration_secs: u64,

    /// Seconds of load before the lag is measured.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub warmup_secs: u64,

    /// Events in the write database for the rebuild phase (topped up with copies of a real event).
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=50_000_000))]
    pub rebuild_events: u64,

    /// Events per transaction, in the rebuild and in the raw INSERT baseline alike.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub page: i64,

    /// NATS server with JetStream; the run creates and deletes a stream of its own.
    #[arg(long, env = "FERRULE_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,

    #[command(flatten)]
    pub server: BenchServer,
}

#[derive(Args)]
pub struct WriteArgs {
    /// Concurrent clients: HTTP clients in the HTTP phase, INSERTing connections in the raw phases.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub clients: u32,

    /// Seconds each phase is measured.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration_secs: u64,

    /// Seconds each phase runs before measuring starts (connections open, caches warm).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub warmup_secs: u64,

    /// Connections in the in-process command API's write database pool.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub api_pool_size: u32,

    /// The command API's group-append workers (FERRULE_APPEND_WORKERS).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub append_workers: u16,

    /// Commands in one group-append transaction at most (FERRULE_APPEND_BATCH_MAX; 1 = each alone).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub append_batch_max: u16,

    #[command(flatten)]
    pub server: BenchServer,
}

/// The PostgreSQL server a benchmark runs on.
#[derive(Args, Clone)]
pub struct BenchServer {
    /// PostgreSQL URL of any database on the server to benchmark, as a role that may create
    /// databases: the scratch databases are created beside it and dropped at the end.
    #[arg(
        long,
        env = "FERRULE_TEST_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
}
