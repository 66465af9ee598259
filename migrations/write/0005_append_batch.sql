-- Group append: several commands' appends in one transaction, each in a subtransaction of its own,
-- so that concurrent commands share one commit and one round trip while each succeeds or fails
-- alone (see event-store/src/group.rs). Their events follow one another in the transaction's
-- positions.

-- p_items: [{events, streams, claims, releases, guards}, …], each as append_events takes them.
-- One row per item, in order: its last position, or the error that refused it (SQLSTATE,
-- constraint, detail, message), in which case none of its writes remain.
CREATE FUNCTION append_batch(p_items JSONB)
RETURNS TABLE (item INT, last_position BIGINT, error_code TEXT, error_constraint TEXT, error_detail TEXT,
               error_message TEXT)
LANGUAGE plpgsql
-- As append_events (0003): keep the planner on index lookups.
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
            last_position := append_events_from(
                v_used,
                v_item->'events',
                v_item->'streams',
                v_item->'claims',
                ARRAY(SELECT jsonb_array_elements_text(v_item->'releases')),
                v_item->'guards');
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
