//! `ferrule audit state TYPE ID --at|--version|--position`: an entity as it was then.

use std::io::Write;

use anyhow::bail;

use super::history::{lines, Paint};
use super::StateArgs;
use crate::api::describe;

pub async fn run(args: StateArgs) -> anyhow::Result<()> {
    let api = args.connection.api().await?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(at) = &args.at {
        query.append_pair("at", at);
    }
    if let Some(version) = args.version {
        query.append_pair("version", &version.to_string());
    }
    if let Some(position) = args.position {
        query.append_pair("position", &position.to_string());
    }
    let path = format!("/v1/audit/{}/{}/state?{}", args.stream_type, args.id, query.finish());
    let answer = super::get(&api, &path).await?;
    if !answer.status.is_success() {
        bail!("GET {path} answered {}", describe(&answer));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &answer.body)?;
        writeln!(out)?;
        return Ok(());
    }
    let paint = Paint::for_stdout();
    let body = &answer.body;
    writeln!(
        out,
        "{} {} at version {}, position {}, recorded {}",
        args.stream_type,
        args.id,
        body["version"],
        body["position"],
        body["recorded_at"].as_str().unwrap_or_default()
    )?;
    writeln!(out, "{}", paint.bold("state:"))?;
    writeln!(out, "{}", serde_json::to_string_pretty(&body["state"])?)?;
    writeln!(out, "{}", paint.bold("produced by:"))?;
    for line in lines(&body["event"], paint) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
