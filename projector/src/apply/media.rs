//! Media lists: the snapshot (`media_lists`), one row per attached medium in display order
//! (`media`, rewritten whenever its list changes), and the products' thumbnail keys, refreshed when
//! a product's own list, its family's list or the product itself changed.

use domain::media::{MediaList, Medium, VariantFormat};
use domain::Aggregate;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{unreadable, ApplyError, Row};

/// The key a list or search hit shows for an image: its smallest variant (160 px in spec v1),
/// WebP before JPEG, else the original (variants not made yet, or never).
pub(crate) fn thumbnail_key(medium: &Medium) -> Option<String> {
    if medium.kind() != domain::media::MediaKind::Image {
        return None;
    }
    let smallest = |format: VariantFormat| {
        medium.variants.iter().filter(|v| v.format == format).min_by_key(|v| v.width).map(|v| v.key.clone())
    };
    Some(smallest(VariantFormat::Webp).or_else(|| smallest(VariantFormat::Jpeg)).unwrap_or(medium.object.key.clone()))
}

/// One `media` row of a list's medium at `ordinal`.
fn medium_row(list: &MediaList, ordinal: usize, medium: &Medium) -> Value {
    json!({
        "id": medium.id,
        "list_id": list.id,
        "owner_type": list.owner.owner_type,
        "owner_id": list.owner.id,
        "ordinal": ordinal,
        "kind": medium.kind(),
        "role": medium.role,
        "audience": medium.details.audience,
        "content_type": medium.object.media_type,
        "key": medium.object.key,
        "filename": medium.filename,
        "title": medium.details.title,
        "alt": medium.details.alt,
        "language": medium.details.language,
        "size": medium.object.size,
        "width": medium.object.width,
        "height": medium.object.height,
        "variants": medium.variants,
        "thumbnail_key": thumbnail_key(medium),
    })
}

/// Writes the changed media lists: their snapshots, then their media rows anew.
pub(super) async fn write(conn: &mut PgConnection, lists: &[(Uuid, &Row, &MediaList)]) -> Result<(), ApplyError> {
    if lists.is_empty() {
        return Ok(());
    }
    let (mut ids, mut versions, mut positions, mut states) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rows = Vec::new();
    for (id, row, list) in lists {
        ids.push(*id);
        versions.push(row.version);
        positions.push(row.position);
        states.push(serde_json::to_value(&row.state).map_err(|e| unreadable(*id, e))?);
        rows.extend(list.media.iter().enumerate().map(|(i, m)| medium_row(list, i, m)));
    }
    sqlx::query(
        "INSERT INTO media_lists (id, owner_type, owner_id, version, position, state) \
         SELECT x.id, x.state->'owner'->>'type', (x.state->'owner'->>'id')::uuid, x.version, x.position, x.state \
           FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::jsonb[]) AS x(id, version, position, state) \
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, position = EXCLUDED.position, \
                state = EXCLUDED.state",
    )
    .bind(&ids)
    .bind(&versions)
    .bind(&positions)
    .bind(&states)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM media WHERE list_id = ANY($1)").bind(&ids).persistent(false).execute(&mut *conn).await?;
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO media (id, list_id, owner_type, owner_id, ordinal, kind, role, audience, content_type, key, \
                            filename, title, alt, language, size, width, height, variants, thumbnail_key) \
         SELECT id, list_id, owner_type, owner_id, ordinal, kind, role, audience, content_type, key, filename, \
                title, alt, language, size, width, height, variants, thumbnail_key \
           FROM jsonb_to_recordset($1) AS x(id uuid, list_id uuid, owner_type text, owner_id uuid, ordinal int, \
                kind text, role text, audience text, content_type text, key text, filename text, title text, \
                alt text, language text, size bigint, width int, height int, variants jsonb, thumbnail_key text)",
    )
    .bind(Value::Array(rows))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Refreshes the thumbnail of every product whose own media, family's media or row changed in
/// the batch. In a rebuild a page's media lists are applied before its products (their lanes
/// come second), so the products' own refresh is what finds the media of a product made in the
/// same page; only rows whose thumbnail changes are written.
pub(super) async fn refresh_thumbnails(conn: &mut PgConnection, changed: &[(Uuid, &Row)]) -> Result<(), ApplyError> {
    let touched: Vec<Uuid> = changed
        .iter()
        .filter_map(|(id, row)| match &row.state {
            Aggregate::Media(list) => Some(list.owner.id),
            Aggregate::Product(_) => Some(*id),
            _ => None,
        })
        .collect();
    if touched.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE products p SET thumbnail_key = t.key \
           FROM (SELECT q.id, coalesce( \
                    (SELECT m.thumbnail_key FROM media m WHERE m.owner_id = q.id AND m.role = 'primary' \
                        AND m.thumbnail_key IS NOT NULL ORDER BY m.ordinal LIMIT 1), \
                    (SELECT m.thumbnail_key FROM media m WHERE m.owner_id = q.family_id AND m.role = 'primary' \
                        AND m.thumbnail_key IS NOT NULL ORDER BY m.ordinal LIMIT 1)) AS key \
                   FROM products q WHERE q.id = ANY($1) OR q.family_id = ANY($1)) t \
          WHERE p.id = t.id AND p.thumbnail_key IS DISTINCT FROM t.key",
    )
    .bind(&touched)
    .persistent(false)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use domain::media::{Details, MediaRole, MediaType, StoredObject, Variant};

    use super::*;

    fn image(variants: Vec<Variant>) -> Medium {
        Medium {
            id: Uuid::new_v4(),
            role: MediaRole::Primary,
            object: StoredObject {
                key: "media/sha256/ab/cd/x.jpg".into(),
                sha256: "x".into(),
                size: 10,
                media_type: MediaType::Jpeg,
                width: Some(1600),
                height: Some(1200),
            },
            filename: "x.jpg".into(),
            details: Details::default(),
            upload_id: Uuid::new_v4(),
            variants,
            variant_spec: None,
        }
    }

    fn variant(width: u32, format: VariantFormat) -> Variant {
        Variant { width, height: width, format, key: format!("v/{width}.{}", format.extension()), size: 1 }
    }

    #[test]
    fn the_thumbnail_is_the_smallest_webp_then_jpeg_then_the_original() {
        let all = vec![
            variant(480, VariantFormat::Webp),
            variant(160, VariantFormat::Jpeg),
            variant(160, VariantFormat::Webp),
        ];
        assert_eq!(thumbnail_key(&image(all)).unwrap(), "v/160.webp");
        assert_eq!(thumbnail_key(&image(vec![variant(160, VariantFormat::Jpeg)])).unwrap(), "v/160.jpg");
        assert_eq!(thumbnail_key(&image(Vec::new())).unwrap(), "media/sha256/ab/cd/x.jpg");
    }
}
