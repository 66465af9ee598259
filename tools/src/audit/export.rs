//! `ferrule audit export`: a signed export streamed to a file with progress, and `--check` of a
//! saved one (`command_api::audit_manifest::check`).

use std::io::Write;

use anyhow::{bail, Context};
use futures::StreamExt;

use super::ExportArgs;
use crate::api::describe;

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    if let Some(file) = &args.check {
        return check(file, args.public_key.as_deref().unwrap_or_default());
    }
    let Some(output) = &args.output else { bail!("name the file to write with -o FILE") };
    let api = args.connection.api().await?;
    let path = format!("/v1/audit/export?{}", args.filters.query());
    let response = ferrule_seed::send_within_rate_limits(api.request(reqwest::Method::GET, &path))
        .await
        .with_context(|| format!("cannot reach the command API at {}", api.base()))?;
    if !response.status().is_success() {
        let status = response.status();
        let body = serde_json::from_slice(&response.bytes().await.unwrap_or_default()).unwrap_or_default();
        bail!("GET {path} answered {}", describe(&crate::api::Answer { status, body }));
    }
    let file = std::fs::File::create(output).with_context(|| format!("cannot create {}", output.display()))?;
    let mut file = std::io::BufWriter::new(file);
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {bytes} ({bytes_per_sec}), {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let (mut lines, mut last_line) = (0u64, Vec::new());
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.context("the export broke off")?;
        file.write_all(&chunk)?;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        // Keep the tail: the manifest is the last line.
        last_line.extend_from_slice(&chunk);
        if last_line.len() > 64 * 1024 {
            let keep = last_line.len() - 64 * 1024;
            last_line.drain(..keep);
        }
        bar.set_message(format!("{} events", lines.saturating_sub(1)));
        bar.inc(chunk.len() as u64);
    }
    file.flush()?;
    bar.finish_and_clear();
    let text = String::from_utf8_lossy(&last_line);
    let manifest_line = text.trim_end().rsplit('\n').next().unwrap_or_default();
    let manifest: serde_json::Value = serde_json::from_str(manifest_line).unwrap_or_default();
    let manifest = &manifest["manifest"];
    if manifest.is_null() {
        bail!("the export ended without its manifest line: it is incomplete");
    }
    println!(
        "wrote {}: {} events, positions {} to {}",
        output.display(),
        manifest["event_count"],
        manifest["first_position"],
        manifest["last_position"]
    );
    println!("  sha256   {}", manifest["sha256"].as_str().unwrap_or_default());
    match manifest["key_id"].as_str() {
        Some(key) => {
            println!("  signed   by key {key} (public key {})", manifest["public_key"].as_str().unwrap_or_default())
        }
        None => println!("  unsigned (the installation has no audit signing key)"),
    }
    match manifest["chain_head"].as_object() {
        Some(head) => {
            println!("  chain    head at position {} ({})", head["position"], head["hash"].as_str().unwrap_or_default())
        }
        None => println!("  chain    nothing chained yet"),
    }
    Ok(())
}

fn check(file: &std::path::Path, key: &str) -> anyhow::Result<()> {
    let key_text = match std::fs::read_to_string(key) {
        Ok(text) => text,
        Err(_) => key.to_owned(),
    };
    let Some(public_key) = command_api::audit_manifest::parse_public_key(&key_text) else {
        bail!("--public-key is neither a PEM public key file nor 32 bytes of base64");
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    match command_api::audit_manifest::check(&bytes, &public_key) {
        Ok(checked) => {
            println!(
                "{}: OK — {} events, sha256 {}, signed by key {}",
                file.display(),
                checked.event_count,
                checked.sha256,
                checked.key_id
            );
            Ok(())
        }
        Err(error) => bail!("{} does not check: {error}", file.display()),
    }
}
