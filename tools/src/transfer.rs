//! `ferrule import FILE` and `ferrule export`: a catalog file into a running installation as an
//! import job, and the catalog out of its query API, with progress and a summary.
//!
//! An import uploads the file as it reads it (never whole in memory) to `POST /v1/imports`, then
//! follows the job (`GET /v1/imports/{id}`) until it ends, and writes the rows it refused to an
//! errors file (NDJSON: row, external_id, field, code, message). It exits non-zero when any row
//! was refused or the job failed, so a script can tell.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::api::Api;
use crate::cli::{ExportArgs, ImportArgs};

/// How a finished import ended, for the process's exit code.
pub enum Ended {
    /// Every row applied, unchanged or (dry run) checked.
    Clean,
    /// Some rows were refused, or the job failed or was cancelled.
    WithRefusals,
}

pub async fn import(args: ImportArgs) -> anyhow::Result<Ended> {
    let content_type = content_type(&args.file, args.format.as_deref())?;
    let token = args.admin.token(&args.api).await?;
    let api = Api::new(&args.api, &token, 1)?;
    let (id, size) = upload(&api, &args.file, content_type, args.dry_run).await?;
    eprintln!(
        "import job {id}: {} ({} bytes{})",
        args.file.display(),
        size,
        if args.dry_run { ", dry run" } else { "" }
    );

    let job = follow(&api, &id).await?;
    let errors_path = args.errors.clone().unwrap_or_else(|| errors_path(&args.file));
    let written = write_errors(&api, &id, &errors_path).await?;
    summarize(&job, written, &errors_path);
    let refused = job["refused"].as_u64().unwrap_or(0);
    Ok(if refused == 0 && job["state"] == "done" { Ended::Clean } else { Ended::WithRefusals })
}

/// Streams `file` to `POST /v1/imports` as it reads it, with a progress bar; answers the job's id
/// and the file's size.
pub async fn upload(api: &Api, file: &Path, content_type: &str, dry_run: bool) -> anyhow::Result<(String, u64)> {
    let opened = tokio::fs::File::open(file)
        .await
        .with_context(|| format!("cannot open {}: does it exist and can you read it?", file.display()))?;
    let size = opened.metadata().await.map(|m| m.len()).unwrap_or(0);
    let upload = bar(size, "uploading", "{spinner} {prefix:<10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}");
    let progress = upload.clone();
    let body = tokio_util::io::ReaderStream::new(opened).inspect_ok(move |chunk| progress.inc(chunk.len() as u64));
    let response = api
        .request(Method::POST, &format!("/v1/imports?dry_run={dry_run}"))
        .header(reqwest::header::CONTENT_TYPE, content_type)
        // A file of a gigabyte takes longer than the client's usual minute.
        .timeout(Duration::from_secs(6 * 3600))
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .with_context(|| format!("cannot reach the command API at {}: is it running?", api.base()))?;
    upload.finish_and_clear();
    let status = response.status();
    let job: Value = response.json().await.unwrap_or(Value::Null);
    if status != StatusCode::ACCEPTED {
        bail!("the import was refused ({status}): {}", problem(&job));
    }
    let id = job["id"].as_str().context("the job answer has no id")?.to_owned();
    Ok((id, size))
}

/// Polls the job until it is done, failed or cancelled, showing its rows as they go.
pub async fn follow(api: &Api, id: &str) -> anyhow::Result<Value> {
    let rows = bar(0, "importing", "{spinner} {prefix:<10} {msg}");
    loop {
        let answer = api.call(Method::GET, &format!("/v1/imports/{id}"), &Value::Null).await?;
        if answer.status != StatusCode::OK {
            bail!("reading import job {id} failed ({}): {}", answer.status, problem(&answer.body));
        }
        let job = answer.body;
        let count = |name: &str| job[name].as_u64().unwrap_or(0);
        rows.set_message(format!(
            "{} rows read: {} applied, {} unchanged, {} refused{}",
            count("rows_read"),
            count("applied"),
            count("unchanged"),
            count("refused"),
            job["rows_per_second"].as_f64().map(|r| format!(" · {r:.0} rows/s")).unwrap_or_default()
        ));
        if matches!(job["state"].as_str(), Some("done" | "failed" | "cancelled")) {
            rows.finish_and_clear();
            return Ok(job);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Pages through the job's refused rows into `path` (NDJSON), returning how many.
async fn write_errors(api: &Api, id: &str, path: &Path) -> anyhow::Result<u64> {
    const LIMIT: usize = 1000;
    let mut out: Option<std::io::BufWriter<std::fs::File>> = None;
    let mut written = 0;
    let mut after: i64 = -1;
    loop {
        let page = api
            .call(Method::GET, &format!("/v1/imports/{id}/errors?after_row={after}&limit={LIMIT}"), &Value::Null)
            .await?;
        if page.status != StatusCode::OK {
            bail!("reading the errors of import job {id} failed ({}): {}", page.status, problem(&page.body));
        }
        let errors = page.body["errors"].as_array().cloned().unwrap_or_default();
        for error in &errors {
            let file = match &mut out {
                Some(file) => file,
                None => out.insert(std::io::BufWriter::new(
                    std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
                )),
            };
            serde_json::to_writer(&mut *file, error)?;
            file.write_all(b"\n")?;
            written += 1;
        }
        match page.body["next_after_row"].as_i64() {
            Some(row) if row > after && !errors.is_empty() => after = row,
            _ => break,
        }
    }
    if let Some(mut file) = out {
        file.flush()?;
    }
    Ok(written)
}

fn summarize(job: &Value, errors: u64, errors_path: &Path) {
    let count = |name: &str| job[name].as_u64().unwrap_or(0);
    println!(
        "import {}: {} rows read, {} applied ({} created, {} updated), {} unchanged, {} refused{}",
        job["state"].as_str().unwrap_or("?"),
        count("rows_read"),
        count("applied"),
        count("created"),
        count("updated"),
        count("unchanged"),
        count("refused"),
        if job["dry_run"] == true {
            format!(", {} checked (dry run: nothing appended)", count("checked"))
        } else {
            String::new()
        },
    );
    if let Some(failure) = job["failure"].as_str() {
        println!("the job failed: {failure}");
    }
    if errors > 0 {
        println!("{errors} row errors written to {} (row, external_id, field, code, message)", errors_path.display());
    }
}

pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let token = args.admin.token(&args.api).await?;
    let api = Api::new(&args.query, &token, 1)?;
    let mut path = format!("/v1/exports/products?format={}", args.format);
    if let Some(category) = &args.category_id {
        path.push_str(&format!("&category_id={category}"));
    }
    let response = api
        .request(Method::GET, &path)
        .send()
        .await
        .with_context(|| format!("cannot reach the query API at {}: is it running?", args.query))?;
    if response.status() != StatusCode::OK {
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        bail!("the export was refused ({status}): {}", problem(&body));
    }
    let progress = bar(0, "exporting", "{spinner} {prefix:<10} {bytes} {bytes_per_sec}");
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin> = match &args.output {
        Some(path) => {
            Box::new(tokio::fs::File::create(path).await.with_context(|| format!("cannot write {}", path.display()))?)
        }
        None => Box::new(tokio::io::stdout()),
    };
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.try_next().await.context("the export broke off: run it again")? {
        out.write_all(&chunk).await?;
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        progress.set_position(bytes);
    }
    out.flush().await?;
    progress.finish_and_clear();
    let target = args.output.as_ref().map_or("standard output".into(), |p| p.display().to_string());
    eprintln!("exported {lines} lines ({bytes} bytes, {}) to {target}", args.format);
    Ok(())
}

/// The file's media type: from --format, else its extension.
fn content_type(file: &Path, format: Option<&str>) -> anyhow::Result<&'static str> {
    let extension = file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match format.map(str::to_owned).or(extension).as_deref() {
        Some("csv") => Ok("text/csv"),
        Some("ndjson" | "jsonl") => Ok("application/x-ndjson"),
        _ => bail!(
            "cannot tell whether {} is CSV or NDJSON from its name: name it .csv or .ndjson, or pass --format",
            file.display()
        ),
    }
}

/// `catalog.csv` → `catalog.csv.errors.ndjson`, beside it.
fn errors_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".errors.ndjson");
    file.with_file_name(name)
}

fn problem(body: &Value) -> String {
    match body["detail"].as_str() {
        Some(detail) => detail.to_owned(),
        None => body.to_string(),
    }
}

/// A progress bar on standard error (hidden when it is not a terminal).
fn bar(length: u64, prefix: &'static str, template: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(length), indicatif::ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(prefix);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_comes_from_the_flag_or_the_extension() {
        assert_eq!(content_type(Path::new("a/catalog.CSV"), None).ok(), Some("text/csv"));
        assert_eq!(content_type(Path::new("catalog.jsonl"), None).ok(), Some("application/x-ndjson"));
        assert_eq!(content_type(Path::new("export.txt"), Some("ndjson")).ok(), Some("application/x-ndjson"));
        assert!(content_type(Path::new("export.txt"), None).is_err());
    }

    #[test]
    fn errors_go_beside_the_file() {
        assert_eq!(errors_path(Path::new("/data/catalog.csv")), PathBuf::from("/data/catalog.csv.errors.ndjson"));
    }
}
