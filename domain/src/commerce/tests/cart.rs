//! The buyer's cart: add, change quantity, remove, flags for retired products.

use super::*;
use crate::commerce::cart::{self, CartLine, ReviewedLine};
use crate::commerce::cart_id;
use crate::commerce::terms::{PurchasingRules, StockPolicy};
use crate::events::{Change, StreamType};
use crate::given::{invalid, on, pairs, then};

fn packs_of_10() -> ProductTerms {
    ProductTerms {
        id: Uuid::nil(),
        product_id: BOLT,
        list_price: Some(eur(100)),
        rules: PurchasingRules::parse(20, 10, StockPolicy::Refuse).unwrap(),
    }
}

fn with_bolts(n: i64) -> Vec<NewEvent> {
    accepted(cart::add_line(None, &buyer(), &product(BOLT, "B-1"), None, n))
}

#[test]
fn given_no_cart_when_a_buyer_adds_a_line_then_the_buyers_cart_opens_with_it() {
    let decided = with_bolts(3);
    let id = cart_id(BUYER);
    assert_eq!(
        decided,
        [
            on(id, StreamType::Cart, Event::CartOpened { buyer_id: BUYER, company_id: ACME }),
            on(id, StreamType::Cart, Event::CartLineAdded { product_id: BOLT, quantity: qty(3) }),
        ]
    );
    assert_eq!(cart_of(&decided, id).lines, [CartLine { product_id: BOLT, quantity: qty(3) }]);
    assert_eq!(cart_id(BUYER), id, "the id is derived, so a buyer has one cart");
    assert_ne!(cart_id(Uuid::from_u128(0xB1)), id);
}

#[test]
fn given_a_line_when_the_same_product_is_added_again_then_its_quantity_rises() {
    let given = with_bolts(3);
    let cart = cart_of(&given, cart_id(BUYER));
    let decided = accepted(cart::add_line(Some(&cart), &buyer(), &product(BOLT, "B-1"), None, 2));
    let change = Change { from: qty(3), to: qty(5) };
    assert_eq!(events(&decided), [Event::CartLineQuantityChanged { product_id: BOLT, quantity: change }]);
    let nut = accepted(cart::add_line(Some(&cart), &buyer(), &product(NUT, "N-1"), None, 1));
    let after = cart_of(&then(&then(&given, &decided), &nut), cart_id(BUYER));
    assert_eq!(after.lines.iter().map(|l| l.quantity.get()).collect::<Vec<_>>(), [5, 1]);
}

#[test]
fn the_purchasing_rules_hold_for_every_quantity_a_line_gets() {
    let bolt = product(BOLT, "B-1");
    let terms = packs_of_10();
    let below = cart::add_line(None, &buyer(), &bolt, Some(&terms), 10);
    assert_eq!(invalid(below), pairs(&[("quantity", "below_minimum_quantity")]));
    let given = accepted(cart::add_line(None, &buyer(), &bolt, Some(&terms), 20));
    let cart = cart_of(&given, cart_id(BUYER));
    let odd = cart::add_line(Some(&cart), &buyer(), &bolt, Some(&terms), 5);
    assert_eq!(invalid(odd), pairs(&[("quantity", "not_whole_packs")]));
    assert_eq!(
        invalid(cart::change_quantity(&cart, BOLT, Some(&terms), 25)),
        pairs(&[("quantity", "not_whole_packs")])
    );
    assert_eq!(
        invalid(cart::change_quantity(&cart, BOLT, Some(&terms), 0)),
        pairs(&[("quantity", "invalid_quantity")])
    );
    let changed = accepted(cart::change_quantity(&cart, BOLT, Some(&terms), 30));
    assert_eq!(cart_of(&then(&given, &changed), cart_id(BUYER)).lines[0].quantity, qty(30));
    assert!(accepted(cart::change_quantity(&cart, BOLT, Some(&terms), 20)).is_empty());
}

#[test]
fn a_retired_product_staff_and_disabled_buyers_cannot_add_lines() {
    let bolt = product(BOLT, "B-1");
    assert!(conflict(cart::add_line(None, &buyer(), &retired(bolt.clone()), None, 1)).contains("retired"));
    let staff = User { role: Role::Ops, company_id: None, ..buyer() };
    assert!(conflict(cart::add_line(None, &staff, &bolt, None, 1)).contains("buyers"));
    let gone = User { disabled: true, ..buyer() };
    assert!(conflict(cart::add_line(None, &gone, &bolt, None, 1)).contains("disabled"));
}

#[test]
fn given_a_line_when_removed_then_it_is_gone_and_removing_it_again_is_not_found() {
    let given = with_bolts(3);
    let cart = cart_of(&given, cart_id(BUYER));
    let removed = accepted(cart::remove_line(&cart, BOLT));
    assert_eq!(events(&removed), [Event::CartLineRemoved { product_id: BOLT, quantity: qty(3) }]);
    let after = cart_of(&then(&given, &removed), cart_id(BUYER));
    assert!(after.lines.is_empty());
    assert!(matches!(cart::remove_line(&after, BOLT), Err(DomainError::NotFound { .. })));
    assert!(matches!(cart::change_quantity(&after, BOLT, None, 2), Err(DomainError::NotFound { .. })));
    assert_stored_round_trip(&then(&given, &removed));
}

#[test]
fn lines_whose_product_was_retired_or_is_gone_are_flagged() {
    let mut given = with_bolts(3);
    let cart = cart_of(&given, cart_id(BUYER));
    given = then(&given, &accepted(cart::add_line(Some(&cart), &buyer(), &product(NUT, "N-1"), None, 1)));
    given = then(
        &given,
        &accepted(cart::add_line(
            Some(&cart_of(&given, cart_id(BUYER))),
            &buyer(),
            &product(Uuid::from_u128(0xA3), "W-1"),
            None,
            1,
        )),
    );
    let cart = cart_of(&given, cart_id(BUYER));
    let catalog = [retired(product(BOLT, "B-1")), product(NUT, "N-1")];
    let reviewed = cart::review(&cart, |id| catalog.iter().find(|p| p.id == id));
    let flags: Vec<bool> = reviewed.iter().map(|l: &ReviewedLine| l.retired).collect();
    assert_eq!(flags, [true, false, true]);
}
