//! The options of the outer layers, the same for both services: flattened into each service's
//! clap `Config`, so every one is a flag and a `FERRULE_*` variable of that service.

use crate::rate_limit::TrustedProxies;
use secrecy::SecretString;

#[derive(Clone, Debug, clap::Args)]
pub struct HttpConfig {
    /// Origins browsers may call the API from, comma-separated and exact
    /// (`https://shop.example.com,https://admin.example.com`). Unset: no CORS headers, so browsers
    /// allow only same-origin calls.
    #[arg(long, env = "FERRULE_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,

    /// `max-age` of the Strict-Transport-Security header, in seconds. Unset: no such header (set it
    /// when the API is only reachable over HTTPS).
    #[arg(long, env = "FERRULE_HSTS_MAX_AGE_SECS")]
    pub hsts_max_age_secs: Option<u64>,

    /// Which proxies' `X-Forwarded-For` to believe when telling the client's IP (for rate limits):
    /// `0` (none: the connecting address is the client), a count N (exactly N proxies, such as a
    /// load balancer and nginx, stand in front of every request) or comma-separated CIDRs of the
    /// proxies (`10.0.0.0/8,192.168.1.7`).
    #[arg(long, env = "FERRULE_TRUSTED_PROXIES", default_value = "0")]
    pub trusted_proxies: TrustedProxies,

    #[command(flatten)]
    pub rate_limit: RateLimitConfig,
}

#[derive(Clone, Debug, clap::Args)]
pub struct RateLimitConfig {
    /// Whether requests are rate limited (`false` only for local benchmarks).
    #[arg(long = "rate-limit", env = "FERRULE_RATE_LIMIT", default_value_t = true, action = clap::ArgAction::Set)]
    pub rate_limit: bool,

    /// Redis shared by every replica's limiter. Unset: the service's FERRULE_REDIS_URL. With
    /// neither, or while Redis is down, general traffic is not limited and the login/refresh
    /// class is limited by each replica on its own.
    #[arg(long, env = "FERRULE_RATE_LIMIT_REDIS_URL", hide_env_values = true)]
    pub rate_limit_redis_url: Option<SecretString>,

    /// Prefix of the limiter's Redis keys.
    #[arg(long, env = "FERRULE_RATE_LIMIT_PREFIX", default_value = "ferrule:rl")]
    pub rate_limit_prefix: String,

    /// Requests a client (a user, or an IP when anonymous) may make per window: the general class.
    #[arg(long, env = "FERRULE_RATE_LIMIT_REQUESTS", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_requests: u32,

    /// The general class's window, in seconds.
    #[arg(long, env = "FERRULE_RATE_LIMIT_WINDOW_SECS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_window_secs: u32,

    /// Requests an authenticated staff member (admin, ops) may make per window: the staff class,
    /// in place of the general one. An admin portal's page is several calls, and a person works
    /// through hundreds of them an hour; bulk loads are one import job, not many requests.
    #[arg(long, env = "FERRULE_RATE_LIMIT_STAFF_REQUESTS", default_value_t = 6000, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_staff_requests: u32,

    /// The staff class's window, in seconds.
    #[arg(long, env = "FERRULE_RATE_LIMIT_STAFF_WINDOW_SECS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_staff_window_secs: u32,

    /// `POST /v1/auth/login` and `/v1/auth/refresh` per client IP per window: the login class.
    #[arg(long, env = "FERRULE_RATE_LIMIT_AUTH_REQUESTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_auth_requests: u32,

    /// The login class's window, in seconds.
    #[arg(long, env = "FERRULE_RATE_LIMIT_AUTH_WINDOW_SECS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_auth_window_secs: u32,
}

impl Default for HttpConfig {
    /// As with no flags and no variables set.
    fn default() -> Self {
        HttpConfig {
            cors_origins: Vec::new(),
            hsts_max_age_secs: None,
            trusted_proxies: TrustedProxies::None,
            rate_limit: RateLimitConfig::default(),
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            rate_limit: true,
            rate_limit_redis_url: None,
            rate_limit_prefix: "ferrule:rl".into(),
            rate_limit_requests: 600,
            rate_limit_window_secs: 60,
            rate_limit_staff_requests: 6000,
            rate_limit_staff_window_secs: 60,
            rate_limit_auth_requests: 10,
            rate_limit_auth_window_secs: 60,
        }
    }
}

impl HttpConfig {
    /// As the default, without rate limiting (tests of other things, benchmarks).
    pub fn unlimited() -> Self {
        HttpConfig {
            rate_limit: RateLimitConfig { rate_limit: false, ..RateLimitConfig::default() },
            ..Self::default()
        }
    }
}

/// An origin as browsers send it: scheme, host and port, nothing else.
fn parse_origin(text: &str) -> Result<String, String> {
    let origin = text.trim();
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("{origin:?} is not an origin: start it with https:// or http://"))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('*') {
        return Err(format!(
            "{origin:?} is not an exact origin: give scheme://host[:port], with no path, trailing slash or wildcard"
        ));
    }
    axum::http::HeaderValue::from_str(origin).map_err(|_| format!("{origin:?} is not a valid header value"))?;
    Ok(origin.to_owned())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        http: HttpConfig,
    }

    #[test]
    fn the_default_is_what_no_flags_give() {
        let parsed = Wrapper::parse_from(["test"]).http;
        assert_eq!(format!("{parsed:?}"), format!("{:?}", HttpConfig::default()));
    }

    #[test]
    fn origins_are_exact_and_comma_separated() {
        let parsed = Wrapper::parse_from(["test", "--cors-origins", "https://a.example, http://b.example:8080"]).http;
        assert_eq!(parsed.cors_origins, vec!["https://a.example", "http://b.example:8080"]);
        for bad in ["a.example", "https://a.example/", "https://*.example", "*"] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
