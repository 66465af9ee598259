//! The limiter's shared state in Redis: one key per client and class holding its GCRA TAT
//! (`gcra.rs`), read and moved in one atomic Lua script on Redis's own clock, so replicas with
//! skewed clocks agree and no two requests can both take the last slot.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Script;

use super::gcra::{Decision, Quota};
use crate::breaker::Breaker;

/// Longest a request waits for Redis.
pub const TIMEOUT: Duration = Duration::from_millis(50);
/// How long Redis is left alone after it failed.
pub const PAUSE: Duration = Duration::from_secs(5);

/// KEYS[1]: the client's key. ARGV[1]: the interval, ARGV[2]: the tolerance (µs).
/// Returns {allowed, remaining, retry_after_us, reset_us}; stores the new TAT only when allowed,
/// with an expiry when the client will have rested, so idle clients cost nothing.
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '')
if not tat or tat < now then tat = now end
local ahead = tat - now
if ahead > tolerance then
  return {0, 0, ahead - tolerance, ahead}
end
redis.call('SET', KEYS[1], string.format('%.0f', tat + interval), 'PX', math.ceil((ahead + interval) / 1000))
return {1, math.floor((tolerance - ahead) / interval), 0, ahead + interval}
";

pub struct RedisStore {
    connection: ConnectionManager,
    script: Script,
    pub breaker: Breaker,
}

impl RedisStore {
    pub fn new(connection: ConnectionManager) -> Self {
        RedisStore { connection, script: Script::new(GCRA), breaker: Breaker::new(PAUSE) }
    }

    pub fn connection(&self) -> &ConnectionManager {
        &self.connection
    }

    /// One request of the client at `key`.
    pub async fn check(&self, key: &str, quota: Quota) -> Result<Decision, String> {
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(key);
        invocation.arg(quota.interval_us).arg(quota.tolerance_us());
        let answer = match tokio::time::timeout(TIMEOUT, invocation.invoke_async::<Vec<i64>>(&mut connection)).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) => return Err(error.to_string()),
            Err(_) => return Err(format!("no answer within {TIMEOUT:?}")),
        };
        let [allowed, remaining, retry_after_us, reset_us] = answer[..] else {
            return Err(format!("the script answered {answer:?}"));
        };
        let micros = |value: i64| u64::try_from(value).unwrap_or(0);
        Ok(Decision {
            allowed: allowed == 1,
            limit: quota.limit,
            remaining: u32::try_from(remaining).unwrap_or(0),
            retry_after_us: micros(retry_after_us),
            reset_us: micros(reset_us),
        })
    }
}
