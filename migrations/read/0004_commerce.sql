-- Commerce in the read model: product terms (list price, purchasing rules), price lists (their
-- state, which the query API deserializes to call the domain's one `resolve_price`, and their
-- entries and companies as rows to find them by product and company), stock per product and
-- warehouse, buyers' carts, orders and each order's status history (one row per order event, with
-- its actor and time: order tracking and the ops audit in one).
--
-- Like the catalog's tables, they are made by a function over a schema name, so that a rebuild's
-- copy has them too: `create_read_model` now also calls `create_commerce_tables`, and
-- `read_model_indexes` also lists `commerce_indexes`. Existing commerce events need no refill:
-- until now the projector skipped them without moving any row, so `projector rebuild` after this
-- migration brings them in (a fresh read model gets them from position 0 anyway).

CREATE FUNCTION create_commerce_tables(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('SET LOCAL search_path TO %I, public', p_schema);

    -- A product's terms (stream `terms_id(product)`); a product without a row has no list price
    -- and the default rules (minimum 1, increment 1, refuse).
    CREATE TABLE product_terms (
        id                  UUID    NOT NULL PRIMARY KEY,
        product_id          UUID    NOT NULL UNIQUE,
        list_price_minor    BIGINT,
        list_price_currency TEXT,
        minimum_quantity    INT     NOT NULL,
        order_increment     INT     NOT NULL,
        stock_policy        TEXT    NOT NULL,
        version             BIGINT  NOT NULL,
        position            BIGINT  NOT NULL,
        state               JSONB   NOT NULL
    );

    -- `state` is the domain's `PriceList`: prices are resolved from it, never from the columns.
    CREATE TABLE price_lists (
        id          UUID    NOT NULL PRIMARY KEY,
        name        TEXT    NOT NULL,
        currency    TEXT    NOT NULL,
        priority    INT     NOT NULL,
        valid_from  DATE,
        valid_until DATE,
        version     BIGINT  NOT NULL,
        position    BIGINT  NOT NULL,
        state       JSONB   NOT NULL
    );

    -- A list's breaks per product, and the companies it is assigned to: derived from `state`,
    -- rewritten whenever the list changes.
    CREATE TABLE price_list_entries (
        price_list_id UUID  NOT NULL,
        product_id    UUID  NOT NULL,
        breaks        JSONB NOT NULL,
        PRIMARY KEY (price_list_id, product_id)
    );

    CREATE TABLE price_list_companies (
        price_list_id UUID NOT NULL,
        company_id    UUID NOT NULL,
        PRIMARY KEY (price_list_id, company_id)
    );

    -- One product in one warehouse (stream `stock_id(product, warehouse)`); `state.orders` holds
    -- what each order has reserved and backordered.
    CREATE TABLE stock (
        id           UUID   NOT NULL PRIMARY KEY,
        product_id   UUID   NOT NULL,
        warehouse_id UUID   NOT NULL,
        on_hand      BIGINT NOT NULL,
        reserved     BIGINT NOT NULL,
        available    BIGINT NOT NULL,
        backordered  BIGINT NOT NULL,
        version      BIGINT NOT NULL,
        position     BIGINT NOT NULL,
        state        JSONB  NOT NULL
    );

    -- A buyer's cart (stream `cart_id(buyer)`): products and quantities only; prices are resolved
    -- when it is shown.
    CREATE TABLE carts (
        id         UUID   NOT NULL PRIMARY KEY,
        buyer_id   UUID   NOT NULL,
        company_id UUID   NOT NULL,
        lines      JSONB  NOT NULL,
        version    BIGINT NOT NULL,
        position   BIGINT NOT NULL,
        state      JSONB  NOT NULL
    );

    -- An order as placed (prices frozen) and as it stands; `lines` adds the units shipped so far
    -- to each placed line. `placed_at` and `updated_at` are the recorded times of its first and
    -- last events (from `order_history`), so a rebuild reproduces them.
    CREATE TABLE orders (
        id               UUID        NOT NULL PRIMARY KEY,
        company_id       UUID        NOT NULL,
        buyer_id         UUID        NOT NULL,
        status           TEXT        NOT NULL,
        po_number        TEXT        NOT NULL,
        payment_terms    TEXT        NOT NULL,
        shipping_address JSONB       NOT NULL,
        lines            JSONB       NOT NULL,
        total_minor      BIGINT      NOT NULL,
        currency         TEXT        NOT NULL,
        placed_at        TIMESTAMPTZ NOT NULL,
        updated_at       TIMESTAMPTZ NOT NULL,
        version          BIGINT      NOT NULL,
        position         BIGINT      NOT NULL,
        state            JSONB       NOT NULL
    );

    -- Every event of every order: the status it moved from and to (none before `OrderPlaced`),
    -- who did it, when, and what it carried (the shipment's lines, the cancel reason).
    CREATE TABLE order_history (
        order_id    UUID        NOT NULL,
        version     BIGINT      NOT NULL,
        position    BIGINT      NOT NULL,
        event_type  TEXT        NOT NULL,
        from_status TEXT,
        to_status   TEXT        NOT NULL,
        actor_id    TEXT        NOT NULL,
        actor_role  TEXT        NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL,
        details     JSONB       NOT NULL,
        PRIMARY KEY (order_id, version)
    );
END;
$$;

-- The commerce tables' secondary indexes (unqualified, for the schema on the search path): a
-- product's prices and stock, a company's lists and orders, the ops queue by status and time.
CREATE FUNCTION commerce_indexes() RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE
AS $$
    VALUES ('CREATE INDEX orders_placed_idx ON orders (placed_at, id)'),
           ('CREATE INDEX orders_company_placed_idx ON orders (company_id, placed_at, id)'),
           ('CREATE INDEX orders_status_placed_idx ON orders (status, placed_at, id)'),
           ('CREATE INDEX stock_product_idx ON stock (product_id, warehouse_id)'),
           ('CREATE INDEX stock_warehouse_idx ON stock (warehouse_id)'),
           ('CREATE INDEX price_list_entries_product_idx ON price_list_entries (product_id)'),
           ('CREATE INDEX price_list_companies_company_idx ON price_list_companies (company_id)')
$$;

ALTER FUNCTION create_read_model(TEXT) RENAME TO create_read_model_0003;

CREATE FUNCTION create_read_model(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM create_read_model_0003(p_schema);
    PERFORM create_commerce_tables(p_schema);
END;
$$;

ALTER FUNCTION read_model_indexes() RENAME TO read_model_indexes_0003;

-- The catalog's indexes first: they are the largest, and a rebuild starts with the first listed.
CREATE FUNCTION read_model_indexes() RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE
AS $$
    SELECT * FROM read_model_indexes_0003()
    UNION ALL
    SELECT * FROM commerce_indexes()
$$;

SELECT create_commerce_tables('catalog');

DO $$
DECLARE
    v_statement TEXT;
BEGIN
    SET LOCAL search_path TO catalog, public;
    FOR v_statement IN SELECT commerce_indexes() LOOP
        EXECUTE v_statement;
    END LOOP;
END;
$$;
