//! Who is asking: the user an access token names, verified with the command API's public keys
//! (`auth_tokens::KeyConfig`), never a parameter. Browsing and search need no token; a token
//! adds the caller's prices (`crate::prices`). Carts are a buyer's, stock and price lists are
//! staff's (ops and admin), orders are either's (a buyer sees its company's only). The
//! extractors are the command API's too: `service_http::caller`.

pub use service_http::caller::{Buyer, Caller, Staff};
