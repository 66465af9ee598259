//! The JetStream stream and consumer definitions in `nats/`, applied idempotently at start.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};

/// `nats/stream-events.json` and `nats/consumer-projector.json`, as shipped.
pub const STREAM_DEFINITION: &str = include_str!("../../nats/stream-events.json");
pub const CONSUMER_DEFINITION: &str = include_str!("../../nats/consumer-projector.json");

/// The stream's name and subject prefix. Tests use their own, so they can run side by side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    pub stream: String,
    pub subject_prefix: String,
    pub consumer: String,
    /// Overrides the definition's duplicate window (tests make it short).
    pub duplicate_window: Option<Duration>,
    /// Overrides the definition's size limit (JetStream reserves it up front; tests keep it small).
    pub max_bytes: Option<i64>,
    /// Overrides the consumer's ack wait: how long an unacked message waits before it comes again
    /// (tests that kill a projector make it short).
    pub ack_wait: Option<Duration>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            stream: "FERRULE_EVENTS".into(),
            subject_prefix: "ferrule.events".into(),
            consumer: "projector".into(),
            duplicate_window: None,
            max_bytes: None,
            ack_wait: None,
        }
    }
}

impl Names {
    /// Names for a test: a stream and subjects of its own.
    pub fn isolated(tag: &str) -> Self {
        let tag: String = tag.chars().filter(char::is_ascii_alphanumeric).collect();
        Names {
            stream: format!("FT_{}", tag.to_ascii_uppercase()),
            subject_prefix: format!("ft.{tag}.events"),
            consumer: "projector".into(),
            duplicate_window: None,
            max_bytes: Some(64 * 1024 * 1024),
            ack_wait: None,
        }
    }

    /// `<prefix>.<stream_type>.<EventType>`.
    pub fn subject(&self, stream_type: &str, event_type: &str) -> String {
        format!("{}.{stream_type}.{event_type}", self.subject_prefix)
    }

    pub fn all_subjects(&self) -> String {
        format!("{}.>", self.subject_prefix)
    }

    pub fn stream_config(&self) -> Result<stream::Config, serde_json::Error> {
        let mut config: stream::Config = serde_json::from_str(STREAM_DEFINITION)?;
        config.name = self.stream.clone();
        config.subjects = vec![self.all_subjects()];
        if let Some(window) = self.duplicate_window {
            config.duplicate_window = window;
        }
        if let Some(max_bytes) = self.max_bytes {
            config.max_bytes = max_bytes;
        }
        Ok(config)
    }

    pub fn consumer_config(&self) -> Result<consumer::pull::Config, serde_json::Error> {
        let mut config: consumer::pull::Config = serde_json::from_str(CONSUMER_DEFINITION)?;
        config.durable_name = Some(self.consumer.clone());
        config.filter_subject = self.all_subjects();
        if let Some(wait) = self.ack_wait {
            config.ack_wait = wait;
        }
        Ok(config)
    }
}

/// Creates the stream, or brings an existing one's configuration in line with the definition.
pub async fn ensure_stream(js: &jetstream::Context, names: &Names) -> anyhow::Result<stream::Stream> {
    let config = names.stream_config()?;
    match js.get_stream(&names.stream).await {
        Ok(existing) => {
            js.update_stream(config).await?;
            Ok(existing)
        }
        Err(_) => Ok(js.create_stream(config).await?),
    }
}

/// The projector's durable pull consumer on the stream, created if missing.
pub async fn ensure_consumer(
    js: &jetstream::Context,
    names: &Names,
) -> anyhow::Result<jetstream::consumer::Consumer<consumer::pull::Config>> {
    let stream = ensure_stream(js, names).await?;
    Ok(stream.get_or_create_consumer(&names.consumer, names.consumer_config()?).await?)
}
