//! HTTP plumbing the command API and the query API share: the outer layers every response goes
//! through (`layers`: request id (`request_id`), trace span, gzip, security headers,
//! `Cache-Control: no-store` on private answers, CORS, bounded headers (`header_limit`),
//! problem+json for bare errors, timeout,
//! rate limiting, body limit), their configuration (`config`), application/problem+json bodies
//! (`problem`), request text bounded for logs (`logged`), path ids that must be UUIDs
//! (`path_ids`), the OpenAPI document and its docs page (`openapi`), the Redis plumbing the rate
//! limiter and the query cache share (`redis_link`, `breaker`), revoked access tokens
//! (`revocations`), and waiting for the signal to stop.

mod bearer;
pub mod breaker;
pub mod caller;
pub mod config;
pub mod header_limit;
pub mod layers;
pub mod logged;
pub mod openapi;
pub mod path_ids;
pub mod private;
pub mod problem;
pub mod rate_limit;
pub mod redis_link;
pub mod request_id;
pub mod revocations;
pub mod security;
mod shutdown;

pub use bearer::bearer;
pub use config::{HttpConfig, RateLimitConfig};
pub use layers::{outer_layers, Service};
pub use logged::Clipped;
pub use private::Private;
pub use problem::{internal_detail, problem};
pub use rate_limit::{Client, Identity, RateLimiter};
pub use request_id::{RequestId, REQUEST_ID};
pub use shutdown::shutdown_signal;
