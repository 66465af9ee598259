//! The words a batch wrote, kept for the query API's typing corrections.

use std::collections::HashSet;

use sqlx::PgConnection;

use super::ApplyError;

/// The words a batch wrote, for the lexicon the query API corrects typing errors against:
/// letters only, three or more.
#[derive(Default)]
pub(super) struct Lexicon(HashSet<String>);

impl Lexicon {
    pub(super) fn add(&mut self, terms: &[String]) {
        for term in terms {
            if term.chars().count() >= 3 && term.chars().all(char::is_alphabetic) && !self.0.contains(term) {
                self.0.insert(term.clone());
            }
        }
    }

    pub(super) async fn write(self, conn: &mut PgConnection) -> Result<(), ApplyError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut words: Vec<String> = self.0.into_iter().collect();
        // In one order, so that concurrent lanes of a rebuild never wait on each other in a cycle.
        words.sort_unstable();
        sqlx::query("INSERT INTO lexicon (term) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING")
            .bind(&words)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
