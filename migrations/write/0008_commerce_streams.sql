-- Commerce streams looked up by type and parent: a product's stock in every warehouse (checkout
-- picks the warehouse to reserve in).
CREATE INDEX streams_stock_parent_idx ON streams (parent_id) WHERE stream_type = 'stock';

-- The price lists assigned to a company (checkout and the cart resolve its prices):
-- `snapshot @> '{"companies": ["<id>"]}'`.
CREATE INDEX streams_price_list_companies_idx ON streams USING gin ((snapshot -> 'companies'))
    WHERE stream_type = 'price_list';
