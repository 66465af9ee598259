-- Requirements: what a command's append needs to still hold when it commits, beside the versions
-- of the streams it writes. Each names a stream whose head snapshot must contain (JSONB @>) the
-- given object; one that does not raises FR004 with the stream id in DETAIL, and nothing of the
-- command is written.
--
-- The command API uses it for the caller's rights: every command requires the acting user's
-- stream to still hold the role and status the access token claims (and a buyer's company to be
-- active), so a user disabled or demoted after the token was issued cannot act with it. The check
-- is one primary-key lookup inside the append's own transaction: no round trip of its own, and no
-- window between the check and the write beyond that of READ COMMITTED (a command whose check
-- passed before a concurrent disable committed is ordered before it). The store itself knows
-- nothing of users: a requirement is a stream id and a JSON object.
--
-- The functions of 0003 and 0005 keep their signatures (a replica still running the previous
-- release calls them unchanged); requirements come as a new argument of `append_events` and as
-- an optional `requires` key of each `append_batch` item.

CREATE FUNCTION append_events_required(
    p_first    BIGINT,
    p_events   JSONB,
    p_streams  JSONB,
    p_claims   JSONB,
    p_releases TEXT[],
    p_guards   JSONB,
    p_requires JSONB
) RETURNS BIGINT
LANGUAGE plpgsql
-- Called through append_events and append_batch, which set the planner settings.
AS $$
DECLARE
    v_failed UUID;
BEGIN
    IF jsonb_array_length(p_requires) > 0 THEN
        SELECT r.stream_id INTO v_failed
          FROM jsonb_to_recordset(p_requires) AS r(stream_id UUID, snapshot JSONB)
         WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = r.stream_id AND s.snapshot @> r.snapshot)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'stream % no longer holds what the command requires', v_failed
                USING ERRCODE = 'FR004', DETAIL = v_failed::TEXT;
        END IF;
    END IF;
    RETURN append_events_from(p_first, p_events, p_streams, p_claims, p_releases, p_guards);
END;
$$;

CREATE FUNCTION append_events(
    p_events   JSONB,
    p_streams  JSONB,
    p_claims   JSONB,
    p_releases TEXT[],
    p_guards   JSONB,
    p_requires JSONB
) RETURNS BIGINT
LANGUAGE sql
-- As 0003's append_events: keep the planner on index lookups.
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$ SELECT append_events_required(0, p_events, p_streams, p_claims, p_releases, p_guards, p_requires) $$;

-- As 0005's, with each item's `requires` (absent: none).
CREATE OR REPLACE FUNCTION append_batch(p_items JSONB)
RETURNS TABLE (item INT, last_position BIGINT, error_code TEXT, error_constraint TEXT, error_detail TEXT,
               error_message TEXT)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    v_base BIGINT;
    v_used BIGINT := 0;
    v_item JSONB;
    v_ord  BIGINT;
BEGIN
    FOR v_item, v_ord IN SELECT x.i, x.ord FROM jsonb_array_elements(p_items) WITH ORDINALITY AS x(i, ord) LOOP
        item := v_ord;
        error_code := NULL;
        error_constraint := NULL;
        error_detail := NULL;
        error_message := NULL;
        BEGIN
            last_position := append_events_required(
                v_used,
                v_item->'events',
                v_item->'streams',
                v_item->'claims',
                ARRAY(SELECT jsonb_array_elements_text(v_item->'releases')),
                v_item->'guards',
                coalesce(v_item->'requires', '[]'::jsonb));
            v_base := pg_current_xact_id()::TEXT::BIGINT * 65536;
            v_used := last_position - v_base;
        EXCEPTION WHEN OTHERS THEN
            last_position := NULL;
            GET STACKED DIAGNOSTICS error_code = RETURNED_SQLSTATE,
                                    error_constraint = CONSTRAINT_NAME,
                                    error_detail = PG_EXCEPTION_DETAIL,
                                    error_message = MESSAGE_TEXT;
        END;
        RETURN NEXT;
    END LOOP;
END;
$$;
