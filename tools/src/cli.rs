//! The command line: every subcommand, option and environment variable, with its help text.

use clap::{Args, Parser, Subcommand};
use projector::RebuildOptions;

#[derive(Parser)]
#[command(
    name = "ferrule",
    version,
    about = "Ferrule's command-line tool: demo data, generated catalogs and benchmarks.",
    long_about = "Ferrule's command-line tool.\n\n\
                  `ferrule demo-data` loads a small industrial catalog through a running command API;\n\
                  `ferrule seed` generates a realistic catalog of up to a million products from a seed number;\n\
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

    /// Generate a realistic industrial catalog (up to 1,000,000 products) from a seed number,
    /// through the command path.
    #[command(long_about = SEED_ABOUT)]
    Seed(SeedArgs),

    /// Benchmarks, each printed as a ratio to a baseline measured in the same run.
    #[command(
        subcommand,
        long_about = "Benchmarks. Each one measures Ferrule next to a baseline measured in the same run, on the \
                      same machine and database server, and reports the ratio of the two. Absolute rates on a \
                      shared or small machine swing with whatever else runs there; that noise slows both \
                      measurements alike, so the ratio stays comparable between runs and machines."
    )]
    Bench(BenchCommand),

    /// Import a catalog file (CSV or NDJSON) as an import job, following its progress.
    #[command(long_about = "Import a catalog file into a running installation: the file is streamed to the command \
        API's POST /v1/imports as an import job (never read whole into memory), and the job is followed until it \
        ends, with its rows read, applied, unchanged and refused.\n\n\
        The file holds rows of categories, attribute definitions, brands, families, products, list prices and \
        stock, naming each other by external id (the format `ferrule export` writes; see the README). Rows that \
        are refused — each with its row number, external id, field and code — are written to an errors file \
        (FILE.errors.ndjson unless --errors says otherwise) while the others are applied.\n\n\
        Exit codes: 0 every row applied or unchanged; 2 some rows refused, or the job failed or was cancelled; \
        1 the import could not be started.")]
    Import(ImportArgs),

    /// Export the catalog (CSV or NDJSON) in the format `ferrule import` reads.
    #[command(long_about = "Export the catalog from the query API's GET /v1/exports/products, streamed to a file \
        or standard output: categories parents first, attribute definitions, brands, families, products, list \
        prices and stock, naming each other by external id, so that the file imports into an empty \
        installation as the same catalog.")]
    Export(ExportArgs),

    /// Users: create an admin without the API (`ferrule admin create --email … --password-stdin`).
    #[command(subcommand)]
    Admin(AdminCommand),

    /// Product media: attach an image or a document to a product or a family.
    #[command(subcommand)]
    Media(MediaCommand),

    /// The audit trail: history, state as of a moment, signed exports, verifying the hash chain,
    /// replaying the read model as it was at a moment.
    #[command(subcommand)]
    Audit(crate::audit::AuditCommand),
}

#[derive(Subcommand)]
pub enum MediaCommand {
    /// Upload a file and attach it to a product or a family (the presigned flow every client uses).
    #[command(long_about = "Upload a file and attach it to a product or a family, the way every client does: \
        POST /v1/media/uploads answers a presigned PUT, the file is streamed straight to S3 with exactly the \
        signed content type and length, and POST /v1/media/uploads/{id}/complete has the command API verify \
        the object in place (size, magic bytes against the declared type, image decoding limits), store it \
        content-addressed and append the MediumAttached event. Images get 160, 480 and 1200 px variants \
        (WebP and JPEG) shortly after.\n\n\
        Accepted: JPEG, PNG and WebP images (up to 20 MiB) for the roles primary, gallery and drawing; PDF, \
        STEP and DXF documents (up to 100 MiB) for datasheet, certificate and drawing. The type is taken from \
        the file's extension unless --content-type says otherwise.\n\n\
        Example: ferrule media upload --product DGB-6204-2RS --role datasheet datasheet.pdf")]
    Upload(MediaUploadArgs),
}

#[derive(Args)]
pub struct MediaUploadArgs {
    /// The file to upload.
    pub file: std::path::PathBuf,

    /// The product: its id, or its SKU (looked up through the query API).
    #[arg(long)]
    pub product: Option<String>,

    /// The family (its id): its media serve all its variants.
    #[arg(long)]
    pub family: Option<String>,

    /// primary, gallery, datasheet, certificate or drawing.
    #[arg(long, value_parser = ["primary", "gallery", "datasheet", "certificate", "drawing"])]
    pub role: String,

    /// The content type, when the file's extension does not say it.
    #[arg(long)]
    pub content_type: Option<String>,

    #[arg(long)]
    pub title: Option<String>,

    /// The alternative text of an image.
    #[arg(long)]
    pub alt: Option<String>,

    /// The language of a document (a BCP 47 tag: de, en-GB).
    #[arg(long)]
    pub language: Option<String>,

    /// Only signed-in buyers and staff may download it (certificates): no public URL.
    #[arg(long)]
    pub buyers_only: bool,

    /// Base URL of the command API.
    #[arg(long, env = "FERRULE_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,

    /// Base URL of the query API (to find a product by its SKU).
    #[arg(long, env = "FERRULE_QUERY_URL", default_value = "http://127.0.0.1:8081")]
    pub query_api: String,

    #[command(flatten)]
    pub admin: AdminLogin,
}

const SEED_ABOUT: &str = "Generate a realistic industrial catalog from a seed number and write it through the command \
path: fasteners (DIN/ISO and ASME bolts, screws, nuts, washers), bearings, motors, pumps, valves, cables and tools.\n\n\
What it makes: 7 clusters, nodes and 35 leaf categories with about 150 attribute definitions inherited down the tree \
(text, numbers with units, booleans, selects and multi-selects; required, filterable, searchable and \
variant-defining as a PIM would set them), 25 fictional brands, a family per leaf line and brand that carries it \
(some with family-level overrides, e.g. lengths in inches or power in hp), and the products as variants of the \
families: \"Hex bolt DIN 933 M12x40 A4 (100 pcs)\", SKU HB933NF-M12-40-A4-100, thread_size M12, thread M12x1.75, \
length 40 mm; bearings 6205-2RS/C3; motors 4 kW, 400 V, 4-pole; valves 1/2\" PN40. Values are skewed as in real \
catalogs (M8–M12 common, M3 and M24 rare), and some families give values in other units of the attribute's \
measurement family (kV, hp, in, m³/h, g, psi, °F, ft) so that normalization shows.\n\n\
Deterministic: the same --seed and --products give the same ids (drawn from ChaCha8 streams keyed by the seed), \
names, SKUs and specs. Each family's products are a sequence of their own, so a larger --products extends a smaller \
one's catalog.\n\n\
The command path: every entity is decided by the same domain calls the command API's handlers make and appended \
by its service layer (command_api::service::Catalog), in this process, against the write database: validated \
against the resolved schema, with uniqueness claims, audit metadata (actor ferrule-seed, request id seed-N), \
ordinary events. Structure commands run one at a time under the schema lock; products run --concurrency at once \
and the group appender batches them into shared transactions (the batched path that makes a million feasible: \
1,000,000 products took under 4 minutes on 2 cores with PostgreSQL on the same machine). \
--via http sends the same commands to a running command API instead (for small catalogs; the API assigns the \
ids there, so only names, SKUs and specs are deterministic).\n\n\
Re-running: when the write database already holds this seed's first brand, seed skips everything that exists \
and creates only what is missing (an interrupted run is finished this way); if nothing is missing it says so and \
exits 0. A database holding another seed's catalog is refused (the names would clash): use an empty one.\n\n\
Afterwards the read model is brought up to date by the projector. A running projector follows through NATS once \
the command API's relay publishes the new events; for a large seed `projector rebuild` is the fast way: it \
replays the events table into a fresh read model and swaps it in.";

#[derive(Args)]
pub struct SeedArgs {
    /// Seed number: the same seed and --products give the same catalog, ids included.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Products to create (the categories, brands and families they need come with them).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub products: u64,

    /// PostgreSQL URL of the write database (its migrations are applied first, as the command API
    /// does). On the database's own machine, `?sslmode=disable` saves the TLS work.
    #[arg(
        long,
        env = "FERRULE_WRITE_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/ferrule_write"
    )]
    pub database_url: String,

    /// Product commands in flight at once; the group appender batches those that wait together.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// Group-append workers (as FERRULE_APPEND_WORKERS): batches appended at once.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub append_workers: u16,

    /// Commands in one group-append transaction at most (as FERRULE_APPEND_BATCH_MAX).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub append_batch_max: u16,

    /// Where the commands go: `db` runs the command API's service layer here against the write
    /// database; `http` sends them to a running command API (small catalogs).
    #[arg(long, value_enum, default_value_t = SeedVia::Db)]
    pub via: SeedVia,

    /// Base URL of the command API (with --via http).
    #[arg(long, env = "FERRULE_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,

    /// The admin to log in as (with --via http).
    #[command(flatten)]
    pub admin: AdminLogin,

    /// Draw the whole catalog and decide every command with the domain in memory, checking the
    /// uniqueness the event store would enforce; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedVia {
    Db,
    Http,
}

impl SeedArgs {
    /// What to seed where, checked: --via http logs in first.
    pub async fn target(self) -> anyhow::Result<ferrule_seed::Target> {
        let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
        if self.dry_run {
            return Ok(ferrule_seed::Target::DryRun { seed: self.seed, products: self.products });
        }
        Ok(match self.via {
            SeedVia::Db => ferrule_seed::Target::Database(ferrule_seed::Options {
                seed: self.seed,
                products: self.products,
                database_url: self.database_url,
                concurrency: self.concurrency as usize,
                append_workers: self.append_workers.into(),
                append_batch_max: self.append_batch_max.into(),
                progress,
            }),
            SeedVia::Http => {
                let token = self.admin.token(&self.api).await?;
                ferrule_seed::Target::Http(ferrule_seed::HttpOptions {
                    seed: self.seed,
                    products: self.products,
                    api: self.api,
                    token,
                    concurrency: self.concurrency.min(64) as usize,
                    progress,
                })
            }
        })
    }
}

#[derive(Args)]
pub struct DemoArgs {
    /// Base URL of the command API.
    #[arg(long, env = "FERRULE_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,

    #[command(flatten)]
    pub admin: AdminLogin,

    /// Email of the demo company's buyer (created only with --buyer-password-file).
    #[arg(long, env = "FERRULE_DEMO_BUYER_EMAIL", default_value = "buyer@ferrule.local")]
    pub buyer_email: String,

    /// File holding the demo buyer's password (first line, 12–128 characters); without it no buyer
    /// is created (deploy/local/up generates one into .local/buyer-password).
    #[arg(long, env = "FERRULE_DEMO_BUYER_PASSWORD_FILE")]
    pub buyer_password_file: Option<std::path::PathBuf>,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The catalog file: .csv or .ndjson (.jsonl), or name its format with --format.
    pub file: std::path::PathBuf,

    /// Check every row without appending anything.
    #[arg(long)]
    pub dry_run: bool,

    /// `csv` or `ndjson`, when the file's name does not say.
    #[arg(long, value_parser = ["csv", "ndjson"])]
    pub format: Option<String>,

    /// Where refused rows are written (NDJSON); default FILE.errors.ndjson.
    #[arg(long)]
    pub errors: Option<std::path::PathBuf>,

    /// Base URL of the command API.
    #[arg(long, env = "FERRULE_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,

    #[command(flatten)]
    pub admin: AdminLogin,
}

#[derive(Args)]
pub struct ExportArgs {
    /// `ndjson` or `csv`.
    #[arg(long, default_value = "ndjson", value_parser = ["csv", "ndjson"])]
    pub format: String,

    /// Only this category's subtree (with its ancestors, so that the file imports on its own).
    #[arg(long)]
    pub category_id: Option<uuid::Uuid>,

    /// The file to write; standard output when not given.
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,

    /// Base URL of the query API.
    #[arg(long, env = "FERRULE_QUERY_URL", default_value = "http://127.0.0.1:8081")]
    pub query: String,

    /// Base URL of the command API (to sign in).
    #[arg(long, env = "FERRULE_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,

    #[command(flatten)]
    pub admin: AdminLogin,
}

/// The admin the tools log in as (deploy/local/up keeps them in .local/admin-email and
/// .local/admin-password).
#[derive(Args, Clone)]
pub struct AdminLogin {
    /// Email of an admin user.
    #[arg(long, env = "FERRULE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// File holding that admin's password (first line); without it the password is read from stdin.
    #[arg(long, env = "FERRULE_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<std::path::PathBuf>,
}

impl AdminLogin {
    /// Logs in at the command API and returns the access token.
    pub async fn token(&self, api: &str) -> anyhow::Result<String> {
        let Some(email) = &self.admin_email else {
            anyhow::bail!("name the admin to log in as: --admin-email or FERRULE_ADMIN_EMAIL (deploy/local/up keeps it in .local/admin-email)");
        };
        let password = ferrule_seed::login::read_password(self.admin_password_file.as_deref())?;
        ferrule_seed::login::access_token(api, email, &password).await
    }
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an admin (or ops) user directly in the write database — the first admin of a new
    /// installation, or a way back in. The password is read from standard input.
    Create(AdminCreateArgs),
}

#[derive(Args)]
pub struct AdminCreateArgs {
    /// PostgreSQL URL of the write database.
    #[arg(long, env = "FERRULE_WRITE_DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    #[arg(long)]
    pub email: String,

    /// Read the password from standard input (its first line); required, so that it never
    /// appears in the shell history or the process list.
    #[arg(long, required = true)]
    pub password_stdin: bool,

    /// `admin`, `ops` or `auditor` (read-only: the audit trail and nothing else).
    #[arg(long, default_value = "admin")]
    pub role: String,

    /// argon2id parameters, as the command API's (FERRULE_ARGON2_*).
    #[command(flatten)]
    pub auth: command_api::config::AuthConfig,
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
        • contested: the same creates, but every N-th of each client (--contested-every, default 4) is the \
        same product as one another client sends at the same moment, so one of the two is refused with a 409 \
        by the append — often inside another group-append batch. Accepted and refused creates are timed \
        apart; a refused create must cost at most twice an accepted one at p99.\n\
        • raw: N connections each INSERT one event row per autocommit transaction, with a ProductCreated \
        payload captured from the HTTP database, into another fresh scratch database, over a pool with the \
        event store's settings. This is the cost of \
        writing the event alone, with nothing decided or checked.\n\n\
        Why a ratio: the machine's speed, other load on it and the server's configuration move both rates \
        together. The raw phase runs before and after the HTTP phase and its mean is the baseline, so a \
        drift during the run cancels out too.\n\n\
        The scratch databases are cloned from a migrated template and dropped at the end.")]
    Write(WriteArgs),

    /// A catalog file of the seed generator through an import job, rows/s against a raw COPY.
    #[command(
        long_about = "A catalog onboarding, measured: the seed generator's catalog (`ferrule seed`'s, --products \
        products with their categories, definitions, brands and families) written to an NDJSON file and imported \
        through POST /v1/imports into a command API running in this process over a fresh scratch database, with \
        the relay, the projector and a query API running beside it over a scratch read model and a JetStream stream \
        of the run's own.\n\n\
        What is measured:\n\
        • Import: from the first byte uploaded until the job is done, in file rows per second. Every row is decided by \
        the domain and appended with its claims (SKU, variant, external id) as a single command would be. Any \
        refused row fails the benchmark.\n\
        • Caught up: from the job's end until the query API's GET /v1/health says nothing is behind (every event \
        projected into the read model).\n\
        • Memory: this process's peak resident memory over the first tenth of the rows and over the whole import; \
        a job that held the file or its rows in memory would grow with it.\n\
        • Raw COPY: the very event rows the import appended, COPYed into a fresh table shaped like `events` (its \
        indexes included), twice (before and after the read side catches up): the mean is the baseline. \
        Targets: ≥ 20,000 rows/s and ≥ 0.3× the COPY rate.\n\n\
        The scratch databases, the stream and the file are removed at the end."
    )]
    Import(ImportBenchArgs),

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

    /// Search latency on a large seeded catalog against the naive SQL; cached GETs.
    #[command(long_about = "Search through the query API over HTTP on a large catalog, next to the naive SQL in the \
        same run.\n\n\
        • Catalog: `--products` products (default 1,000,000) are generated by `ferrule seed` into a scratch write \
        database through the command path and replayed into a scratch read model by `projector rebuild`; or give \
        --read-database-url to search a read model built before (with --keep, a run leaves its databases for that).\n\
        • Search: N clients go round a fixed mix — broad (\"motor\", \"stainless\", \"M12\"), narrow (real product names \
        and SKUs), a filtered browse and a filtered, ranged search of the largest category — through GET /v1/search \
        with `Cache-Control: no-cache`, so the search itself is measured. Every answer carries facets.\n\
        • Naive: the same queries as plain SQL on as many connections: every match ranked with ts_rank_cd, counted, \
        and its specs grouped for facets. Targets: search p95 ≤ 25 ms and ≥ 20× faster than naive at p95.\n\
        • Cached product GET (with --redis-url): GET /v1/products/{id} served from Redis, next to a trivial handler \
        (GET /v1/health/live) of the same server.")]
    Search(SearchArgs),

    /// Login latency (p50, p95) with the configured argon2id parameters, for a right password,
    /// a wrong one and an unknown email.
    Login(LoginArgs),

    /// Orders placed/s at N concurrent buyers (cart + checkout) next to product creates/s.
    #[command(long_about = "Checkout throughput through the command API over HTTP at N concurrent buyers, next to \
        product-create throughput at N clients against the same API in the same run.\n\n\
        What is measured:\n\
        • Shop: the command API runs in this process over a fresh scratch database with the hex-bolt catalog of \
        `bench write`; --products products get a list price and 1,000,000 units in each of two warehouses, half \
        of them a price list entry with quantity breaks assigned to the buyers' company (net 30); N buyers of \
        that company log in.\n\
        • Orders: each buyer in a loop puts --lines products in its cart (POST /v1/cart/lines, quantities 1–20) \
        and checks out (POST /v1/checkout with its own Idempotency-Key). One operation is the whole order; only \
        a 201 counts. Each checkout resolves every line's price, reserves stock in the warehouse that can serve \
        it, and appends the order, the reservations and the emptied cart in one transaction, deciding again \
        when a concurrent checkout reserved the same stock first.\n\
        • Product creates: as `bench write`'s HTTP phase, before and after the orders; their mean is the \
        baseline, so a drift of the machine's speed during the run cancels out.\n\n\
        At the end the stock is checked: on hand untouched, the orders' units reserved. The scratch databases \
        are dropped.")]
    Orders(OrdersArgs),

    /// Image variants/s of 2-megapixel JPEGs next to a decode-only baseline of the same files.
    #[command(long_about = crate::bench::media::LONG_ABOUT)]
    Media(crate::bench::media::MediaBenchArgs),

    /// Chaining and `audit verify` in events/s next to raw SHA-256, and append p99 with the chainer on and off.
    #[command(long_about = crate::bench::audit::ABOUT)]
    Audit(crate::bench::audit::AuditBenchArgs),
}

#[derive(Args)]
pub struct ImportBenchArgs {
    /// Products in the generated catalog file (besides its categories, brands and families).
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub products: u64,

    /// The catalog generator's seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Import workers of the command API (FERRULE_IMPORT_WORKERS); one job is run by one of them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub import_workers: u16,

    /// NATS server with JetStream; the run creates and deletes a stream of its own.
    #[arg(long, env = "FERRULE_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,

    #[command(flatten)]
    pub server: BenchServer,
}

#[derive(Args)]
pub struct OrdersArgs {
    /// Products on offer (each gets terms, stock in two warehouses, and every other one a price list entry).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub products: u32,

    /// Cart lines per order.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub lines: u32,

    /// --clients is the number of concurrent buyers (and of product-create clients).
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Args)]
pub struct LoginArgs {
    /// Logins measured per case, one at a time.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub logins: u32,

    /// argon2id parameters and the rest of the identity configuration (FERRULE_ARGON2_* …).
    #[command(flatten)]
    pub auth: command_api::config::AuthConfig,

    #[command(flatten)]
    pub server: BenchServer,
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

    /// Connections the rebuild applies a page's products over at once (`projector rebuild --lanes`).
    #[arg(long, default_value_t = RebuildOptions::default().lanes as u64, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub lanes: u64,

    /// NATS server with JetStream; the run creates and deletes a stream of its own.
    #[arg(long, env = "FERRULE_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,

    #[command(flatten)]
    pub server: BenchServer,
}

#[derive(Args)]
pub struct SearchArgs {
    /// Products in the generated catalog (ignored with --read-database-url).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub products: u64,

    /// The catalog generator's seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Search an existing read database instead of generating one.
    #[arg(long)]
    pub read_database_url: Option<String>,

    /// Keep the generated databases (their names are printed) for later runs.
    #[arg(long)]
    pub keep: bool,

    /// Concurrent clients, in both phases.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub clients: u32,

    /// Seconds each phase is measured.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration_secs: u64,

    /// Seconds each phase runs before measuring starts.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub warmup_secs: u64,

    /// Redis for the cached product GET phase (skipped without it).
    #[arg(long, env = "FERRULE_REDIS_URL")]
    pub redis_url: Option<String>,

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

    /// In the contested phase, every N-th create of each client is one another client makes at the
    /// same moment, so that one of the two is refused (409); 0 skips the contested phase.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub contested_every: u32,

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
