-- Search terms come from the domain's normalizer (`domain::search`), computed by the projector,
-- and no longer from PostgreSQL's text parser: the query API parses a query with the same code,
-- so "24 V", "0.024 kV" and {24, "V"} meet as `24v`, and "DIN 912" as `din912`. The projector
-- writes each source's terms as a `tsvector` (cast from text: no parser, no dictionary), and the
-- search vectors are those, weighted (products: name and SKU A, family B, brand C, searchable
-- spec values D) — which also costs far less per row than `to_tsvector` did.
--
-- The read model is a projection: this migration recreates it empty, at checkpoint 0. The
-- projector refills it from the write database when it next runs (its first message reveals the
-- hole from position 0); on a large catalog, run `projector rebuild` right after migrating instead.

DROP SCHEMA IF EXISTS catalog_rebuild CASCADE;
DROP SCHEMA catalog CASCADE;

CREATE OR REPLACE FUNCTION product_derived() RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    -- A retired product is found by nothing: searches then need not read the row to skip it.
    NEW.search := CASE WHEN NEW.retired THEN ''::tsvector ELSE
           setweight(NEW.name_terms, 'A') || setweight(NEW.family_terms, 'B')
        || setweight(NEW.brand_terms, 'C') || setweight(NEW.spec_terms, 'D') END;
    -- In the schema's order of the keys.
    NEW.missing_required := ARRAY(SELECT k FROM unnest(NEW.required_keys) AS k WHERE NOT NEW.specs ? k);
    RETURN NEW;
END;
$$;

DROP FUNCTION spec_text(JSONB, TEXT[]);

CREATE OR REPLACE FUNCTION create_read_model(p_schema TEXT) RETURNS VOID
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
        -- The search terms (domain::search) of its name and of its ancestors' names.
        name_terms  TSVECTOR    NOT NULL DEFAULT '',
        path_terms  TSVECTOR    NOT NULL DEFAULT '',
        -- Its own definitions, and the full inherited set with the level each came from.
        attributes  JSONB       NOT NULL,
        resolved    JSONB       NOT NULL DEFAULT '[]',
        retired     BOOLEAN     NOT NULL,
        version     BIGINT      NOT NULL,
        position    BIGINT      NOT NULL,
        state       JSONB       NOT NULL,
        search      TSVECTOR    GENERATED ALWAYS AS (
            setweight(name_terms, 'A') || setweight(path_terms, 'B')
        ) STORED
    );

    CREATE TABLE brands (
        id          UUID        NOT NULL PRIMARY KEY,
        name        TEXT        NOT NULL,
        version     BIGINT      NOT NULL,
        position    BIGINT      NOT NULL,
        state       JSONB       NOT NULL,
        -- Written by the projector (as the products' are): the terms of its name.
        search      TSVECTOR    NOT NULL DEFAULT ''
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
        -- Written by the projector: the terms of its name and code.
        search          TSVECTOR    NOT NULL DEFAULT ''
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
        -- Search terms (domain::search): of the name and SKU, the family's, the brand's, and of the
        -- values of the searchable specs.
        name_terms       TSVECTOR    NOT NULL DEFAULT '',
        family_terms     TSVECTOR    NOT NULL DEFAULT '',
        brand_terms      TSVECTOR    NOT NULL DEFAULT '',
        spec_terms       TSVECTOR    NOT NULL DEFAULT '',
        -- Its specs as facet entries, which searches count without parsing JSON: `key=value` for
        -- each text, option or yes/no value, `key#number` for numbers in their base unit.
        facets           TEXT[]      NOT NULL DEFAULT '{}',
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

    -- Synonym sets for search, each phrase also as its search terms ([["ss"], ["stainless",
    -- "steel"]]); removed sets stay, marked, so their stream's version is kept.
    CREATE TABLE synonyms (
        id          UUID        NOT NULL PRIMARY KEY,
        phrases     TEXT[]      NOT NULL,
        terms       JSONB       NOT NULL,
        removed     BOOLEAN     NOT NULL,
        version     BIGINT      NOT NULL,
        position    BIGINT      NOT NULL,
        state       JSONB       NOT NULL
    );

    -- The words of the catalog (letters only, three or more), which the query API corrects a
    -- mistyped query word to. Words are added as products, families, brands and categories are
    -- written, never removed: a word no product holds any longer corrects to nothing found.
    CREATE TABLE lexicon (
        term        TEXT        NOT NULL PRIMARY KEY
    );
END;
$$;

-- Secondary indexes: as before, with the name order browsing pages through, the facet entries
-- filters match on (in place of the specs' JSON), and the name-and-SKU terms a search's first tier
-- of candidates is found by.
CREATE OR REPLACE FUNCTION read_model_indexes() RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE
AS $$
    VALUES ('CREATE INDEX products_search_idx ON products USING GIN (search)'),
           ('CREATE INDEX products_facets_idx ON products USING GIN (facets)'),
           ('CREATE INDEX products_name_terms_idx ON products USING GIN (name_terms)'),
           ('CREATE INDEX products_category_path_idx ON products USING GIN (category_path)'),
           ('CREATE INDEX product_numbers_key_value_idx ON product_numbers (key, value)'),
           ('CREATE INDEX products_name_idx ON products (name, id)'),
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

SELECT create_read_model('catalog');
SELECT create_read_model_indexes('catalog');
