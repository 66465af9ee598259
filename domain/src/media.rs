//! Product media: images and technical documents, attached to a product or a family (whose media
//! serve all its variants). The bytes live in S3; the events say what they are, who attached them
//! and in which order they are shown. See `list` for why an owner's media are one stream.

pub mod decide;
pub mod list;
pub mod types;

#[cfg(test)]
mod tests;

pub use decide::{
    attach, attached, change_details, detach, media_id, parse_filename, parse_language, record_variants, reorder,
    replace, DetailsInput, DetailsPatch, NewMedium,
};
pub use list::{AttachedMedium, Details, DetailsChanges, MediaList, Medium};
pub use types::{
    content_key, variant_key, Audience, MediaKind, MediaOwner, MediaRole, MediaType, OwnerType, StoredObject, Variant,
    VariantFormat,
};
