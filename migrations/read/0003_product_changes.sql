-- The query API keeps an in-memory search index (query-api/src/search/index) and follows the read
-- model by reading the products changed since the checkpoint it last saw. A product row changes
-- for its own events and also for others' (a family renamed, a schema redefined, a brand renamed),
-- so its own `position` cannot tell; `changed_at` can: the trigger sets it, on every insert and
-- update, to the projector's batch marker (`ferrule.position`, set to the checkpoint the batch
-- started from + 1, in the batch's own transaction). Every row a batch writes is thus above the
-- checkpoint before it and at or below the checkpoint it commits, in the same transaction.
-- Writes made without the marker (a rebuild's copy, before its swap) take the product's position;
-- a swap replaces the table, which the index notices and reloads from.

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
    NEW.changed_at := coalesce(nullif(current_setting('ferrule.position', true), '')::bigint, NEW.position);
    RETURN NEW;
END;
$$;

-- The read model's tables as 0002 made them, and the change marker on products.
ALTER FUNCTION create_read_model(TEXT) RENAME TO create_read_model_0002;

CREATE FUNCTION create_read_model(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM create_read_model_0002(p_schema);
    EXECUTE format('ALTER TABLE %I.products ADD COLUMN changed_at BIGINT NOT NULL DEFAULT 0', p_schema);
END;
$$;

ALTER TABLE catalog.products ADD COLUMN changed_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX products_changed_at_idx ON catalog.products (changed_at);

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
           ('CREATE INDEX products_changed_at_idx ON products (changed_at)'),
           ('CREATE INDEX categories_parent_idx ON categories (parent_id)'),
           ('CREATE INDEX categories_path_idx ON categories USING GIN (path)'),
           ('CREATE INDEX categories_search_idx ON categories USING GIN (search)'),
           ('CREATE INDEX brands_search_idx ON brands USING GIN (search)'),
           ('CREATE INDEX families_category_idx ON families (category_id)'),
           ('CREATE INDEX families_brand_idx ON families (brand_id)'),
           ('CREATE INDEX families_search_idx ON families USING GIN (search)')
$$;
