//! `ferrule audit history`: the pages of GET /v1/audit/events, as a table for people or NDJSON.

use std::io::{IsTerminal, Write};

use anyhow::bail;
use serde_json::Value;

use super::HistoryArgs;
use crate::api::describe;

const PAGE: usize = 500;

/// ANSI colours, or nothing when stdout is not a terminal.
#[derive(Clone, Copy)]
pub struct Paint {
    on: bool,
}

impl Paint {
    pub fn for_stdout() -> Self {
        Paint { on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn from(self, text: &str) -> String {
        self.wrap("31", text)
    }

    pub fn to(self, text: &str) -> String {
        self.wrap("32", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
}

/// A JSON value as a person reads it: strings bare, `∅` for null, the rest as compact JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::Null => "∅".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One event as table lines: the header row, then a line per changed field.
pub fn lines(event: &Value, paint: Paint) -> Vec<String> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let actor = &event["actor"];
    let who = actor["email"].as_str().map(str::to_owned).unwrap_or_else(|| text(&actor["id"]));
    let time = text(&event["recorded_at"]);
    let time = time.get(..19).unwrap_or(&time).replace('T', " ");
    let stream = &event["stream"];
    let entity = format!("{} {} v{}", text(&stream["type"]), text(&stream["id"]), stream["version"]);
    let mut out = vec![format!(
        "{:>12}  {}  {:<28} {:<7} {:<24} {}",
        event["position"],
        time,
        who,
        text(&actor["role"]),
        paint.bold(&text(&event["type"])),
        paint.dim(&entity),
    )];
    if let Some(diff) = event["diff"].as_object() {
        for (field, change) in diff {
            out.push(format!(
                "{:>14}{field}: {} → {}",
                "",
                paint.from(&show(&change["from"])),
                paint.to(&show(&change["to"]))
            ));
        }
    }
    out
}

pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let api = args.connection.api().await?;
    let paint = Paint::for_stdout();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut cursor, mut shown) = (args.filters.after_position, 0usize);
    if !args.json {
        let header = format!(
            "{:>12}  {:<19}  {:<28} {:<7} {:<24} {}",
            "position", "recorded at (UTC)", "actor", "role", "event", "entity"
        );
        writeln!(out, "{}", paint.bold(&header))?;
    }
    loop {
        let limit = PAGE.min(args.max - shown).max(1);
        let mut filters = args.filters.clone();
        filters.after_position = cursor;
        let path = format!("/v1/audit/events?{}&limit={limit}", filters.query());
        let answer = super::get(&api, &path).await?;
        if !answer.status.is_success() {
            bail!("GET /v1/audit/events answered {}", describe(&answer));
        }
        let events = answer.body["events"].as_array().cloned().unwrap_or_default();
        for event in &events {
            if args.json {
                serde_json::to_writer(&mut out, event)?;
                writeln!(out)?;
            } else {
                for line in lines(event, paint) {
                    writeln!(out, "{line}")?;
                }
            }
        }
        shown += events.len();
        cursor = answer.body["next_after_position"].as_i64();
        if cursor.is_none() || shown >= args.max {
            break;
        }
    }
    out.flush()?;
    if !args.json {
        let more = if cursor.is_some() {
            format!(" (more follow: --after-position {})", cursor.unwrap_or_default())
        } else {
            String::new()
        };
        eprintln!("{shown} event(s){more}");
    }
    Ok(())
}
