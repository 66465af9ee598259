//! The heads a checkout decides on, read in one statement.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::{EventStore, StreamRow};

impl EventStore {
    /// What a checkout reads of the stream heads once it knows the cart's products, in one
    /// statement (so in one snapshot): the heads of `ids` (the order — a concurrent attempt with
    /// the same key may have placed it since it was first looked for — and the products' terms),
    /// the `stock` heads of `products` in every warehouse, and the `price_list` heads assigned to
    /// `company`, each cut down to the entries of `products` — a contract list may price
    /// thousands, and deserializing them all would dominate a checkout. Stock and price lists are
    /// found through the partial indexes of write migrations 0008 and 0009; the stream types are
    /// literal so that a generic plan can still use them.
    pub async fn checkout_streams(
        executor: impl PgExecutor<'_>,
        ids: &[Uuid],
        products: &[Uuid],
        company: Uuid,
    ) -> Result<Vec<StreamRow>, sqlx::Error> {
        let keys: Vec<String> = products.iter().map(Uuid::to_string).collect();
        sqlx::query_as!(
            StreamRow,
            r#"SELECT stream_id AS "stream_id!", stream_type AS "stream_type!", version AS "version!", parent_id,
                      snapshot AS "snapshot!"
                 FROM streams WHERE stream_id = ANY($1)
               UNION ALL
               SELECT stream_id, stream_type, version, parent_id, snapshot FROM streams
                WHERE stream_type = 'stock' AND parent_id = ANY($2)
               UNION ALL
               SELECT stream_id, stream_type, version, parent_id,
                      jsonb_set(snapshot, '{entries}', coalesce(
                          (SELECT jsonb_object_agg(k, snapshot -> 'entries' -> k) FROM unnest($3::text[]) AS k
                            WHERE snapshot -> 'entries' ? k), '{}'::jsonb))
                 FROM streams
                WHERE stream_type = 'price_list' AND snapshot -> 'companies' @> jsonb_build_array($4::text)"#,
            ids,
            products,
            &keys,
            company.to_string(),
        )
        .fetch_all(executor)
        .await
    }
}
