//! `ferrule bench login`: login latency with the configured argon2id parameters, for the right
//! password, a wrong one and an unknown email (which should cost the same: see
//! `command_api::identity::passwords`).

use std::time::Instant;

use anyhow::Context;
use command_api::config::{AuthConfig, Config};
use event_store::EventStore;
use serde_json::json;

use super::histogram;
use super::write::Scratch;
use crate::cli::LoginArgs;
use ferrule_seed::local::{LocalApi, ADMIN_EMAIL};

pub async fn run(args: LoginArgs) -> anyhow::Result<()> {
    let mut scratch = Scratch { admin_url: args.server.database_url.clone(), names: Vec::new() };
    let result = measure_all(&args, &mut scratch).await;
    scratch.drop_all().await;
    result
}

async fn measure_all(args: &LoginArgs, scratch: &mut Scratch) -> anyhow::Result<()> {
    let options = scratch.fresh().await?;
    let store = EventStore::connect(options, 8).await.context("cannot connect to the scratch database")?;
    // No login limit (it would stop the benchmark: it measures hashing, not the limiter).
    let config = Config {
        auth: args.auth.clone(),
        append_workers: 1,
        append_batch_max: 1,
        request_timeout_secs: 60,
        ..ferrule_seed::local::config(8)
    };
    let local = LocalApi::start(store.clone(), config).await?;
    let auth: &AuthConfig = &args.auth;
    println!(
        "argon2id m={} KiB, t={}, p={}; {} logins each, one at a time and the cases in turn, against the command API in this process",
        auth.argon2_memory_kib, auth.argon2_iterations, auth.argon2_parallelism, args.logins
    );
    let cases = [
        ("right password", ADMIN_EMAIL, local.password.clone(), 200),
        ("wrong password", ADMIN_EMAIL, "not the admin's password".to_owned(), 401),
        ("unknown email", "nobody@ferrule.local", local.password.clone(), 401),
    ];
    let client = reqwest::Client::new();
    let url = format!("{}/v1/auth/login", local.base);
    let mut failure = None;
    let mut latencies = [histogram()?, histogram()?, histogram()?];
    // Round-robin, so that load from elsewhere on the machine hits the three cases alike.
    for _ in 0..args.logins {
        for ((name, email, password, status), latencies) in cases.iter().zip(latencies.iter_mut()) {
            let started = Instant::now();
            let answer = client.post(&url).json(&json!({"email": email, "password": password})).send().await?;
            latencies.record(started.elapsed().as_micros().max(1) as u64)?;
            if answer.status().as_u16() != *status {
                failure = Some(format!("{name}: expected {status}, got {}", answer.status()));
            }
        }
    }
    println!("{:<16} {:>9} {:>9} {:>9}", "login", "p50 ms", "p95 ms", "max ms");
    for ((name, ..), latencies) in cases.iter().zip(&latencies) {
        let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
        println!("{name:<16} {:>9.1} {:>9.1} {:>9.1}", ms(0.5), ms(0.95), ms(1.0));
    }
    local.stop().await;
    store.pool().close().await;
    match failure {
        Some(failure) => anyhow::bail!("a login answered unexpectedly: {failure}"),
        None => Ok(()),
    }
}
