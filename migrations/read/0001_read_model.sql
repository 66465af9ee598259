-- The read model: projections of the event store, for browsing and search. Only the projector
-- writes it; the query API reads it.
--
-- The tables live in a schema of their own, `catalog`, so that `projector rebuild` can build a
-- complete second copy beside it (`create_read_model('catalog_rebuild')`, loaded, then
-- `create_read_model_indexes`) and swap it in with renames in one transaction while the query
-- API keeps reading the old one. The definitions are therefore written once, as functions over a
-- schema name; a later migration that changes the read model replaces these functions and alters
-- `catalog` alike.
--
-- The checkpoint (the global position of the last event applied) is a table of the same schema:
-- it commits with the rows, and a swapped-in copy brings its own.

-- Searchable text of a product's specs: the values of the keys named, numbers with their unit
-- as given ("24 V"), lists joined.
-- (plpgsql: its simple expressions cost far less per row than a SQL function's query would.)
CREATE FUNCTION spec_text(p_specs JSONB, p_keys TEXT[]) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    v_key   TEXT;
    v_value JSONB;
    v_text  TEXT := '';
BEGIN
    FOREACH v_key IN ARRAY p_keys LOOP
        v_value := p_specs -> v_key;
        CONTINUE WHEN v_value IS NULL;
        v_text := v_text || ' ' || CASE jsonb_typeof(v_value)
            WHEN 'object' THEN concat_ws(' ', v_value->>'value', v_value->>'unit')
            WHEN 'array' THEN array_to_string(ARRAY(SELECT jsonb_array_elements_text(v_value)), ' ')
            ELSE v_value #>> '{}'
        END;
    END LOOP;
    RETURN v_text;
END;
$$;

-- A product's derived columns, kept by trigger so that every way a row changes (its own events,
-- a family or brand renamed, a schema change) refreshes them: the weighted search vector (name
-- and SKU A, family B, brand C, searchable spec values D) and the required specs it lacks.
CREATE FUNCTION product_derived() RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.search :=
           setweight(to_tsvector('simple', coalesce(NEW.name, '') || ' ' || coalesce(NEW.sku, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(NEW.family_name, '')), 'B')
        || setweight(to_tsvector('simple', coalesce(NEW.brand_name, '')), 'C')
        || setweight(to_tsvector('simple', spec_text(NEW.specs, NEW.searchable_keys)), 'D');
    -- In the schema's order of the keys.
    NEW.missing_required := ARRAY(SELECT k FROM unnest(NEW.required_keys) AS k WHERE NOT NEW.specs ? k);
    RETURN NEW;
END;
$$;

CREATE FUNCTION create_read_model(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('CREATE SCHEMA %I', p_schema);
    EXECUTE format('SET LOCAL search_path TO %I, public', p_schema);

    CREATE TABLE checkpoint (
        singleton   BOOLEAN     NOT NULL PRIMARY KEY DEFAULT true CHECK (singleton),
        position    BIGINT      NOT NULL,
        -- When the last applied event was recorded in the write database.
        event_at    TIMESTAMPTZ,
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    INSERT INTO checkpoint (position) VALUES (0);

    CREATE TABLE categories (
        id          UUID        NOT NULL PRIMARY KEY,
        name        TEXT        NOT NULL,
        parent_id   UUID,
        -- Root first, the category itself last; `path_text` is the same as "id.id.id".
        path        UUID[]      NOT NULL,
        path_text   TEXT        NOT NULL,
        depth       INT         NOT NULL,
        -- The ancestors' names, root first: a category is found by its own name first, then by
        -- theirs ("Fasteners" finds Hex bolts too). A move or a rename above rewrites it.
        path_names  TEXT        NOT NULL DEFAULT '',
        -- Its own definitions, and the full inherited set with the level each came from.
        attributes  JSONB       NOT NULL,
        resolved    JSONB       NOT NULL DEFAULT '[]',
        retired     BOOLEAN     NOT NULL,
        version     BIGINT      NOT NULL,
        position    BIGINT      NOT NULL,
        state       JSONB       NOT NULL,
        search      TSVECTOR    GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', name), 'A') || setweight(to_tsvector('simple', path_names), 'B')
        ) STORED
    );

    CREATE TABLE brands (
        id          UUID        NOT NULL PRIMARY KEY,
        name        TEXT        NOT NULL,
        version     BIGINT      NOT NULL,
        position    BIGINT      NOT NULL,
        state       JSONB       NOT NULL,
        search      TSVECTOR    GENERATED ALWAYS AS (to_tsvector('simple', name)) STORED
    );

    CREATE TABLE families (
        id              UUID        NOT NULL PRIMARY KEY,
        category_id     UUID        NOT NULL,
        brand_id        UUID,
        name            TEXT        NOT NULL,
        code            TEXT        NOT NULL,
        attributes      JSONB       NOT NULL,
        resolved        JSONB       NOT NULL DEFAULT '[]',
        required_keys   TEXT[]      NOT NULL DEFAULT '{}',
        searchable_keys TEXT[]      NOT NULL DEFAULT '{}',
        version         BIGINT      NOT NULL,
        position        BIGINT      NOT NULL,
        state           JSONB       NOT NULL,
        search          TSVECTOR    GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || code)) STORED
    );

    CREATE TABLE products (
        id               UUID        NOT NULL PRIMARY KEY,
        family_id        UUID        NOT NULL,
        name             TEXT        NOT NULL,
        sku              TEXT        NOT NULL,
        specs            JSONB       NOT NULL,
        variant_key      TEXT,
        retired          BOOLEAN     NOT NULL,
        version          BIGINT      NOT NULL,
        position         BIGINT      NOT NULL,
        -- From the family, its brand and category, as they stand now.
        family_name      TEXT,
        brand_id         UUID,
        brand_name       TEXT,
        category_id      UUID,
        category_path    UUID[],
        required_keys    TEXT[]      NOT NULL DEFAULT '{}',
        searchable_keys  TEXT[]      NOT NULL DEFAULT '{}',
        -- Kept by product_derived(): the required specs the product lacks under the current
        -- schema (empty: complete), and the weighted search vector.
        missing_required TEXT[]      NOT NULL DEFAULT '{}',
        search           TSVECTOR    NOT NULL DEFAULT ''
    );
    CREATE TRIGGER products_derived BEFORE INSERT OR UPDATE ON products
        FOR EACH ROW EXECUTE FUNCTION public.product_derived();

    -- Numeric spec values, normalized to their measurement family's base unit, one row per
    -- product and key, for range filters and sorting; the projector writes them with the products.
    CREATE TABLE product_numbers (
        product_id  UUID             NOT NULL,
        key         TEXT             NOT NULL,
        value       DOUBLE PRECISION NOT NULL,
        unit        TEXT,
        PRIMARY KEY (product_id, key)
    );
END;
$$;

-- Secondary indexes, apart so that a rebuild loads its tables first and indexes them once, each
-- index on a connection of its own (`read_model_indexes` lists them, unqualified, for the schema
-- on the search path).
CREATE FUNCTION read_model_indexes() RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE
AS $$
    VALUES ('CREATE INDEX products_search_idx ON products USING GIN (search)'),
           ('CREATE INDEX products_specs_idx ON products USING GIN (specs jsonb_path_ops)'),
           ('CREATE INDEX products_category_path_idx ON products USING GIN (category_path)'),
           ('CREATE INDEX product_numbers_key_value_idx ON product_numbers (key, value)'),
           ('CREATE INDEX products_family_idx ON products (family_id)'),
           ('CREATE INDEX products_sku_idx ON products (lower(sku))'),
           ('CREATE INDEX categories_parent_idx ON categories (parent_id)'),
           ('CREATE INDEX categories_path_idx ON categories USING GIN (path)'),
           ('CREATE INDEX categories_search_idx ON categories USING GIN (search)'),
           ('CREATE INDEX brands_search_idx ON brands USING GIN (search)'),
           ('CREATE INDEX families_category_idx ON families (category_id)'),
           ('CREATE INDEX families_brand_idx ON families (brand_id)'),
           ('CREATE INDEX families_search_idx ON families USING GIN (search)')
$$;

CREATE FUNCTION create_read_model_indexes(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_statement TEXT;
BEGIN
    EXECUTE format('SET LOCAL search_path TO %I, public', p_schema);
    FOR v_statement IN SELECT read_model_indexes() LOOP
        EXECUTE v_statement;
    END LOOP;
END;
$$;

SELECT create_read_model('catalog');
SELECT create_read_model_indexes('catalog');
