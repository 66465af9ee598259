//! Stock: receive, adjust, reserve, backorder, allocate, release, ship — and the invariant that
//! nothing is ever reserved beyond what is on hand.

use proptest::prelude::*;

use super::*;
use crate::commerce::stock::{self, AdjustmentReason, Allocation, ReserveError};
use crate::commerce::stock_id;
use crate::commerce::terms::StockPolicy;
use crate::events::{Change, StreamType};
use crate::given::{on, then};

const ORDER_1: Uuid = Uuid::from_u128(0x01);
const ORDER_2: Uuid = Uuid::from_u128(0x02);

fn id() -> Uuid {
    stock_id(BOLT, MAIN)
}

fn received(n: u32) -> Vec<NewEvent> {
    accepted(stock::receive(None, BOLT, MAIN, qty(n)))
}

fn reserve(given: &[NewEvent], order: Uuid, n: u32, policy: StockPolicy) -> Result<Vec<NewEvent>, ReserveError> {
    let current = state(given, id()).map(|_| stock_of(given, id()));
    stock::reserve(current.as_ref(), BOLT, MAIN, order, qty(n), policy)
}

#[test]
fn given_nothing_when_goods_are_received_then_the_stock_opens_with_them_on_hand() {
    let given = received(10);
    assert_eq!(
        given,
        [
            on(id(), StreamType::Stock, Event::StockOpened { product_id: BOLT, warehouse_id: MAIN }),
            on(
                id(),
                StreamType::Stock,
                Event::StockReceived { quantity: qty(10), on_hand: Change { from: 0, to: 10 } }
            ),
        ]
    );
    let more = accepted(stock::receive(Some(&stock_of(&given, id())), BOLT, MAIN, qty(5)));
    assert_eq!(stock_of(&then(&given, &more), id()).on_hand, 15);
}

#[test]
fn given_stock_when_reserved_within_what_is_available_then_it_is_held_for_the_order() {
    let given = received(10);
    let decided = reserve(&given, ORDER_1, 7, StockPolicy::Refuse).unwrap();
    let event = Event::StockReserved { order_id: ORDER_1, quantity: qty(7), reserved: Change { from: 0, to: 7 } };
    assert_eq!(events(&decided), [event]);
    let after = stock_of(&then(&given, &decided), id());
    assert_eq!((after.available(), after.orders[&ORDER_1]), (3, Allocation { reserved: 7, backordered: 0 }));
    let all = then(&given, &decided);
    assert_eq!(reserve(&all, ORDER_1, 1, StockPolicy::Refuse), Err(ReserveError::AlreadyReserved(ORDER_1)));
}

#[test]
fn given_too_little_stock_when_the_policy_refuses_then_the_reservation_is_refused() {
    let given = then(&received(10), &reserve(&received(10), ORDER_1, 7, StockPolicy::Refuse).unwrap());
    assert_eq!(
        reserve(&given, ORDER_2, 4, StockPolicy::Refuse),
        Err(ReserveError::Insufficient { available: 3, requested: qty(4) })
    );
    assert_eq!(
        reserve(&[], ORDER_2, 1, StockPolicy::Refuse),
        Err(ReserveError::Insufficient { available: 0, requested: qty(1) })
    );
}

#[test]
fn given_too_little_stock_when_the_policy_backorders_then_the_rest_waits_and_is_allocated_on_receipt() {
    let given = received(3);
    let decided = reserve(&given, ORDER_1, 5, StockPolicy::Backorder).unwrap();
    assert_eq!(
        events(&decided),
        [
            Event::StockReserved { order_id: ORDER_1, quantity: qty(3), reserved: Change { from: 0, to: 3 } },
            Event::StockBackordered { order_id: ORDER_1, quantity: qty(2) },
        ]
    );
    let given = then(&given, &decided);
    let restocked = then(&given, &accepted(stock::receive(Some(&stock_of(&given, id())), BOLT, MAIN, qty(10))));
    let allocated = accepted(stock::allocate(&stock_of(&restocked, id()), ORDER_1));
    let event = Event::StockAllocated { order_id: ORDER_1, quantity: qty(2), reserved: Change { from: 3, to: 5 } };
    assert_eq!(events(&allocated), [event]);
    let after = stock_of(&then(&restocked, &allocated), id());
    assert_eq!((after.reserved, after.backordered(), after.available()), (5, 0, 8));
    assert!(accepted(stock::allocate(&after, ORDER_1)).is_empty());
    let from_nothing = reserve(&[], ORDER_2, 4, StockPolicy::Backorder).unwrap();
    assert_eq!(stock_of(&from_nothing, id()).backordered(), 4);
}

#[test]
fn given_a_reservation_when_released_or_shipped_then_only_that_orders_units_move() {
    let mut given = received(10);
    given = then(&given, &reserve(&given, ORDER_1, 4, StockPolicy::Refuse).unwrap());
    given = then(&given, &reserve(&given, ORDER_2, 5, StockPolicy::Refuse).unwrap());
    let stock = stock_of(&given, id());
    let shipped = accepted(stock::ship(&stock, ORDER_1, qty(3)));
    let event = Event::StockShipped {
        order_id: ORDER_1,
        quantity: qty(3),
        on_hand: Change { from: 10, to: 7 },
        reserved: Change { from: 9, to: 6 },
    };
    assert_eq!(events(&shipped), [event]);
    assert!(conflict(stock::ship(&stock, ORDER_1, qty(5))).contains("4 units reserved"));
    let released = stock::release(&stock_of(&then(&given, &shipped), id()), ORDER_2);
    let after = stock_of(&then(&then(&given, &shipped), &released), id());
    assert_eq!((after.on_hand, after.reserved, after.orders.len()), (7, 1, 1));
    assert!(stock::release(&after, ORDER_2).is_empty());
}

#[test]
fn adjustments_need_a_change_and_never_go_below_what_is_reserved() {
    let mut given = received(10);
    given = then(&given, &reserve(&given, ORDER_1, 6, StockPolicy::Refuse).unwrap());
    let stock = stock_of(&given, id());
    let damaged = accepted(stock::adjust(&stock, -4, AdjustmentReason::Damaged));
    let event = Event::StockAdjusted { by: -4, reason: AdjustmentReason::Damaged, on_hand: Change { from: 10, to: 6 } };
    assert_eq!(events(&damaged), [event]);
    assert!(conflict(stock::adjust(&stock, -5, AdjustmentReason::Lost)).contains("below the 6 units reserved"));
    assert!(matches!(stock::adjust(&stock, 0, AdjustmentReason::CycleCount), Err(DomainError::Invalid(_))));
    assert_stored_round_trip(&then(&given, &damaged));
}

#[test]
fn fifty_orders_for_ten_units_reserve_exactly_ten() {
    let mut given = received(10);
    let mut refused = 0;
    for n in 0..50u128 {
        match reserve(&given, Uuid::from_u128(0x1000 + n), 1, StockPolicy::Refuse) {
            Ok(decided) => given = then(&given, &decided),
            Err(ReserveError::Insufficient { .. }) => refused += 1,
            Err(other) => panic!("{other}"),
        }
    }
    let stock = stock_of(&given, id());
    assert_eq!((stock.reserved, stock.available(), stock.orders.len(), refused), (10, 0, 10, 40));
}

#[derive(Clone, Debug)]
enum Op {
    Receive(u32),
    Adjust(i64),
    Reserve(u8, u32, bool),
    Allocate(u8),
    Release(u8),
    Ship(u8, u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u32..20).prop_map(Op::Receive),
        (-20i64..20).prop_map(Op::Adjust),
        (0u8..4, 1u32..20, any::<bool>()).prop_map(|(o, n, b)| Op::Reserve(o, n, b)),
        (0u8..4).prop_map(Op::Allocate),
        (0u8..4).prop_map(Op::Release),
        (0u8..4, 1u32..20).prop_map(|(o, n)| Op::Ship(o, n)),
    ]
}

fn decide(current: Option<&Stock>, op: &Op) -> Result<Vec<NewEvent>, DomainError> {
    let order = |o: u8| Uuid::from_u128(u128::from(o) + 1);
    let policy = |backorder| if backorder { StockPolicy::Backorder } else { StockPolicy::Refuse };
    match (current, op) {
        (current, Op::Receive(n)) => stock::receive(current, BOLT, MAIN, qty(*n)),
        (current, Op::Reserve(o, n, b)) => {
            stock::reserve(current, BOLT, MAIN, order(*o), qty(*n), policy(*b)).map_err(DomainError::from)
        }
        (None, _) => Ok(Vec::new()),
        (Some(s), Op::Adjust(by)) => stock::adjust(s, *by, AdjustmentReason::Correction),
        (Some(s), Op::Allocate(o)) => stock::allocate(s, order(*o)),
        (Some(s), Op::Release(o)) => Ok(stock::release(s, order(*o))),
        (Some(s), Op::Ship(o, n)) => stock::ship(s, order(*o), qty(*n)),
    }
}

proptest! {
    #[test]
    fn no_sequence_of_commands_reserves_more_than_is_on_hand_and_replay_agrees(ops in proptest::collection::vec(op(), 1..40)) {
        let mut log: Vec<NewEvent> = Vec::new();
        let mut current: Option<Stock> = None;
        for op in &ops {
            let Ok(decided) = decide(current.as_ref(), op) else { continue };
            let mut next = current.clone().map(Aggregate::Stock);
            for e in &decided {
                next = Some(crate::events::evolve(next, id(), &e.event).unwrap());
            }
            let Some(Aggregate::Stock(after)) = next else { prop_assert!(decided.is_empty()); continue };
            prop_assert!(after.reserved <= after.on_hand);
            prop_assert_eq!(after.reserved, after.orders.values().map(|a| a.reserved).sum::<u64>());
            let before = current.as_ref().map_or((0, 0), |s| (s.on_hand, s.reserved));
            let moved = |n: u32| u64::from(n);
            match op {
                Op::Receive(n) => prop_assert_eq!(after.on_hand, before.0 + moved(*n)),
                Op::Adjust(by) => prop_assert_eq!(i128::from(after.on_hand), i128::from(before.0) + i128::from(*by)),
                Op::Ship(_, n) => prop_assert_eq!((after.on_hand, after.reserved), (before.0 - moved(*n), before.1 - moved(*n))),
                Op::Reserve(..) | Op::Allocate(_) => prop_assert!(after.reserved >= before.1 && after.on_hand == before.0),
                Op::Release(_) => prop_assert!(after.reserved <= before.1 && after.on_hand == before.0),
            }
            log.extend(decided);
            current = Some(after);
        }
        prop_assert_eq!(current.map(Aggregate::Stock), state(&log, id()));
    }
}
