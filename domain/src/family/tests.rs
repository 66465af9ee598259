//! Given / when / then over events for family codes: the given families hold their codes (as
//! the event store's claims would), a family is created without a code, the code it gets is
//! checked.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::given::*;

use proptest::prelude::*;

use crate::events::Aggregate;

const SOCKET_SCREWS: Uuid = Uuid::from_u128(0x33);

fn screws() -> Vec<NewEvent> {
    vec![
        created("Fasteners", &[FASTENERS]),
        created("Screws", &[FASTENERS, BOLTS]),
        created("Socket screws", &[FASTENERS, BOLTS, SOCKET_SCREWS]),
    ]
}

fn tree(given: &[NewEvent]) -> CategoryTree {
    let states = fold(given);
    let holding: Vec<Uuid> = states
        .iter()
        .filter_map(|a| match a {
            Aggregate::Family(f) => Some(f.category_id),
            _ => None,
        })
        .collect();
    CategoryTree::new(
        states.into_iter().filter_map(|a| match a {
            Aggregate::Category(c) => Some(c),
            _ => None,
        }),
        holding,
    )
}

/// The codes the given families hold: what the command handler reads from the claims.
fn taken(given: &[NewEvent]) -> BTreeSet<FamilyCode> {
    fold(given)
        .into_iter()
        .filter_map(|a| match a {
            Aggregate::Family(f) => Some(f.code),
            _ => None,
        })
        .collect()
}

fn new_family(n: u128, name: &str) -> CreateFamily {
    CreateFamily {
        id: Uuid::from_u128(0x900 + n),
        category_id: SOCKET_SCREWS,
        brand_id: None,
        name: name.into(),
        code: None,
        external_id: None,
    }
}

/// Creates a family without a code on the given catalog; its event and the catalog after it.
fn create_named(given: &[NewEvent], n: u128, name: &str) -> (NewEvent, Vec<NewEvent>) {
    let events = create(&tree(given), None, &taken(given), new_family(n, name)).unwrap();
    assert_eq!(events.len(), 1);
    (events[0].clone(), then(given, &events))
}

fn code_of(event: &NewEvent) -> &str {
    match &event.event {
        Event::FamilyCreated { code, .. } => code.as_str(),
        other => panic!("expected FamilyCreated, got {other:?}"),
    }
}

#[test]
fn a_short_name_keeps_all_its_letters_and_digits() {
    let (event, _) = create_named(&screws(), 1, "DIN 933");
    assert_eq!(event, family_created(Uuid::from_u128(0x901), SOCKET_SCREWS, "DIN 933", "DIN933"));
    assert_eq!(code_of(&create_named(&screws(), 2, "Gear probe 1").0), "GEARPROBE1");
}

#[test]
fn a_long_name_is_abbreviated_keeping_standards_and_numbers_whole() {
    let (din, given) = create_named(&screws(), 1, "Socket head cap screw DIN 912");
    let (iso, _) = create_named(&given, 2, "Socket head cap screw ISO 4762");
    assert_eq!(
        din,
        family_created(Uuid::from_u128(0x901), SOCKET_SCREWS, "Socket head cap screw DIN 912", "SHCSDIN912")
    );
    assert_eq!(code_of(&iso), "SHCSISO4762");
    assert_eq!(code_of(&create_named(&screws(), 3, "Threadlocker, medium strength").0), "TMS");
    assert_eq!(code_of(&create_named(&screws(), 4, "Stainlesssteelwashers DIN 125").0), "STAINLESSSTEELWA");
}

#[test]
fn a_taken_derived_code_gets_the_first_free_suffix() {
    let (first, given) = create_named(&screws(), 1, "Socket head cap screws, steel");
    let (second, given) = create_named(&given, 2, "Socket head cap screws, stainless");
    let (third, given) = create_named(&given, 3, "Socket head cap screws, special");
    assert_eq!([code_of(&first), code_of(&second), code_of(&third)], ["SHCSS", "SHCSS2", "SHCSS3"]);
    // The same name and taken codes decide the same code again.
    let (again, _) = create_named(&given[..given.len() - 1], 3, "Socket head cap screws, special");
    assert_eq!(again, third);
}

#[test]
fn a_code_ending_in_a_digit_is_suffixed_with_letters() {
    let (first, given) = create_named(&screws(), 1, "DIN 912");
    let (second, given) = create_named(&given, 2, "DIN-912");
    let (third, _) = create_named(&given, 3, "din 912");
    assert_eq!([code_of(&first), code_of(&second), code_of(&third)], ["DIN912", "DIN912B", "DIN912C"]);
}

#[test]
fn a_sixteen_character_code_is_cut_to_make_room_for_its_suffix() {
    let (first, given) = create_named(&screws(), 1, "Hexagonsocketscrews");
    let (second, _) = create_named(&given, 2, "Hexagonsocketscrew5");
    assert_eq!([code_of(&first), code_of(&second)], ["HEXAGONSOCKETSCR", "HEXAGONSOCKETSC2"]);
}

#[test]
fn a_given_code_is_used_as_given_even_when_taken() {
    // Its uniqueness is the event store's claim: a taken one is refused there with a 409.
    let given = then(&screws(), &[family_created(Uuid::from_u128(0x901), SOCKET_SCREWS, "DIN 912", "DIN912")]);
    let command = CreateFamily { code: Some("DIN912".into()), ..new_family(2, "Socket head cap screw DIN 912") };
    let events = create(&tree(&given), None, &taken(&given), command).unwrap();
    assert_eq!(code_of(&events[0]), "DIN912");
}

#[test]
fn a_name_whose_every_candidate_is_taken_is_a_conflict() {
    let taken: BTreeSet<FamilyCode> = FamilyCode::candidates("Hex bolts DIN 933").into_iter().collect();
    let found = create(&tree(&screws()), None, &taken, new_family(1, "Hex bolts DIN 933"));
    assert!(matches!(found, Err(DomainError::Conflict(_))), "{found:?}");
}

proptest! {
    #[test]
    fn derived_codes_and_their_candidates_are_valid_and_distinct(name in "\\PC{0,80}") {
        let candidates = FamilyCode::candidates(&name);
        match FamilyCode::derive(&name) {
            Ok(code) => {
                prop_assert_eq!(FamilyCode::parse(code.as_str()), Ok(code.clone()));
                prop_assert_eq!(candidates.first(), Some(&code));
                prop_assert_eq!(candidates.len(), FamilyCode::CANDIDATES);
                for candidate in &candidates {
                    prop_assert_eq!(FamilyCode::parse(candidate.as_str()), Ok(candidate.clone()));
                }
                let distinct: BTreeSet<&FamilyCode> = candidates.iter().collect();
                prop_assert_eq!(distinct.len(), candidates.len());
            }
            Err(_) => prop_assert!(candidates.is_empty()),
        }
    }

    #[test]
    fn families_whose_names_share_a_long_prefix_get_distinct_codes(
        prefix in "[A-Za-z][a-z]{2,9}( [a-z]{1,9}){1,4} ",
        tails in proptest::collection::vec("[A-Za-z0-9 ]{0,12}", 1..30),
    ) {
        let mut given = screws();
        let mut codes = BTreeSet::new();
        for (n, tail) in tails.iter().enumerate() {
            let (event, next) = create_named(&given, n as u128, &format!("{prefix}{tail}"));
            prop_assert!(codes.insert(code_of(&event).to_owned()), "{} twice", code_of(&event));
            given = next;
        }
    }
}
