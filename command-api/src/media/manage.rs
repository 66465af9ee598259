//! The media commands on an owner's list (reorder, change details, detach), each decided and
//! appended in one transaction under the list's lock, with the `media_objects` rows it changes.

use domain::media::{self, MediaList, MediaOwner};
use domain::{DomainError, NewEvent};

use super::body::MediaListBody;
use super::{keys_of, load_list, unreference};
use crate::error::ApiError;
use crate::service::{Catalog, CommandContext};

/// What a media command does to the list.
pub enum Command {
    Reorder(Vec<uuid::Uuid>),
    Details(uuid::Uuid, media::DetailsPatch),
    Detach(uuid::Uuid),
}

/// Runs `command` on `owner`'s list (refused as stale unless the list is at `expected`, when
/// given); answers the position of its last event and the list as it left it.
pub async fn run(
    catalog: &Catalog,
    ctx: &CommandContext,
    owner: MediaOwner,
    expected: Option<i64>,
    command: Command,
) -> Result<(i64, MediaListBody), ApiError> {
    let mut tx = catalog.store().pool().begin().await?;
    let (heads, list) = load_list(&mut tx, owner).await?;
    let list_id = media::media_id(owner);
    let version = heads.get(&list_id).map_or(0, |h| h.version);
    if expected.is_some_and(|e| e != version) {
        return Err(ApiError::stale_version());
    }
    let current = list.as_ref();
    let detached = match &command {
        Command::Detach(id) => current.and_then(|l| l.get(*id)).cloned(),
        _ => None,
    };
    let events: Vec<NewEvent> = match command {
        Command::Reorder(order) => media::reorder(current, owner, &order),
        Command::Details(id, patch) => media::change_details(current, id, patch),
        Command::Detach(id) => media::detach(current, id),
    }
    .map_err(|e: DomainError| ApiError::from(e))?;
    let committed = catalog.append_in(&mut tx, &heads, events, ctx).await??;
    if let Some(medium) = &detached {
        unreference(&mut tx, medium.id, &keys_of(medium)).await?;
        sqlx::query("DELETE FROM media_variant_jobs WHERE medium_id = $1").bind(medium.id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let after = committed.head(list_id);
    let list: Option<&MediaList> = after.and_then(|h| match &h.state {
        domain::Aggregate::Media(list) => Some(list),
        _ => None,
    });
    Ok((committed.position, MediaListBody::of(owner, list, after.map_or(0, |h| h.version))))
}
