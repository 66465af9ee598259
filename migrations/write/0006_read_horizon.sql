-- The gap-safe horizon of the global order: positions below it can no longer be taken by a
-- transaction that has not ended (see 0001_events.sql for why positions follow transaction ids).
--
-- The oldest transaction still running anywhere on the server (pg_snapshot_xmin) is a safe
-- horizon, but a needlessly late one when other databases share the server (a read database, the
-- projector's own batches, tests): their transactions can never write to this events table. So
-- the horizon is the oldest transaction still running in the reader's snapshot, leaving out those
-- pg_stat_activity shows working in another database, or the snapshot's xmax when none is left.
-- A transaction that cannot be placed (its backend is gone, or its details are hidden from this
-- role) is kept: the horizon errs towards waiting, never towards skipping.
--
-- STABLE: it runs on the calling statement's snapshot, the one the events are read with.
CREATE FUNCTION events_horizon() RETURNS BIGINT
LANGUAGE sql STABLE
AS $$
    WITH snapshot AS (SELECT pg_current_snapshot() AS s),
    elsewhere AS (
        SELECT backend_xid::text::bigint AS xid
          FROM pg_stat_activity
         WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
    )
    SELECT coalesce(
               (SELECT min(x::text::bigint)
                  FROM snapshot, pg_snapshot_xip(snapshot.s) AS x
                 WHERE x::text::bigint % 4294967296 NOT IN (SELECT xid FROM elsewhere)),
               (SELECT pg_snapshot_xmax(s)::text::bigint FROM snapshot)
           ) * 65536
$$;
