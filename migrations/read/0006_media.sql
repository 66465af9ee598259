-- Product media in the read model (issue 16): each owner's media list as the domain folds it
-- (`media_lists`, the snapshot `apply::load` folds into), one row per attached medium in display
-- order (`media`: what product detail and the download route read, by owner and by medium id),
-- and each product's thumbnail key (the 160 px variant of its primary image, else of its
-- family's), which search hits carry.
--
-- Rows hold object keys, never URLs: the query API builds URLs at response time (a public or CDN
-- base URL, or presigned GETs), so a changed base URL needs no rebuild.
--
-- Like the other read tables they are made by a function over a schema name, so that a
-- rebuild's copy has them too: `create_read_model` now also calls `create_media_tables`, and
-- `read_model_indexes` also lists `media_indexes`. No refill: until now the projector skipped
-- media events without moving any row; `projector rebuild` after this migration brings them in.

CREATE FUNCTION create_media_tables(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('SET LOCAL search_path TO %I, public', p_schema);

    -- An owner's media list (stream `media_id(owner)`); `state` is the domain's `MediaList`.
    CREATE TABLE media_lists (
        id         UUID   NOT NULL PRIMARY KEY,
        owner_type TEXT   NOT NULL,
        owner_id   UUID   NOT NULL UNIQUE,
        version    BIGINT NOT NULL,
        position   BIGINT NOT NULL,
        state      JSONB  NOT NULL
    );

    -- The attached media, derived from `media_lists.state` and rewritten whenever the list
    -- changes. `ordinal` is the display order within the owner; `thumbnail_key` is set for
    -- images (the 160 px WebP, else JPEG, else the original).
    CREATE TABLE media (
        id            UUID    NOT NULL PRIMARY KEY,
        list_id       UUID    NOT NULL,
        owner_type    TEXT    NOT NULL,
        owner_id      UUID    NOT NULL,
        ordinal       INT     NOT NULL,
        kind          TEXT    NOT NULL,
        role          TEXT    NOT NULL,
        audience      TEXT    NOT NULL,
        content_type  TEXT    NOT NULL,
        key           TEXT    NOT NULL,
        filename      TEXT    NOT NULL,
        title         TEXT,
        alt           TEXT,
        language      TEXT,
        size          BIGINT  NOT NULL,
        width         INT,
        height        INT,
        variants      JSONB   NOT NULL,
        thumbnail_key TEXT
    );

    ALTER TABLE products ADD COLUMN thumbnail_key TEXT;
END;
$$;

-- The media tables' secondary indexes (unqualified, for the schema on the search path): a
-- product's and its family's media in order, a list's rows when it is rewritten.
CREATE FUNCTION media_indexes() RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE
AS $$
    VALUES ('CREATE INDEX media_owner_idx ON media (owner_id, ordinal)'),
           ('CREATE INDEX media_list_idx ON media (list_id)')
$$;

ALTER FUNCTION create_read_model(TEXT) RENAME TO create_read_model_0005;

CREATE FUNCTION create_read_model(p_schema TEXT) RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM create_read_model_0005(p_schema);
    PERFORM create_media_tables(p_schema);
END;
$$;

ALTER FUNCTION read_model_indexes() RENAME TO read_model_indexes_0005;

CREATE FUNCTION read_model_indexes() RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE
AS $$
    SELECT * FROM read_model_indexes_0005()
    UNION ALL
    SELECT * FROM media_indexes()
$$;

SELECT create_media_tables('catalog');

DO $$
DECLARE
    v_statement TEXT;
BEGIN
    SET LOCAL search_path TO catalog, public;
    FOR v_statement IN SELECT media_indexes() LOOP
        EXECUTE v_statement;
    END LOOP;
END;
$$;
