-- no-transaction
-- A product's stock in every warehouse (checkout picks the warehouse to reserve in). Built
-- CONCURRENTLY, so that a store in use keeps taking appends meanwhile: that cannot run inside a
-- transaction (hence sqlx's marker above) nor beside another statement, so each such index has a
-- migration of its own. A failed build leaves an INVALID index that IF NOT EXISTS would keep:
-- drop it by hand before running the migration again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS streams_stock_parent_idx ON streams (parent_id) WHERE stream_type = 'stock';
