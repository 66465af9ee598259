//! An owner's media list, the aggregate of a `media` stream: the attached media in display order.
//!
//! Why one stream per owner (`media_id(owner)`) rather than events on the product's or family's
//! stream, or a stream per medium:
//! - The variant worker appends after the upload, asynchronously; on the product's stream it
//!   would race every admin edit into a 409, and the product's state would carry its pictures.
//! - Order and "at most one primary image" are properties of the list: a reorder decides against
//!   the whole list and is one event, with optimistic concurrency on one stream.
//!
//! Retiring a product leaves its media stream as it is, so its media stay in its history.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::types::{Audience, MediaKind, MediaOwner, MediaRole, StoredObject, Variant};
use crate::events::{not_applicable, Change, Event, EvolveError};

/// One attached medium as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Medium {
    pub id: Uuid,
    pub role: MediaRole,
    pub object: StoredObject,
    /// The client's file name (shown, and used as the download name).
    pub filename: String,
    pub details: Details,
    /// The upload that brought the current object.
    pub upload_id: Uuid,
    /// Finished image variants of the current object (empty until the worker records them).
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// The variant spec the variants were made with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_spec: Option<u16>,
}

impl Medium {
    pub fn kind(&self) -> MediaKind {
        self.object.media_type.kind()
    }
}

/// What an admin says about a medium besides its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Details {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The alternative text of an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// A BCP 47 language tag (`de`, `en-GB`) for a document in one language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default)]
    pub audience: Audience,
}

/// What `MediumDetailsChanged` changed; absent fields stayed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DetailsChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Change<MediaRole>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Change<Audience>>,
}

impl DetailsChanges {
    pub fn is_empty(&self) -> bool {
        self == &DetailsChanges::default()
    }
}

/// The payload of `MediumAttached`: the medium as attached, at its position in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedMedium {
    pub medium_id: Uuid,
    pub role: MediaRole,
    pub object: StoredObject,
    pub filename: String,
    pub details: Details,
    pub upload_id: Uuid,
    /// Its index in the list (0 first).
    pub position: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaList {
    pub id: Uuid,
    pub owner: MediaOwner,
    /// Attached media in display order.
    pub media: Vec<Medium>,
    /// Media once attached and since detached: naming one is a conflict, not an unknown id.
    #[serde(default)]
    pub detached: BTreeSet<Uuid>,
}

impl MediaList {
    pub(crate) fn opened(id: Uuid, owner: MediaOwner) -> MediaList {
        MediaList { id, owner, media: Vec::new(), detached: BTreeSet::new() }
    }

    pub fn get(&self, medium_id: Uuid) -> Option<&Medium> {
        self.media.iter().find(|m| m.id == medium_id)
    }

    fn get_mut(&mut self, medium_id: Uuid, event: &Event) -> Result<&mut Medium, EvolveError> {
        self.media.iter_mut().find(|m| m.id == medium_id).ok_or_else(|| {
            EvolveError(format!("{} names medium {medium_id}, which is not attached", event.type_name()))
        })
    }

    /// The primary image, if one is attached.
    pub fn primary(&self) -> Option<&Medium> {
        self.media.iter().find(|m| m.role == MediaRole::Primary)
    }

    pub fn order(&self) -> Vec<Uuid> {
        self.media.iter().map(|m| m.id).collect()
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<MediaList, EvolveError> {
        match event {
            Event::MediumAttached(a) => {
                let medium = Medium {
                    id: a.medium_id,
                    role: a.role,
                    object: a.object.clone(),
                    filename: a.filename.clone(),
                    details: a.details.clone(),
                    upload_id: a.upload_id,
                    variants: Vec::new(),
                    variant_spec: None,
                };
                let at = (a.position as usize).min(self.media.len());
                self.media.insert(at, medium);
            }
            Event::MediumDetailsChanged { medium_id, changes } => {
                let m = self.get_mut(*medium_id, event)?;
                if let Some(c) = &changes.role {
                    m.role = c.to;
                }
                if let Some(c) = &changes.title {
                    m.details.title.clone_from(&c.to);
                }
                if let Some(c) = &changes.alt {
                    m.details.alt.clone_from(&c.to);
                }
                if let Some(c) = &changes.language {
                    m.details.language.clone_from(&c.to);
                }
                if let Some(c) = &changes.audience {
                    m.details.audience = c.to;
                }
            }
            Event::MediumReordered { order } => {
                let mut media = std::mem::take(&mut self.media);
                for id in &order.to {
                    if let Some(i) = media.iter().position(|m| m.id == *id) {
                        self.media.push(media.remove(i));
                    }
                }
                // Anything the order did not name keeps its relative order at the end.
                self.media.extend(media);
            }
            Event::MediumReplaced { medium_id, object, filename, upload_id } => {
                let m = self.get_mut(*medium_id, event)?;
                m.object = object.to.clone();
                m.filename.clone_from(&filename.to);
                m.upload_id = *upload_id;
                m.variants.clear();
                m.variant_spec = None;
            }
            Event::MediumDetached { medium_id, .. } => {
                self.media.retain(|m| m.id != *medium_id);
                self.detached.insert(*medium_id);
            }
            Event::MediumVariantsRecorded { medium_id, spec, variants, .. } => {
                let m = self.get_mut(*medium_id, event)?;
                m.variants.clone_from(variants);
                m.variant_spec = Some(*spec);
            }
            other => return Err(not_applicable(other, "media")),
        }
        Ok(self)
    }
}
