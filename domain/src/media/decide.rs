//! The media commands: attach, change details, reorder, replace, detach, record variants. Each
//! decides against the owner's whole list; the caller has verified the object in the bucket
//! before it asks (the event never points at a missing object).

use std::collections::BTreeSet;

use uuid::Uuid;

use super::list::{AttachedMedium, Details, DetailsChanges, MediaList, Medium};
use super::types::{Audience, MediaOwner, MediaRole, OwnerType, StoredObject, Variant};
use crate::error::{DomainError, FieldError, Problems};
use crate::events::{Change, Event, NewEvent, StreamType};
use crate::names::parse_name;

/// The namespace of media stream ids (fixed forever: changing it would orphan every media stream).
const NAMESPACE: Uuid = Uuid::from_u128(0x3e9d_2c41_7b0a_4f86_a5d2_6d65_6469_6131);

/// The media stream of a product or a family, derived from its id: found without a lookup, and
/// an owner has at most one.
pub fn media_id(owner: MediaOwner) -> Uuid {
    let kind = match owner.owner_type {
        OwnerType::Product => "product",
        OwnerType::Family => "family",
    };
    Uuid::new_v5(&NAMESPACE, format!("media:{kind}:{}", owner.id.simple()).as_bytes())
}

fn on(list_id: Uuid, event: Event) -> NewEvent {
    NewEvent { stream_id: list_id, stream_type: StreamType::Media, event }
}

pub const FILENAME_MAX: usize = 255;
pub const TITLE_MAX: usize = 200;
pub const ALT_MAX: usize = 500;

/// What `parse_filename` takes, as an ECMA-262 (and Python) regular expression for the OpenAPI
/// documents: a name (see `names::NAME_PATTERN`) without `/` or `\`.
pub const FILENAME_PATTERN: &str = "^[^/\\\\\\u0000-\\u001f\\u007f-\\u009f]*[^/\\\\\\s\\u0000-\\u001f\\u007f-\\u009f][^/\\\\\\u0000-\\u001f\\u007f-\\u009f]*$";

/// What `parse_language` takes, for the OpenAPI documents (with a `maxLength` of 35).
pub const LANGUAGE_PATTERN: &str = "^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$";
pub const LANGUAGE_MAX: usize = 35;

/// A client's file name: its last part only, never a path (`bolt.jpg`, not `C:\scans\bolt.jpg`),
/// so that no stored name can point anywhere.
pub fn parse_filename(field: &str, text: &str) -> Result<String, FieldError> {
    if text.contains(['/', '\\']) {
        return Err(FieldError::new(
            field,
            "invalid_name",
            format!("{field} must be a file name without a folder (no / or \\), such as bolt.jpg"),
        ));
    }
    parse_name(field, text, FILENAME_MAX)
}

/// A BCP 47 language tag, in its usual case (`de`, `en-GB`, `zh-Hant`).
pub fn parse_language(field: &str, text: &str) -> Result<String, FieldError> {
    let mut parts = text.split('-');
    let primary = parts.next().unwrap_or_default();
    let well_formed = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !well_formed || text.len() > LANGUAGE_MAX {
        return Err(FieldError::new(
            field,
            "invalid_language",
            format!("{text:?} is not a language tag such as de or en-GB"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, part) in text.split('-').enumerate() {
        out.push(match (i, part.len()) {
            (0, _) => part.to_ascii_lowercase(),
            (_, 2) => part.to_ascii_uppercase(),
            (_, 4) => {
                let lower = part.to_ascii_lowercase();
                lower[..1].to_ascii_uppercase() + &lower[1..]
            }
            _ => part.to_ascii_lowercase(),
        });
    }
    Ok(out.join("-"))
}

/// Details as a client gives them, checked (`None`: not given).
pub struct DetailsInput<'a> {
    pub title: Option<&'a str>,
    pub alt: Option<&'a str>,
    pub language: Option<&'a str>,
    pub audience: Option<Audience>,
}

impl DetailsInput<'_> {
    pub fn parse(&self) -> Result<Details, DomainError> {
        let mut problems = Problems::default();
        let title = self.title.and_then(|t| problems.check(parse_name("title", t, TITLE_MAX)));
        let alt = self.alt.and_then(|t| problems.check(parse_name("alt", t, ALT_MAX)));
        let language = self.language.and_then(|t| problems.check(parse_language("language", t)));
        problems.finish()?;
        Ok(Details { title, alt, language, audience: self.audience.unwrap_or_default() })
    }
}

/// A verified object to attach as a new medium.
pub struct NewMedium {
    pub medium_id: Uuid,
    pub upload_id: Uuid,
    pub role: MediaRole,
    pub object: StoredObject,
    pub filename: String,
    pub details: Details,
}

/// Whether `role` may hold this object.
pub fn check_role(role: MediaRole, object: &StoredObject) -> Result<(), DomainError> {
    let kind = object.media_type.kind();
    if role.accepts(kind) {
        return Ok(());
    }
    let holds = match role {
        MediaRole::Primary | MediaRole::Gallery => "an image (JPEG, PNG or WebP)",
        MediaRole::Datasheet | MediaRole::Certificate => "a document (PDF, STEP or DXF)",
        MediaRole::Drawing => "an image or a document",
    };
    Err(DomainError::invalid(
        "role",
        "role_mismatch",
        format!("a {} medium is {holds}; this one is {}", role.as_str(), object.media_type.mime()),
    ))
}

/// The events that make a new primary the only one: the current primary becomes a gallery image.
fn demote_primary(list: &MediaList, except: Uuid) -> Option<NewEvent> {
    let current = list.primary().filter(|m| m.id != except)?;
    let changes = DetailsChanges {
        role: Some(Change { from: MediaRole::Primary, to: MediaRole::Gallery }),
        ..DetailsChanges::default()
    };
    Some(on(list.id, Event::MediumDetailsChanged { medium_id: current.id, changes }))
}

/// Attaches a medium at the end of the owner's list (a new primary image goes first and demotes
/// the one before it to the gallery).
pub fn attach(current: Option<&MediaList>, owner: MediaOwner, new: NewMedium) -> Result<Vec<NewEvent>, DomainError> {
    check_role(new.role, &new.object)?;
    let id = media_id(owner);
    let mut events = Vec::new();
    let list = match current {
        Some(list) => list.clone(),
        None => {
            events.push(on(id, Event::MediaOpened { owner }));
            MediaList::opened(id, owner)
        }
    };
    if list.get(new.medium_id).is_some() || list.detached.contains(&new.medium_id) {
        return Err(DomainError::Conflict(format!("medium {} was attached before", new.medium_id)));
    }
    let position = if new.role == MediaRole::Primary { 0 } else { list.media.len() as u32 };
    if new.role == MediaRole::Primary {
        events.extend(demote_primary(&list, new.medium_id));
    }
    events.push(on(
        id,
        Event::MediumAttached(AttachedMedium {
            medium_id: new.medium_id,
            role: new.role,
            object: new.object,
            filename: new.filename,
            details: new.details,
            upload_id: new.upload_id,
            position,
        }),
    ));
    Ok(events)
}

/// The attached medium a command names: unknown is 404, detached is 409.
pub fn attached(current: Option<&MediaList>, medium_id: Uuid) -> Result<&Medium, DomainError> {
    let list = current.ok_or_else(|| DomainError::not_found("medium", medium_id))?;
    if list.detached.contains(&medium_id) {
        return Err(DomainError::Conflict(format!("medium {medium_id} is detached")));
    }
    list.get(medium_id).ok_or_else(|| DomainError::not_found("medium", medium_id))
}

/// What a details change asks for (`None`: unchanged; `Some(None)`: cleared).
#[derive(Default)]
pub struct DetailsPatch {
    pub role: Option<MediaRole>,
    pub title: Option<Option<String>>,
    pub alt: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub audience: Option<Audience>,
}

fn changed<T: PartialEq + Clone>(from: &T, to: Option<T>) -> Option<Change<T>> {
    to.filter(|to| to != from).map(|to| Change { from: from.clone(), to })
}

/// Changes a medium's role or details; nothing when nothing changes.
pub fn change_details(
    current: Option<&MediaList>,
    medium_id: Uuid,
    patch: DetailsPatch,
) -> Result<Vec<NewEvent>, DomainError> {
    let medium = attached(current, medium_id)?;
    if let Some(role) = patch.role {
        check_role(role, &medium.object)?;
    }
    let d = &medium.details;
    let changes = DetailsChanges {
        role: changed(&medium.role, patch.role),
        title: changed(&d.title, patch.title),
        alt: changed(&d.alt, patch.alt),
        language: changed(&d.language, patch.language),
        audience: changed(&d.audience, patch.audience),
    };
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let list = current.ok_or_else(|| DomainError::not_found("medium", medium_id))?;
    let mut events = Vec::new();
    if changes.role.as_ref().is_some_and(|c| c.to == MediaRole::Primary) {
        events.extend(demote_primary(list, medium_id));
    }
    events.push(on(list.id, Event::MediumDetailsChanged { medium_id, changes }));
    Ok(events)
}

/// Puts the attached media in the given order, which must name each of them exactly once.
pub fn reorder(current: Option<&MediaList>, owner: MediaOwner, order: &[Uuid]) -> Result<Vec<NewEvent>, DomainError> {
    let attached_ids: Vec<Uuid> = current.map(MediaList::order).unwrap_or_default();
    for id in order {
        if current.is_some_and(|l| l.detached.contains(id)) {
            return Err(DomainError::Conflict(format!("medium {id} is detached and cannot be ordered")));
        }
    }
    let given: BTreeSet<Uuid> = order.iter().copied().collect();
    if given.len() != order.len() {
        return Err(DomainError::invalid("order", "invalid_order", "order names a medium more than once"));
    }
    let expected: BTreeSet<Uuid> = attached_ids.iter().copied().collect();
    if given != expected {
        let unknown: Vec<String> = given.difference(&expected).map(Uuid::to_string).collect();
        let missing: Vec<String> = expected.difference(&given).map(Uuid::to_string).collect();
        let mut message = String::from("order must name every attached medium exactly once");
        if !unknown.is_empty() {
            message += &format!("; not attached: {}", unknown.join(", "));
        }
        if !missing.is_empty() {
            message += &format!("; missing: {}", missing.join(", "));
        }
        return Err(DomainError::Conflict(message + "; reload the list and order it again"));
    }
    if order == attached_ids.as_slice() {
        return Ok(Vec::new());
    }
    Ok(vec![on(media_id(owner), Event::MediumReordered { order: Change { from: attached_ids, to: order.to_vec() } })])
}

/// Puts a new verified object in place of a medium's (same id, role and position; its variants
/// are made again).
pub fn replace(
    current: Option<&MediaList>,
    medium_id: Uuid,
    object: StoredObject,
    filename: String,
    upload_id: Uuid,
) -> Result<Vec<NewEvent>, DomainError> {
    let medium = attached(current, medium_id)?;
    check_role(medium.role, &object)?;
    let list_id = current.map(|l| l.id).ok_or_else(|| DomainError::not_found("medium", medium_id))?;
    Ok(vec![on(
        list_id,
        Event::MediumReplaced {
            medium_id,
            object: Change { from: medium.object.clone(), to: object },
            filename: Change { from: medium.filename.clone(), to: filename },
            upload_id,
        },
    )])
}

/// Takes a medium off its owner; its objects stay until nothing references them.
pub fn detach(current: Option<&MediaList>, medium_id: Uuid) -> Result<Vec<NewEvent>, DomainError> {
    let medium = attached(current, medium_id)?;
    let list_id = current.map(|l| l.id).ok_or_else(|| DomainError::not_found("medium", medium_id))?;
    Ok(vec![on(
        list_id,
        Event::MediumDetached { medium_id, object: medium.object.clone(), variants: medium.variants.clone() },
    )])
}

/// Records the variants made of a medium's object. Nothing (a finished no-op for the worker) when
/// the medium was detached or replaced meanwhile, or these variants are recorded already.
pub fn record_variants(
    current: Option<&MediaList>,
    medium_id: Uuid,
    sha256: &str,
    spec: u16,
    variants: Vec<Variant>,
) -> Result<Vec<NewEvent>, DomainError> {
    let Some(list) = current else { return Ok(Vec::new()) };
    let Some(medium) = list.get(medium_id) else { return Ok(Vec::new()) };
    if medium.object.sha256 != sha256 || medium.variant_spec.is_some_and(|s| s >= spec) {
        return Ok(Vec::new());
    }
    Ok(vec![on(list.id, Event::MediumVariantsRecorded { medium_id, sha256: sha256.to_owned(), spec, variants })])
}
