//! Product terms, price lists and `resolve_price`.

use proptest::prelude::*;

use super::*;
use crate::commerce::price_list::{self, BreakInput, CreatePriceList, PriceBreak};
use crate::commerce::pricing::{resolve_price, PriceError, PriceSource, ResolvedPrice};
use crate::commerce::terms::{self, PurchasingRules, StockPolicy};
use crate::commerce::terms_id;
use crate::events::{Change, StreamType};
use crate::given::{invalid, on, pairs, then};

const CONTRACT: Uuid = Uuid::from_u128(0x71);
const PROMO: Uuid = Uuid::from_u128(0x72);

fn list(id: Uuid, priority: i32, from: Option<&str>, until: Option<&str>, breaks: &[(u32, i64)]) -> PriceList {
    PriceList {
        id,
        name: format!("list {priority}"),
        currency: currency("EUR"),
        priority,
        valid_from: from.map(day),
        valid_until: until.map(day),
        entries: [(
            BOLT,
            breaks.iter().map(|(q, p)| PriceBreak { min_quantity: qty(*q), unit_price: eur(*p) }).collect(),
        )]
        .into(),
        companies: [ACME].into(),
    }
}

fn resolve(lists: &[PriceList], quantity: u32, today: &str) -> Result<ResolvedPrice, PriceError> {
    resolve_price(Some(eur(1000)), lists, ACME, BOLT, qty(quantity), day(today))
}

fn from_list(id: Uuid, min: u32, unit: i64) -> ResolvedPrice {
    ResolvedPrice { unit: eur(unit), source: PriceSource::PriceList { price_list_id: id, min_quantity: qty(min) } }
}

#[test]
fn given_no_terms_when_a_list_price_is_set_then_the_terms_stream_opens_and_holds_it() {
    let bolt = product(BOLT, "B-1");
    let decided = accepted(terms::set_list_price(&bolt, None, Some(eur(1299))));
    let id = terms_id(BOLT);
    assert_eq!(
        decided,
        [
            on(id, StreamType::ProductTerms, Event::ProductTermsOpened { product_id: BOLT }),
            on(id, StreamType::ProductTerms, Event::ListPriceSet { price: Change { from: None, to: Some(eur(1299)) } }),
        ]
    );
    let terms = terms_of(&decided, id);
    assert_eq!((terms.list_price, terms.rules), (Some(eur(1299)), PurchasingRules::default()));
    assert!(accepted(terms::set_list_price(&bolt, Some(&terms), Some(eur(1299)))).is_empty());
    assert!(conflict(terms::set_list_price(&retired(bolt), Some(&terms), None)).contains("retired"));
    assert_stored_round_trip(&decided);
}

#[test]
fn purchasing_rules_list_every_bad_number_and_the_minimum_is_whole_packs() {
    let errors = invalid(PurchasingRules::parse(0, -1, StockPolicy::Refuse).map(|_| Vec::new()));
    assert_eq!(errors, pairs(&[("minimum_quantity", "invalid_quantity"), ("order_increment", "invalid_quantity")]));
    let errors = invalid(PurchasingRules::parse(15, 10, StockPolicy::Refuse).map(|_| Vec::new()));
    assert_eq!(errors, pairs(&[("minimum_quantity", "minimum_not_whole_packs")]));
    let rules = PurchasingRules::parse(20, 10, StockPolicy::Backorder).unwrap();
    assert_eq!(rules.check("q", qty(10)).unwrap_err().code, "below_minimum_quantity");
    let odd = rules.check("q", qty(25)).unwrap_err();
    assert_eq!((odd.code.as_str(), odd.message.contains("20 or 30")), ("not_whole_packs", true));
    assert!(rules.check("q", qty(20)).is_ok() && rules.check("q", qty(530)).is_ok());

    let bolt = product(BOLT, "B-1");
    let decided = accepted(terms::set_rules(&bolt, None, rules));
    assert_eq!(terms_of(&decided, terms_id(BOLT)).rules, rules);
    let terms = terms_of(&decided, terms_id(BOLT));
    assert!(accepted(terms::set_rules(&bolt, Some(&terms), rules)).is_empty());
}

#[test]
fn a_price_list_lists_every_bad_field_when_created() {
    let command = CreatePriceList {
        id: CONTRACT,
        name: " ".into(),
        currency: "eur".into(),
        priority: 5000,
        valid_from: Some(day("2025-02-01")),
        valid_until: Some(day("2025-01-01")),
    };
    assert_eq!(
        invalid(price_list::create(command)),
        pairs(&[
            ("name", "invalid_name"),
            ("currency", "invalid_currency"),
            ("priority", "invalid_priority"),
            ("valid_until", "ends_before_start")
        ])
    );
}

fn created() -> Vec<NewEvent> {
    accepted(price_list::create(CreatePriceList {
        id: CONTRACT,
        name: "ACME contract".into(),
        currency: "EUR".into(),
        priority: 10,
        valid_from: Some(day("2025-01-01")),
        valid_until: None,
    }))
}

#[test]
fn given_a_price_list_when_entries_are_set_assigned_and_rescheduled_then_it_folds_to_them() {
    let given = created();
    let list = list_of(&given, CONTRACT);
    let breaks =
        [BreakInput { min_quantity: 1, amount_minor: 900 }, BreakInput { min_quantity: 50, amount_minor: 800 }];
    let entry = accepted(price_list::set_entry(&list, &product(BOLT, "B-1"), &breaks));
    let assigned = accepted(price_list::assign(&list, &acme()));
    let rescheduled = accepted(price_list::reschedule(&list, None, Some(day("2025-12-31"))));
    let prioritized = accepted(price_list::prioritize(&list, 20));
    let all = [given, entry, assigned, rescheduled, prioritized].concat();
    let after = list_of(&all, CONTRACT);
    assert_eq!(after.entries[&BOLT].len(), 2);
    assert_eq!((after.companies.len(), after.priority, after.valid_from), (1, 20, None));
    assert!(after.valid_on(day("2025-12-31")) && !after.valid_on(day("2026-01-01")));
    assert!(accepted(price_list::assign(&after, &acme())).is_empty());
    assert!(accepted(price_list::set_entry(&after, &product(BOLT, "B-1"), &breaks)).is_empty());
    let removed = accepted(price_list::remove_entry(&after, BOLT));
    let unassigned = accepted(price_list::unassign(&after, ACME));
    let end = list_of(&then(&all, &[removed, unassigned].concat()), CONTRACT);
    assert!(end.entries.is_empty() && end.companies.is_empty());
    assert!(matches!(price_list::remove_entry(&end, BOLT), Err(DomainError::NotFound { .. })));
    assert!(accepted(price_list::unassign(&end, ACME)).is_empty());
    assert_stored_round_trip(&all);
}

#[test]
fn price_list_refusals_name_every_bad_break_and_disabled_companies() {
    let list = list_of(&created(), CONTRACT);
    let bad = [
        BreakInput { min_quantity: 10, amount_minor: 900 },
        BreakInput { min_quantity: 10, amount_minor: 800 },
        BreakInput { min_quantity: 50, amount_minor: 950 },
        BreakInput { min_quantity: 0, amount_minor: -1 },
    ];
    assert_eq!(
        invalid(price_list::set_entry(&list, &product(BOLT, "B-1"), &bad)),
        pairs(&[
            ("breaks[1].min_quantity", "breaks_not_rising"),
            ("breaks[2].amount_minor", "break_dearer"),
            ("breaks[3].min_quantity", "invalid_quantity"),
            ("breaks[3].amount_minor", "negative_price"),
        ])
    );
    assert_eq!(invalid(price_list::set_entry(&list, &product(BOLT, "B-1"), &[])), pairs(&[("breaks", "break_count")]));
    let one = [BreakInput { min_quantity: 1, amount_minor: 1 }];
    assert!(conflict(price_list::set_entry(&list, &retired(product(BOLT, "B-1")), &one)).contains("retired"));
    let closed = Company { disabled: true, ..acme() };
    assert!(conflict(price_list::assign(&list, &closed)).contains("disabled"));
    assert_eq!(invalid(price_list::prioritize(&list, -1)), pairs(&[("priority", "invalid_priority")]));
    let backwards = price_list::reschedule(&list, Some(day("2025-02-01")), Some(day("2025-01-01")));
    assert_eq!(invalid(backwards), pairs(&[("valid_until", "ends_before_start")]));
}

#[test]
fn the_list_price_applies_when_no_list_does() {
    assert_eq!(resolve(&[], 5, "2025-06-01"), Ok(ResolvedPrice { unit: eur(1000), source: PriceSource::ListPrice }));
    assert_eq!(resolve_price(None, &[], ACME, BOLT, qty(1), day("2025-06-01")), Err(PriceError::NoPrice(BOLT)));
    let other = PriceList { companies: [Uuid::from_u128(9)].into(), ..list(CONTRACT, 10, None, None, &[(1, 500)]) };
    assert_eq!(resolve(&[other], 5, "2025-06-01").unwrap().source, PriceSource::ListPrice);
}

#[test]
fn the_largest_break_at_or_below_the_quantity_is_taken() {
    let contract = list(CONTRACT, 10, None, None, &[(1, 900), (50, 800), (500, 700)]);
    let lists = [contract];
    assert_eq!(resolve(&lists, 1, "2025-06-01"), Ok(from_list(CONTRACT, 1, 900)));
    assert_eq!(resolve(&lists, 49, "2025-06-01"), Ok(from_list(CONTRACT, 1, 900)));
    assert_eq!(resolve(&lists, 50, "2025-06-01"), Ok(from_list(CONTRACT, 50, 800)));
    assert_eq!(resolve(&lists, 10_000, "2025-06-01"), Ok(from_list(CONTRACT, 500, 700)));
    let bulk_only = [list(CONTRACT, 10, None, None, &[(50, 800)])];
    assert_eq!(resolve(&bulk_only, 49, "2025-06-01").unwrap().source, PriceSource::ListPrice);
}

#[test]
fn the_highest_priority_valid_list_wins_and_expired_or_future_lists_never_do() {
    let contract = list(CONTRACT, 10, Some("2025-01-01"), Some("2025-12-31"), &[(1, 900)]);
    let promo = list(PROMO, 20, Some("2025-06-01"), Some("2025-06-30"), &[(1, 950)]);
    let lists = [contract, promo];
    assert_eq!(resolve(&lists, 1, "2025-06-15"), Ok(from_list(PROMO, 1, 950)));
    assert_eq!(resolve(&lists, 1, "2025-06-30"), Ok(from_list(PROMO, 1, 950)));
    assert_eq!(resolve(&lists, 1, "2025-07-01"), Ok(from_list(CONTRACT, 1, 900)));
    assert_eq!(resolve(&lists, 1, "2024-12-31").unwrap().source, PriceSource::ListPrice);
}

#[test]
fn equal_priorities_are_broken_by_the_lower_price_then_the_smaller_id_in_any_order() {
    let a = list(PROMO, 10, None, None, &[(1, 900)]);
    let b = list(CONTRACT, 10, None, None, &[(1, 900)]);
    let c = list(Uuid::from_u128(0x70), 10, None, None, &[(1, 950)]);
    let forward = [a.clone(), b.clone(), c.clone()];
    let backward = [c, b, a];
    assert_eq!(resolve(&forward, 1, "2025-06-01"), Ok(from_list(CONTRACT, 1, 900)));
    assert_eq!(resolve(&backward, 1, "2025-06-01"), Ok(from_list(CONTRACT, 1, 900)));
}

#[test]
fn a_winning_list_in_another_currency_is_an_error_never_a_silent_fallback() {
    let mut usd = list(CONTRACT, 10, None, None, &[(1, 900)]);
    usd.currency = currency("USD");
    for breaks in usd.entries.values_mut() {
        breaks[0].unit_price = Money::new(900, currency("USD"));
    }
    let expected =
        PriceError::CurrencyMismatch { price_list_id: CONTRACT, list: currency("USD"), product: currency("EUR") };
    assert_eq!(resolve(&[usd.clone()], 1, "2025-06-01"), Err(expected));
    let priced = resolve_price(None, &[usd], ACME, BOLT, qty(1), day("2025-06-01")).unwrap();
    assert_eq!(priced.unit.currency, currency("USD"));
}

fn arbitrary_list() -> impl Strategy<Value = PriceList> {
    let breaks = proptest::collection::btree_map(1u32..1000, 1i64..10_000, 1..4);
    (0i32..4, proptest::option::of(0u32..60), proptest::option::of(0u32..60), breaks, any::<bool>()).prop_map(
        |(priority, from, until, breaks, assigned)| {
            let start = day("2025-01-01");
            // Unit prices that never rise with the quantity, as `set_entry` keeps them.
            let mut prices: Vec<i64> = breaks.values().copied().collect();
            prices.sort_unstable_by(|a, b| b.cmp(a));
            let breaks: Vec<(u32, i64)> = breaks.keys().copied().zip(prices).collect();
            let mut l = list(CONTRACT, priority, None, None, &breaks);
            l.valid_from = from.map(|d| start + chrono::Days::new(d.into()));
            l.valid_until = until.map(|d| start + chrono::Days::new(d.into()));
            if !assigned {
                l.companies.clear();
            }
            l
        },
    )
}

proptest! {
    #[test]
    fn the_resolved_price_comes_from_an_eligible_list_of_top_priority_at_its_largest_fitting_break(
        lists in proptest::collection::vec(arbitrary_list(), 0..5), quantity in 1u32..1200, offset in 0u64..60,
    ) {
        let today = day("2025-01-01") + chrono::Days::new(offset);
        let lists: Vec<PriceList> =
            lists.into_iter().zip(0x100u128..).map(|(l, id)| PriceList { id: Uuid::from_u128(id), ..l }).collect();
        let resolved = resolve_price(Some(eur(5000)), &lists, ACME, BOLT, qty(quantity), today).unwrap();
        let fits = |l: &PriceList| l.companies.contains(&ACME) && l.valid_on(today)
            && l.entries[&BOLT].iter().any(|b| b.min_quantity <= qty(quantity));
        match resolved.source {
            PriceSource::ListPrice => prop_assert!(!lists.iter().any(fits)),
            PriceSource::PriceList { price_list_id, min_quantity } => {
                let winner = lists.iter().find(|l| l.id == price_list_id && fits(l)).unwrap();
                prop_assert!(lists.iter().filter(|l| fits(l)).all(|l| l.priority <= winner.priority));
                let best = winner.entries[&BOLT].iter().filter(|b| b.min_quantity <= qty(quantity)).max_by_key(|b| b.min_quantity).unwrap();
                prop_assert_eq!((best.min_quantity, best.unit_price), (min_quantity, resolved.unit));
            }
        }
        let mut reversed = lists.clone();
        reversed.reverse();
        prop_assert_eq!(resolve_price(Some(eur(5000)), &reversed, ACME, BOLT, qty(quantity), today).unwrap(), resolved);
    }

    #[test]
    fn within_one_list_a_larger_quantity_never_costs_more_per_unit(list in arbitrary_list(), a in 1u32..1200, b in 1u32..1200) {
        let list = PriceList { valid_from: None, valid_until: None, companies: [ACME].into(), ..list };
        let first = list.entries[&BOLT][0].min_quantity.get();
        let (small, large) = (a.min(b).max(first), a.max(b).max(first));
        let lists = [list];
        let price = |q: u32| resolve_price(None, &lists, ACME, BOLT, qty(q), day("2025-01-01")).unwrap().unit.amount_minor;
        prop_assert!(price(small) >= price(large));
    }
}
