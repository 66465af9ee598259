-- Idempotency keys, and requirements checked once per group append.
--
-- 1. Idempotency keys. A signed-in caller may send `Idempotency-Key` with any command; the key is
--    recorded here in the same transaction as the command's events (so a crash cannot keep one
--    without the other), with a hash of the request, and the answer is added once the command has
--    answered. A retry with the same key and request gets that answer again; another request with
--    the key is refused. Keys belong to their caller (`scope`: the user's id) and are kept for the
--    command API's retention (at least 24 hours) by its sweeper, by `created_at`.
CREATE TABLE idempotency_keys (
    scope        UUID        NOT NULL,
    key          TEXT        NOT NULL,
    request_hash BYTEA       NOT NULL,
    -- The position of the command's last event, when it appended any.
    position     BIGINT,
    -- The answer, once recorded: status, the headers worth replaying, and the body's bytes.
    status       SMALLINT,
    headers      JSONB,
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- 2. Requirements checked once per group append, not once per command.
--
-- Under load, a batch holds the commands of a few callers: thirty creates from one import or one
-- admin's burst all require the same user stream to hold the same role. 0010 looked that up for
-- every command — one primary-key lookup, but with its own executor start-up, about a tenth of a
-- create's cost. Here each distinct requirement of the batch is checked once, before the first
-- command, with one statement; a command that names an unmet one is refused with FR004 (nothing of
-- it written, no subtransaction started) and the others go on.
--
-- As strong as 0010: the batch is one transaction, and under READ COMMITTED each check saw the
-- heads as committed when it ran; checking at the batch's start instead of at each command's turn
-- moves that moment by the few milliseconds of the batch. A command that passed is ordered before
-- a concurrent disable that had not yet committed when the batch began, as before.
--
-- Requirements are compared whole (jsonb equality): an item is refused only for a requirement of
-- its own that does not hold, never for a similar one of another item.
--
-- An item's `idempotency` ({scope, key, request_hash}, optional) is recorded inside the item's
-- subtransaction, after its events: a key another request recorded first raises FR005 and the
-- item's events are rolled back with it.
CREATE OR REPLACE FUNCTION append_batch(p_items JSONB)
RETURNS TABLE (item INT, last_position BIGINT, error_code TEXT, error_constraint TEXT, error_detail TEXT,
               error_message TEXT)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    v_base   BIGINT;
    v_used   BIGINT := 0;
    v_item   JSONB;
    v_ord    BIGINT;
    v_unmet  JSONB;
    v_failed UUID;
BEGIN
    SELECT coalesce(jsonb_agg(r.req), '[]'::jsonb) INTO v_unmet
      FROM (SELECT DISTINCT q.req
              FROM jsonb_array_elements(p_items) AS i(it),
                   jsonb_array_elements(coalesce(i.it->'requires', '[]'::jsonb)) AS q(req)) AS r
     WHERE NOT EXISTS (SELECT 1 FROM streams s
                        WHERE s.stream_id = (r.req->>'stream_id')::UUID AND s.snapshot @> (r.req->'snapshot'));

    FOR v_item, v_ord IN SELECT x.i, x.ord FROM jsonb_array_elements(p_items) WITH ORDINALITY AS x(i, ord) LOOP
        item := v_ord;
        error_code := NULL;
        error_constraint := NULL;
        error_detail := NULL;
        error_message := NULL;
        v_failed := NULL;
        IF jsonb_array_length(v_unmet) > 0 THEN
            SELECT (q.req->>'stream_id')::UUID INTO v_failed
              FROM jsonb_array_elements(coalesce(v_item->'requires', '[]'::jsonb)) AS q(req)
              JOIN jsonb_array_elements(v_unmet) AS u(req) ON u.req = q.req
             LIMIT 1;
        END IF;
        IF v_failed IS NOT NULL THEN
            last_position := NULL;
            error_code := 'FR004';
            error_detail := v_failed::TEXT;
            error_message := format('stream %s no longer holds what the command requires', v_failed);
        ELSE
            BEGIN
                last_position := append_events_from(
                    v_used,
                    v_item->'events',
                    v_item->'streams',
                    v_item->'claims',
                    ARRAY(SELECT jsonb_array_elements_text(v_item->'releases')),
                    v_item->'guards');
                IF v_item ? 'idempotency' THEN
                    INSERT INTO idempotency_keys (scope, key, request_hash, position)
                    VALUES ((v_item->'idempotency'->>'scope')::UUID,
                            v_item->'idempotency'->>'key',
                            decode(v_item->'idempotency'->>'request_hash', 'hex'),
                            last_position)
                    ON CONFLICT DO NOTHING;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'the idempotency key is already used' USING ERRCODE = 'FR005';
                    END IF;
                END IF;
                v_base := pg_current_xact_id()::TEXT::BIGINT * 65536;
                v_used := last_position - v_base;
            EXCEPTION WHEN OTHERS THEN
                last_position := NULL;
                GET STACKED DIAGNOSTICS error_code = RETURNED_SQLSTATE,
                                        error_constraint = CONSTRAINT_NAME,
                                        error_detail = PG_EXCEPTION_DETAIL,
                                        error_message = MESSAGE_TEXT;
            END;
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;
