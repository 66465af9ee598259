-- no-transaction
-- The price lists assigned to a company (checkout resolves its prices):
-- `snapshot -> 'companies' @> '["<id>"]'`. CONCURRENTLY and alone, as 0008 explains.
CREATE INDEX CONCURRENTLY IF NOT EXISTS streams_price_list_companies_idx ON streams USING gin ((snapshot -> 'companies'))
    WHERE stream_type = 'price_list';
