//! The bodies media commands answer with: a medium as its list holds it, and the whole list.

use domain::media::{Audience, MediaKind, MediaList, MediaOwner, MediaRole, MediaType, Medium, Variant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One attached medium as the write side holds it (keys, not URLs: the query API serves URLs).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MediumBody {
    pub id: Uuid,
    pub owner: MediaOwner,
    pub kind: MediaKind,
    pub role: MediaRole,
    /// Its index in the owner's list (0 first).
    #[schema(minimum = 0)]
    pub position: u32,
    /// The content-addressed key of its object in the bucket.
    pub key: String,
    /// Lowercase hex SHA-256 of its bytes.
    pub sha256: String,
    #[schema(minimum = 1)]
    pub size: u64,
    /// The type found in its bytes.
    pub content_type: MediaType,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub filename: String,
    pub title: Option<String>,
    pub alt: Option<String>,
    pub language: Option<String>,
    pub audience: Audience,
    /// Finished image variants (empty until the variant worker records them).
    pub variants: Vec<Variant>,
    /// The upload that brought its current object.
    pub upload_id: Uuid,
}

impl MediumBody {
    pub fn of(owner: MediaOwner, position: usize, m: &Medium) -> MediumBody {
        MediumBody {
            id: m.id,
            owner,
            kind: m.kind(),
            role: m.role,
            position: position as u32,
            key: m.object.key.clone(),
            sha256: m.object.sha256.clone(),
            size: m.object.size,
            content_type: m.object.media_type,
            width: m.object.width,
            height: m.object.height,
            filename: m.filename.clone(),
            title: m.details.title.clone(),
            alt: m.details.alt.clone(),
            language: m.details.language.clone(),
            audience: m.details.audience,
            variants: m.variants.clone(),
            upload_id: m.upload_id,
        }
    }

    /// The medium `id` of `list`, if attached.
    pub fn in_list(list: &MediaList, id: Uuid) -> Option<MediumBody> {
        list.media.iter().position(|m| m.id == id).map(|i| MediumBody::of(list.owner, i, &list.media[i]))
    }
}

/// An owner's attached media in display order.
#[derive(Serialize, ToSchema)]
pub struct MediaListBody {
    pub owner: MediaOwner,
    pub media: Vec<MediumBody>,
    /// The version of the owner's media list (for `expected_version`); 0 before its first medium.
    #[schema(minimum = 0)]
    pub version: i64,
}

impl MediaListBody {
    pub fn of(owner: MediaOwner, list: Option<&MediaList>, version: i64) -> MediaListBody {
        let media = list
            .map(|l| l.media.iter().enumerate().map(|(i, m)| MediumBody::of(owner, i, m)).collect())
            .unwrap_or_default();
        MediaListBody { owner, media, version }
    }
}
