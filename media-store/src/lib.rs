//! Product media on S3 (issue 16): the bucket client the command and query APIs share, the
//! content sniff and image verification that decide whether an upload is kept, the image variants,
//! and deterministic demo assets. See docs/design/media-plan.md.

mod config;
mod error;
mod store;

pub mod demo;
pub mod sniff;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod variants;
pub mod verify;

pub use config::S3Config;
pub use error::StoreError;
pub use store::{ListedObject, MediaStore, ObjectHead, PresignedPut, PutOptions, DEV_PUBLIC_URL_TTL, IMMUTABLE};
pub use verify::Refusal;
