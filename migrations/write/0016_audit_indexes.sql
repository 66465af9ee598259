-- History queries over the audit trail (issue 17): the indexes that keep the filters of
-- `GET /v1/audit/events` fast on ten million events. Every query pages by position, so each
-- index ends in `position`: the planner reads a filter's matches in page order and stops at the
-- page's end. An actor's time window is read by (actor_id, recorded_at) and its page sorted: a
-- month of one actor's events is a small sort, where (actor_id, position) would walk every
-- earlier event of the actor.

CREATE INDEX events_actor_time_idx ON events (actor_id, recorded_at, position);
CREATE INDEX events_correlation_idx ON events (correlation_id, position);
CREATE INDEX events_request_idx ON events (request_id, position);
CREATE INDEX events_stream_type_idx ON events (stream_type, position);
CREATE INDEX events_event_type_idx ON events (event_type, position);
CREATE INDEX events_recorded_at_idx ON events (recorded_at, position);
