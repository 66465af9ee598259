-- Commerce streams looked up by type and parent: a product's stock in every warehouse (checkout
-- picks the warehouse to reserve in) and the price lists (checkout resolves a company's prices).
-- Carts, orders and product terms are found by their derived ids and need no such index.
CREATE INDEX streams_commerce_type_parent_idx ON streams (stream_type, parent_id)
    WHERE stream_type IN ('stock', 'price_list');
