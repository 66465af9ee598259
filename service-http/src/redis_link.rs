//! A Redis connection for request paths: connected in the background, short timeouts, one retry,
//! so that a Redis that is down or silent costs a request at most `response_timeout`.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Longest a connection attempt takes (it runs in the background after the first).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection to the Redis at `url` that connects when first used. Errs only on a malformed URL.
pub fn connect_lazy(url: &str, response_timeout: Duration) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(response_timeout))
        .set_number_of_retries(1);
    ConnectionManager::new_lazy_with_config(client, config)
}

/// PINGs Redis (connecting if need be) within twice the connect timeout.
pub async fn ping(connection: &ConnectionManager) -> Result<(), String> {
    let mut connection = connection.clone();
    match tokio::time::timeout(CONNECT_TIMEOUT * 2, redis::cmd("PING").query_async::<String>(&mut connection)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("no answer to PING".to_owned()),
    }
}
