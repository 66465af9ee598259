-- append_events: the one way events are written. One call appends a command's events, moves its
-- streams' heads and snapshots, and takes and releases its uniqueness claims, all or nothing.
--
-- Guarantees, in order:
-- 1. Schema guard. A product write names the schema streams it was validated against (its family
--    and the family's categories) with the versions it saw. Under a shared transaction-level
--    advisory lock, which every schema change takes exclusively before it reads, those versions
--    are compared with the heads; a mismatch raises FR001 and the caller validates again. So no
--    product commits validated against a schema that a concurrent change has replaced.
-- 2. Optimistic concurrency. Each stream moves from the version the command saw: the unique
--    (stream_id, version) on events, the streams primary key and the head update (FR002) refuse
--    an append that another one overtook.
-- 3. Gap-safe order. Positions are the transaction id times 65536 plus the event's ordinal (see
--    0001_events.sql): at most 65535 events per transaction. `append_events_from` starts at a given
--    ordinal, so that one transaction can hold several commands' appends (0005_append_batch.sql);
--    `append_events` is the one-command case.
-- 4. Claims. Released claims are dropped, new ones taken; a claim another stream holds raises
--    FR003 with the claim in DETAIL.
CREATE FUNCTION append_events_from(
    p_first    BIGINT,
    p_events   JSONB,
    p_streams  JSONB,
    p_claims   JSONB,
    p_releases TEXT[],
    p_guards   JSONB
) RETURNS BIGINT
LANGUAGE plpgsql
-- Called only through append_events and append_batch, which set the planner settings (once per
-- call rather than once per command).
AS $$
DECLARE
    schema_lock CONSTANT BIGINT := 7308604897068083200; -- the catalog's schema lock
    v_count  BIGINT;
    v_n      BIGINT := jsonb_array_length(p_events);
    v_base   BIGINT;
    v_claim  TEXT;
    v_stream RECORD;
BEGIN
    IF v_n = 0 OR p_first < 0 OR p_first + v_n > 65535 THEN
        RAISE EXCEPTION 'a transaction appends 1 to 65535 events, not % after %', v_n, p_first USING ERRCODE = 'FR000';
    END IF;

    IF jsonb_array_length(p_guards) > 0 THEN
        PERFORM pg_advisory_xact_lock_shared(schema_lock);
        SELECT count(*) INTO v_count
          FROM jsonb_to_recordset(p_guards) AS g(stream_id UUID, version BIGINT)
          JOIN streams s ON s.stream_id = g.stream_id AND s.version = g.version;
        IF v_count <> jsonb_array_length(p_guards) THEN
            RAISE EXCEPTION 'the schema changed while the command was decided' USING ERRCODE = 'FR001';
        END IF;
    END IF;

    -- The unique (stream_id, version) refuses an event for a version another append took.
    v_base := pg_current_xact_id()::TEXT::BIGINT * 65536 + p_first;
    INSERT INTO events (position, event_id, stream_id, stream_type, version, event_type, schema_version,
                        payload, actor_id, actor_role, request_id, correlation_id, causation_id, recorded_at)
    SELECT v_base + x.ord,
           (x.e->>'event_id')::UUID,
           (x.e->>'stream_id')::UUID,
           x.e->>'stream_type',
           (x.e->>'version')::BIGINT,
           x.e->>'event_type',
           (x.e->>'schema_version')::SMALLINT,
           x.e->'payload',
           x.e->>'actor_id',
           x.e->>'actor_role',
           x.e->>'request_id',
           (x.e->>'correlation_id')::UUID,
           (x.e->>'causation_id')::UUID,
           (x.e->>'recorded_at')::TIMESTAMPTZ
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, ord);

    -- Heads move only from the version the command saw: a new stream's insert meets the primary
    -- key of one created meanwhile, an existing stream's update finds no row at that version.
    FOR v_stream IN
        SELECT * FROM jsonb_to_recordset(p_streams)
            AS s(stream_id UUID, stream_type TEXT, expected_version BIGINT, version BIGINT, parent_id UUID, snapshot JSONB)
    LOOP
        IF v_stream.expected_version = 0 THEN
            INSERT INTO streams (stream_id, stream_type, version, parent_id, snapshot, updated_at)
            VALUES (v_stream.stream_id, v_stream.stream_type, v_stream.version, v_stream.parent_id, v_stream.snapshot, now());
        ELSE
            UPDATE streams
               SET version = v_stream.version, parent_id = v_stream.parent_id, snapshot = v_stream.snapshot, updated_at = now()
             WHERE stream_id = v_stream.stream_id AND version = v_stream.expected_version;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'stream % is not at version %', v_stream.stream_id, v_stream.expected_version
                    USING ERRCODE = 'FR002', DETAIL = v_stream.stream_id::TEXT;
            END IF;
        END IF;
    END LOOP;

    IF cardinality(p_releases) > 0 THEN
        DELETE FROM claims WHERE claim = ANY (p_releases);
    END IF;
    IF jsonb_array_length(p_claims) > 0 THEN
        INSERT INTO claims (claim, stream_id)
        SELECT c.claim, c.stream_id FROM jsonb_to_recordset(p_claims) AS c(claim TEXT, stream_id UUID)
        ORDER BY c.claim
        ON CONFLICT (claim) DO NOTHING;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        IF v_count <> jsonb_array_length(p_claims) THEN
            SELECT c.claim INTO v_claim
              FROM jsonb_to_recordset(p_claims) AS c(claim TEXT, stream_id UUID)
              JOIN claims k ON k.claim = c.claim AND k.stream_id <> c.stream_id
             ORDER BY c.claim LIKE 'variant:%' DESC
             LIMIT 1;
            RAISE EXCEPTION 'claim % is held by another stream', v_claim USING ERRCODE = 'FR003', DETAIL = coalesce(v_claim, '');
        END IF;
    END IF;

    RETURN v_base + v_n;
END;
$$;

CREATE FUNCTION append_events(
    p_events   JSONB,
    p_streams  JSONB,
    p_claims   JSONB,
    p_releases TEXT[],
    p_guards   JSONB
) RETURNS BIGINT
LANGUAGE sql
-- Every lookup here is by primary key for a handful of rows. The planner does not know the JSON
-- arrays are small, and a plan cached while the tables were tiny would scan them whole forever:
-- keep it on index lookups.
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$ SELECT append_events_from(0, p_events, p_streams, p_claims, p_releases, p_guards) $$;

