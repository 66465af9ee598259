//! The commerce tables: product terms, price lists (with their entries and companies as rows),
//! stock, carts, orders and the orders' status history. Every row keeps its stream's folded state
//! (`state`), loaded again by `apply::load`; the other columns are taken from it, so applying an
//! event twice, or replaying all of them in a rebuild, writes the same rows.

use domain::commerce::order::{Order, OrderStatus};
use domain::{Aggregate, Event};
use event_store::StoredEvent;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{unreadable, ApplyError, Row};

/// One event of an order, as its status history shows it.
#[derive(Debug)]
pub(super) struct HistoryEntry {
    order_id: Uuid,
    version: i64,
    position: i64,
    event_type: String,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_id: String,
    actor_role: String,
    recorded_at: chrono::DateTime<chrono::Utc>,
    details: Value,
}

/// The history entry of an order event (`None` for any other event).
pub(super) fn history_entry(stored: &StoredEvent, event: &Event) -> Option<HistoryEntry> {
    let (from, to, details) = match event {
        Event::OrderPlaced(placed) => (
            None,
            OrderStatus::Placed,
            json!({ "po_number": placed.po_number, "lines": placed.lines.len(), "total": placed.total }),
        ),
        Event::OrderConfirmed { status } | Event::OrderDelivered { status } => {
            (Some(status.from), status.to, json!({}))
        }
        Event::OrderShipped { shipment_id, lines, status } => {
            (Some(status.from), status.to, json!({ "shipment_id": shipment_id, "lines": lines }))
        }
        Event::OrderCancelled { reason, status } => (Some(status.from), status.to, json!({ "reason": reason })),
        _ => return None,
    };
    Some(HistoryEntry {
        order_id: stored.stream_id,
        version: stored.version,
        position: stored.position,
        event_type: stored.event_type.clone(),
        from,
        to,
        actor_id: stored.actor_id.clone(),
        actor_role: stored.actor_role.clone(),
        recorded_at: stored.recorded_at,
        details,
    })
}

/// Column arrays of one commerce table: id, version, position, state, and what is computed here.
#[derive(Default)]
struct Rows {
    ids: Vec<Uuid>,
    versions: Vec<i64>,
    positions: Vec<i64>,
    states: Vec<Value>,
}

impl Rows {
    fn push(&mut self, id: Uuid, row: &Row) -> Result<(), ApplyError> {
        self.ids.push(id);
        self.versions.push(row.version);
        self.positions.push(row.position);
        self.states.push(serde_json::to_value(&row.state).map_err(|e| unreadable(id, e))?);
        Ok(())
    }
}

/// The commerce rows a batch changed, gathered for one upsert per table.
#[derive(Default)]
pub(super) struct Commerce {
    terms: Rows,
    lists: Rows,
    stock: Rows,
    /// Per stock row: available and backordered.
    stock_counts: (Vec<i64>, Vec<i64>),
    carts: Rows,
    orders: Rows,
    /// Per order row: its placed lines with the units shipped of each.
    order_lines: Vec<Value>,
}

impl Commerce {
    /// Takes the row if it is a commerce stream's; false for any other.
    pub(super) fn take(&mut self, id: Uuid, row: &Row) -> Result<bool, ApplyError> {
        match &row.state {
            Aggregate::ProductTerms(_) => self.terms.push(id, row)?,
            Aggregate::PriceList(_) => self.lists.push(id, row)?,
            Aggregate::Stock(stock) => {
                self.stock.push(id, row)?;
                self.stock_counts.0.push(count(stock.available()));
                self.stock_counts.1.push(count(stock.backordered()));
            }
            Aggregate::Cart(_) => self.carts.push(id, row)?,
            Aggregate::Order(order) => {
                self.orders.push(id, row)?;
                self.order_lines.push(order_lines(order));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub(super) async fn write(self, conn: &mut PgConnection, history: &[HistoryEntry]) -> Result<(), ApplyError> {
        write_terms(conn, &self.terms).await?;
        write_lists(conn, &self.lists).await?;
        write_stock(conn, &self.stock, &self.stock_counts).await?;
        write_carts(conn, &self.carts).await?;
        // The history first: an order's placed and updated times are taken from it.
        write_history(conn, history).await?;
        write_orders(conn, &self.orders, &self.order_lines).await
    }
}

fn count(units: u64) -> i64 {
    i64::try_from(units).unwrap_or(i64::MAX)
}

/// The placed lines, each with `shipped` (units shipped so far).
fn order_lines(order: &Order) -> Value {
    let lines: Vec<Value> = order
        .placed
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut value = serde_json::to_value(line).unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut value {
                fields.insert("shipped".into(), order.shipped.get(i).copied().unwrap_or(0).into());
            }
            value
        })
        .collect();
    Value::Array(lines)
}

async fn write_terms(conn: &mut PgConnection, rows: &Rows) -> Result<(), ApplyError> {
    if rows.ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO product_terms (id, product_id, list_price_minor, list_price_currency, minimum_quantity, \
                                    order_increment, stock_policy, version, position, state) \
         SELECT x.id, (x.state->>'product_id')::uuid, (x.state->'list_price'->>'amount_minor')::bigint, \
                x.state->'list_price'->>'currency', (x.state->'rules'->>'minimum')::int, \
                (x.state->'rules'->>'increment')::int, x.state->'rules'->>'stock_policy', \
                x.version, x.position, x.state \
           FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[]) AS x(id, version, position, state) \
         ON CONFLICT (id) DO UPDATE SET list_price_minor = EXCLUDED.list_price_minor, \
                list_price_currency = EXCLUDED.list_price_currency, minimum_quantity = EXCLUDED.minimum_quantity, \
                order_increment = EXCLUDED.order_increment, stock_policy = EXCLUDED.stock_policy, \
                version = EXCLUDED.version, position = EXCLUDED.position, state = EXCLUDED.state",
    )
    .bind(&rows.ids)
    .bind(&rows.versions)
    .bind(&rows.positions)
    .bind(&rows.states)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The lists, then the entries and companies that changed.
async fn write_lists(conn: &mut PgConnection, rows: &Rows) -> Result<(), ApplyError> {
    if rows.ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO price_lists (id, name, currency, priority, valid_from, valid_until, version, position, state) \
         SELECT x.id, x.state->>'name', x.state->>'currency', (x.state->>'priority')::int, \
                (x.state->>'valid_from')::date, (x.state->>'valid_until')::date, x.version, x.position, x.state \
           FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[]) AS x(id, version, position, state) \
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, \
                priority = EXCLUDED.priority, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, \
                version = EXCLUDED.version, position = EXCLUDED.position, state = EXCLUDED.state",
    )
    .bind(&rows.ids)
    .bind(&rows.versions)
    .bind(&rows.positions)
    .bind(&rows.states)
    .execute(&mut *conn)
    .await?;
    // Only what changed is written: a contract list may hold thousands of entries and gains them
    // one event at a time, so rewriting them all on every change would be quadratic. Each
    // statement takes the lists' ids and states.
    const CHANGED: [&str; 4] = [
        "DELETE FROM price_list_entries e USING unnest($1::uuid[], $2::jsonb[]) AS x(id, state) \
          WHERE e.price_list_id = x.id AND NOT (x.state->'entries' ? e.product_id::text)",
        "INSERT INTO price_list_entries (price_list_id, product_id, breaks) \
         SELECT x.id, e.key::uuid, e.value \
           FROM unnest($1::uuid[], $2::jsonb[]) AS x(id, state), jsonb_each(x.state->'entries') AS e \
         ON CONFLICT (price_list_id, product_id) DO UPDATE SET breaks = EXCLUDED.breaks \
          WHERE price_list_entries.breaks IS DISTINCT FROM EXCLUDED.breaks",
        "DELETE FROM price_list_companies c USING unnest($1::uuid[], $2::jsonb[]) AS x(id, state) \
          WHERE c.price_list_id = x.id AND NOT (x.state->'companies' ? c.company_id::text)",
        "INSERT INTO price_list_companies (price_list_id, company_id) \
         SELECT x.id, c::uuid \
           FROM unnest($1::uuid[], $2::jsonb[]) AS x(id, state), jsonb_array_elements_text(x.state->'companies') AS c \
         ON CONFLICT DO NOTHING",
    ];
    for statement in CHANGED {
        sqlx::query(statement).bind(&rows.ids).bind(&rows.states).persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn write_stock(conn: &mut PgConnection, rows: &Rows, counts: &(Vec<i64>, Vec<i64>)) -> Result<(), ApplyError> {
    if rows.ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO stock (id, product_id, warehouse_id, on_hand, reserved, available, backordered, version, \
                            position, state) \
         SELECT x.id, (x.state->>'product_id')::uuid, (x.state->>'warehouse_id')::uuid, \
                (x.state->>'on_hand')::bigint, (x.state->>'reserved')::bigint, x.available, x.backordered, \
                x.version, x.position, x.state \
           FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::int8[], $6::int8[]) \
                AS x(id, version, position, state, available, backordered) \
         ON CONFLICT (id) DO UPDATE SET on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, \
                available = EXCLUDED.available, backordered = EXCLUDED.backordered, version = EXCLUDED.version, \
                position = EXCLUDED.position, state = EXCLUDED.state",
    )
    .bind(&rows.ids)
    .bind(&rows.versions)
    .bind(&rows.positions)
    .bind(&rows.states)
    .bind(&counts.0)
    .bind(&counts.1)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_carts(conn: &mut PgConnection, rows: &Rows) -> Result<(), ApplyError> {
    if rows.ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO carts (id, buyer_id, company_id, lines, version, position, state) \
         SELECT x.id, (x.state->>'buyer_id')::uuid, (x.state->>'company_id')::uuid, x.state->'lines', \
                x.version, x.position, x.state \
           FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[]) AS x(id, version, position, state) \
         ON CONFLICT (id) DO UPDATE SET lines = EXCLUDED.lines, version = EXCLUDED.version, \
                position = EXCLUDED.position, state = EXCLUDED.state",
    )
    .bind(&rows.ids)
    .bind(&rows.versions)
    .bind(&rows.positions)
    .bind(&rows.states)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_history(conn: &mut PgConnection, history: &[HistoryEntry]) -> Result<(), ApplyError> {
    if history.is_empty() {
        return Ok(());
    }
    let (mut ids, mut versions, mut positions, mut types) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut from, mut to, mut actors, mut roles) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut times, mut details) = (Vec::new(), Vec::new());
    for entry in history {
        ids.push(entry.order_id);
        versions.push(entry.version);
        positions.push(entry.position);
        types.push(entry.event_type.as_str());
        from.push(entry.from.map(OrderStatus::as_str));
        to.push(entry.to.as_str());
        actors.push(entry.actor_id.as_str());
        roles.push(entry.actor_role.as_str());
        times.push(entry.recorded_at);
        details.push(&entry.details);
    }
    sqlx::query(
        "INSERT INTO order_history (order_id, version, position, event_type, from_status, to_status, actor_id, \
                                    actor_role, recorded_at, details) \
         SELECT * FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[], \
                              $7::text[], $8::text[], $9::timestamptz[], $10::jsonb[]) \
         ON CONFLICT (order_id, version) DO NOTHING",
    )
    .bind(&ids)
    .bind(&versions)
    .bind(&positions)
    .bind(&types)
    .bind(&from)
    .bind(&to)
    .bind(&actors)
    .bind(&roles)
    .bind(&times)
    .bind(&details)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_orders(conn: &mut PgConnection, rows: &Rows, lines: &[Value]) -> Result<(), ApplyError> {
    if rows.ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO orders (id, company_id, buyer_id, status, po_number, payment_terms, shipping_address, lines, \
                             total_minor, currency, placed_at, updated_at, version, position, state) \
         SELECT x.id, (x.state->'placed'->>'company_id')::uuid, (x.state->'placed'->>'buyer_id')::uuid, \
                x.state->>'status', x.state->'placed'->>'po_number', x.state->'placed'->>'payment_terms', \
                x.state->'placed'->'shipping_address', x.lines, \
                (x.state->'placed'->'total'->>'amount_minor')::bigint, x.state->'placed'->'total'->>'currency', \
                h.placed_at, h.updated_at, x.version, x.position, x.state \
           FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::jsonb[]) \
                AS x(id, version, position, state, lines) \
           CROSS JOIN LATERAL (SELECT min(recorded_at) AS placed_at, max(recorded_at) AS updated_at \
                                 FROM order_history WHERE order_id = x.id) h \
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, lines = EXCLUDED.lines, \
                updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, position = EXCLUDED.position, \
                state = EXCLUDED.state",
    )
    .bind(&rows.ids)
    .bind(&rows.versions)
    .bind(&rows.positions)
    .bind(&rows.states)
    .bind(lines)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
