//! Given / when / then over events for media: the owner's list is folded from given events, the
//! command is decided, the exact events (or the refusal) are checked, and the decided events fold
//! on top of the given ones.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::error::DomainError;
use crate::events::{replay, Aggregate, Change, Event, NewEvent, StreamType};

const BEARING: Uuid = Uuid::from_u128(0xB1);
const PHOTO: Uuid = Uuid::from_u128(0x1001);
const SIDE: Uuid = Uuid::from_u128(0x1002);
const SHEET: Uuid = Uuid::from_u128(0x1003);

fn owner() -> MediaOwner {
    MediaOwner { owner_type: OwnerType::Product, id: BEARING }
}

fn object(media_type: MediaType, fill: char) -> StoredObject {
    let sha256: String = std::iter::repeat_n(fill, 64).collect();
    let (width, height) = match media_type.kind() {
        MediaKind::Image => (Some(1200), Some(900)),
        MediaKind::Document => (None, None),
    };
    StoredObject { key: content_key(&sha256, media_type), sha256, size: 1234, media_type, width, height }
}

fn medium(id: Uuid, role: MediaRole, object: StoredObject) -> NewMedium {
    NewMedium {
        medium_id: id,
        upload_id: Uuid::from_u128(id.as_u128() + 0x100),
        role,
        filename: format!("{}.{}", id.simple(), object.media_type.extension()),
        object,
        details: Details::default(),
    }
}

/// The list after the given events (None when there are none).
fn given(events: &[NewEvent]) -> Option<MediaList> {
    match replay(media_id(owner()), events.iter().map(|e| &e.event)).unwrap() {
        None => None,
        Some(Aggregate::Media(list)) => Some(list),
        Some(other) => panic!("not a media list: {other:?}"),
    }
}

/// Decides on the given events and folds the result on top: the events and the list after.
fn when(
    history: &[NewEvent],
    decide: impl FnOnce(Option<&MediaList>) -> Result<Vec<NewEvent>, DomainError>,
) -> Result<(Vec<NewEvent>, MediaList), DomainError> {
    let decided = decide(given(history).as_ref())?;
    let all: Vec<NewEvent> = history.iter().chain(&decided).cloned().collect();
    Ok((decided, given(&all).unwrap()))
}

fn attached_photo_and_side() -> Vec<NewEvent> {
    let (mut events, _) =
        when(&[], |l| attach(l, owner(), medium(PHOTO, MediaRole::Primary, object(MediaType::Jpeg, 'a')))).unwrap();
    let (more, _) =
        when(&events, |l| attach(l, owner(), medium(SIDE, MediaRole::Gallery, object(MediaType::Png, 'b')))).unwrap();
    events.extend(more);
    events
}

#[test]
fn the_first_attach_opens_the_owners_media_stream() {
    let (events, list) =
        when(&[], |l| attach(l, owner(), medium(PHOTO, MediaRole::Primary, object(MediaType::Jpeg, 'a')))).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event, Event::MediaOpened { owner: owner() });
    assert!(events.iter().all(|e| e.stream_type == StreamType::Media && e.stream_id == media_id(owner())));
    assert!(matches!(&events[1].event, Event::MediumAttached(a) if a.medium_id == PHOTO && a.position == 0));
    assert_eq!(list.order(), vec![PHOTO]);
    assert_eq!(list.primary().map(|m| m.id), Some(PHOTO));
}

#[test]
fn a_new_primary_goes_first_and_demotes_the_old_one_to_the_gallery() {
    let history = attached_photo_and_side();
    let newer = Uuid::from_u128(0x1009);
    let (events, list) =
        when(&history, |l| attach(l, owner(), medium(newer, MediaRole::Primary, object(MediaType::Webp, 'c'))))
            .unwrap();
    assert_eq!(
        events[0].event,
        Event::MediumDetailsChanged {
            medium_id: PHOTO,
            changes: DetailsChanges {
                role: Some(Change { from: MediaRole::Primary, to: MediaRole::Gallery }),
                ..DetailsChanges::default()
            }
        }
    );
    assert_eq!(list.order(), vec![newer, PHOTO, SIDE]);
    assert_eq!(list.media.iter().filter(|m| m.role == MediaRole::Primary).count(), 1);
}

#[test]
fn a_datasheet_must_be_a_document_and_a_gallery_image_an_image() {
    let refused = when(&[], |l| attach(l, owner(), medium(SHEET, MediaRole::Datasheet, object(MediaType::Png, 'd'))));
    assert!(matches!(refused, Err(DomainError::Invalid(e)) if e[0].field == "role" && e[0].code == "role_mismatch"));
    let refused = when(&[], |l| attach(l, owner(), medium(SHEET, MediaRole::Gallery, object(MediaType::Pdf, 'd'))));
    assert!(matches!(refused, Err(DomainError::Invalid(_))));
    assert!(when(&[], |l| attach(l, owner(), medium(SHEET, MediaRole::Drawing, object(MediaType::Dxf, 'd')))).is_ok());
}

#[test]
fn reordering_names_every_attached_medium_once() {
    let history = attached_photo_and_side();
    let (events, list) = when(&history, |l| reorder(l, owner(), &[SIDE, PHOTO])).unwrap();
    assert_eq!(
        events[0].event,
        Event::MediumReordered { order: Change { from: vec![PHOTO, SIDE], to: vec![SIDE, PHOTO] } }
    );
    assert_eq!(list.order(), vec![SIDE, PHOTO]);

    let (unchanged, _) = when(&history, |l| reorder(l, owner(), &[PHOTO, SIDE])).unwrap();
    assert!(unchanged.is_empty());
    let repeated = when(&history, |l| reorder(l, owner(), &[PHOTO, SIDE, SIDE]));
    assert!(matches!(repeated, Err(DomainError::Invalid(e)) if e[0].code == "invalid_order"));
    // An order of another list than the current one (a medium missing, or one not attached) is a
    // conflict with the state: the client reloads the list.
    for stale in [vec![PHOTO], vec![PHOTO, SIDE, SHEET]] {
        let refused = when(&history, |l| reorder(l, owner(), &stale));
        assert!(matches!(refused, Err(DomainError::Conflict(m)) if m.contains("every attached medium")), "{stale:?}");
    }
}

#[test]
fn a_detached_medium_cannot_be_reordered_replaced_or_detached_again() {
    let mut history = attached_photo_and_side();
    let (detached, list) = when(&history, |l| detach(l, SIDE)).unwrap();
    assert!(matches!(&detached[0].event, Event::MediumDetached { medium_id, object, .. }
        if *medium_id == SIDE && object.media_type == MediaType::Png));
    assert_eq!(list.order(), vec![PHOTO]);
    history.extend(detached);

    assert!(matches!(when(&history, |l| reorder(l, owner(), &[SIDE, PHOTO])), Err(DomainError::Conflict(_))));
    assert!(matches!(when(&history, |l| detach(l, SIDE)), Err(DomainError::Conflict(_))));
    let again = when(&history, |l| replace(l, SIDE, object(MediaType::Png, 'e'), "x.png".into(), Uuid::nil()));
    assert!(matches!(again, Err(DomainError::Conflict(_))));
    assert!(matches!(when(&history, |l| detach(l, SHEET)), Err(DomainError::NotFound { .. })));
    assert!(matches!(when(&[], |l| detach(l, SHEET)), Err(DomainError::NotFound { .. })));
}

#[test]
fn replacing_keeps_the_id_role_and_position_and_forgets_the_variants() {
    let mut history = attached_photo_and_side();
    let source = object(MediaType::Jpeg, 'a');
    let variant = Variant { width: 160, height: 120, format: VariantFormat::Webp, key: "v".into(), size: 10 };
    let (recorded, list) = when(&history, |l| record_variants(l, PHOTO, &source.sha256, 1, vec![variant])).unwrap();
    assert_eq!(list.get(PHOTO).unwrap().variants.len(), 1);
    history.extend(recorded);

    let (events, list) =
        when(&history, |l| replace(l, PHOTO, object(MediaType::Png, 'f'), "new.png".into(), Uuid::from_u128(7)))
            .unwrap();
    assert!(matches!(&events[0].event, Event::MediumReplaced { object, .. } if object.from.sha256 == source.sha256));
    let photo = list.get(PHOTO).unwrap();
    assert_eq!((photo.role, photo.filename.as_str(), photo.variants.len()), (MediaRole::Primary, "new.png", 0));
    assert_eq!(list.order(), vec![PHOTO, SIDE]);

    let refused = when(&history, |l| replace(l, PHOTO, object(MediaType::Pdf, 'g'), "a.pdf".into(), Uuid::nil()));
    assert!(matches!(refused, Err(DomainError::Invalid(_))));
}

#[test]
fn variants_of_a_replaced_or_detached_object_or_recorded_twice_are_a_no_op() {
    let history = attached_photo_and_side();
    let sha = object(MediaType::Jpeg, 'a').sha256;
    let stale: String = "9".repeat(64);
    assert!(record_variants(given(&history).as_ref(), PHOTO, &stale, 1, Vec::new()).unwrap().is_empty());
    assert!(record_variants(given(&history).as_ref(), SHEET, &sha, 1, Vec::new()).unwrap().is_empty());
    let (recorded, _) = when(&history, |l| record_variants(l, PHOTO, &sha, 1, Vec::new())).unwrap();
    assert_eq!(recorded.len(), 1);
    let all: Vec<NewEvent> = history.iter().chain(&recorded).cloned().collect();
    assert!(record_variants(given(&all).as_ref(), PHOTO, &sha, 1, Vec::new()).unwrap().is_empty());
}

#[test]
fn details_change_only_what_differs_and_a_new_primary_demotes_the_old() {
    let history = attached_photo_and_side();
    let patch = DetailsPatch { title: Some(Some("Side view".into())), ..DetailsPatch::default() };
    let (events, list) = when(&history, |l| change_details(l, SIDE, patch)).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(list.get(SIDE).unwrap().details.title.as_deref(), Some("Side view"));

    let same = DetailsPatch { role: Some(MediaRole::Gallery), ..DetailsPatch::default() };
    assert!(when(&history, |l| change_details(l, SIDE, same)).unwrap().0.is_empty());

    let promote = DetailsPatch { role: Some(MediaRole::Primary), ..DetailsPatch::default() };
    let (events, list) = when(&history, |l| change_details(l, SIDE, promote)).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(list.primary().map(|m| m.id), Some(SIDE));
    assert_eq!(list.get(PHOTO).unwrap().role, MediaRole::Gallery);
}

#[test]
fn details_input_is_checked_field_by_field() {
    let input = DetailsInput { title: Some(" "), alt: Some("ok"), language: Some("english"), audience: None };
    let Err(DomainError::Invalid(errors)) = input.parse() else { panic!("accepted") };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["title", "language"]);
    let ok =
        DetailsInput { title: Some("Datasheet"), alt: None, language: Some("EN-gb"), audience: Some(Audience::Buyers) };
    let details = ok.parse().unwrap();
    assert_eq!((details.language.as_deref(), details.audience), (Some("en-GB"), Audience::Buyers));
    assert_eq!(parse_language("l", "zh-hant-TW").unwrap(), "zh-Hant-TW");
}

#[test]
fn a_filename_keeps_its_last_path_segment() {
    assert_eq!(parse_filename("filename", "bolt.jpg").unwrap(), "bolt.jpg");
    for path in [r"C:\scans\bolt.jpg", "../../etc/passwd", "dir/"] {
        assert_eq!(parse_filename("filename", path).unwrap_err().code, "invalid_name", "{path}");
    }
}

#[test]
fn media_streams_of_a_product_and_a_family_with_the_same_id_differ() {
    let family = MediaOwner { owner_type: OwnerType::Family, id: BEARING };
    assert_ne!(media_id(owner()), media_id(family));
    assert_eq!(media_id(owner()), media_id(owner()));
}

proptest! {
    /// Whatever sequence of commands runs, at most one primary stays, the order holds each
    /// attached medium once, and every event round-trips through its stored form.
    #[test]
    fn any_command_sequence_keeps_one_primary_and_a_clean_order(ops in proptest::collection::vec((0u8..5, 0u128..6, 0u8..5), 1..40)) {
        let roles = [MediaRole::Primary, MediaRole::Gallery, MediaRole::Datasheet, MediaRole::Drawing, MediaRole::Certificate];
        let mut history: Vec<NewEvent> = Vec::new();
        for (op, which, role) in ops {
            let id = Uuid::from_u128(0x2000 + which);
            let role = roles[role as usize];
            let current = given(&history);
            let decided = match op {
                0 => {
                    let t = if role.accepts(MediaKind::Image) { MediaType::Jpeg } else { MediaType::Pdf };
                    attach(current.as_ref(), owner(), medium(id, role, object(t, 'a')))
                }
                1 => detach(current.as_ref(), id),
                2 => {
                    let mut order = current.as_ref().map(MediaList::order).unwrap_or_default();
                    order.reverse();
                    reorder(current.as_ref(), owner(), &order)
                }
                3 => change_details(current.as_ref(), id, DetailsPatch { role: Some(role), ..DetailsPatch::default() }),
                _ => record_variants(current.as_ref(), id, &"a".repeat(64), 1, Vec::new()),
            };
            if let Ok(events) = decided {
                for e in &events {
                    let back = Event::from_stored(e.event.type_name(), crate::events::SCHEMA_VERSION, &e.event.payload()).unwrap();
                    prop_assert_eq!(&back, &e.event);
                }
                history.extend(events);
            }
            if let Some(list) = given(&history) {
                prop_assert!(list.media.iter().filter(|m| m.role == MediaRole::Primary).count() <= 1);
                let ids: std::collections::BTreeSet<Uuid> = list.order().into_iter().collect();
                prop_assert_eq!(ids.len(), list.media.len());
                prop_assert!(list.media.iter().all(|m| m.role.accepts(m.kind()) && !list.detached.contains(&m.id)));
            }
        }
    }
}
