-- External ids: the source system's id of a category, brand, family or product (an ERP's or a
-- PIM's key; `domain::names::ExternalId`), as its events carry it. Nullable: records made by hand
-- have none. Not unique here: the write side's claims keep them unique per kind; the read model
-- only shows them and finds by them.
--
-- No refill: no event recorded before this migration carries one. A rebuild's copy gets the
-- columns and indexes from `create_read_model` and `read_model_indexes`, as before.

CREATE FUNCTION add_external_id_columns(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_table TEXT;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['categories', 'brands', 'families', 'products'] LOOP
        EXECUTE format('ALTER TABLE %I.%I ADD COLUMN external_id TEXT', p_schema, v_table);
    END LOOP;
END;
$$;

CREATE FUNCTION external_id_indexes() RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE
AS $$
    VALUES ('CREATE INDEX products_external_id_idx ON products (external_id) WHERE external_id IS NOT NULL'),
           ('CREATE INDEX categories_external_id_idx ON categories (external_id) WHERE external_id IS NOT NULL'),
           ('CREATE INDEX brands_external_id_idx ON brands (external_id) WHERE external_id IS NOT NULL'),
           ('CREATE INDEX families_external_id_idx ON families (external_id) WHERE external_id IS NOT NULL')
$$;

ALTER FUNCTION create_read_model(TEXT) RENAME TO create_read_model_0004;

CREATE FUNCTION create_read_model(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM create_read_model_0004(p_schema);
    PERFORM add_external_id_columns(p_schema);
END;
$$;

ALTER FUNCTION read_model_indexes() RENAME TO read_model_indexes_0004;

CREATE FUNCTION read_model_indexes() RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE
AS $$
    SELECT * FROM read_model_indexes_0004()
    UNION ALL
    SELECT * FROM external_id_indexes()
$$;

SELECT add_external_id_columns('catalog');

DO $$
DECLARE
    v_statement TEXT;
BEGIN
    SET LOCAL search_path TO catalog, public;
    FOR v_statement IN SELECT external_id_indexes() LOOP
        EXECUTE v_statement;
    END LOOP;
END;
$$;
