//! What a token says: who (sub, role, company), for whom (iss, aud), how long (iat, exp), which
//! one (jti), of which refresh family (fam), and what for (typ).

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    Access,
    Refresh,
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// Seconds since the epoch.
    pub iat: i64,
    pub exp: i64,
    /// The user's id.
    pub sub: Uuid,
    /// `admin`, `ops` or `buyer`.
    pub role: String,
    /// A buyer's company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<Uuid>,
    pub jti: Uuid,
    /// The refresh family the token was issued in (one per login).
    pub fam: Uuid,
    pub typ: TokenType,
}

/// Who a pair of tokens is for, and the refresh family and ids they carry.
#[derive(Clone, Debug)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub access: Claims,
    pub refresh: Claims,
}
