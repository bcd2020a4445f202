//! The change history: who changed what, kept for every area and climb.
//!
//! Each change is a record `h/<id>` listed under its entity (`hl/<entity id>`).
//! History is written after the change it describes: a crash in between loses the
//! history line, never the change. The one exception is a climb's creation, whose
//! line goes in one batch with the climb's index entries, before the climb: a line
//! of an entity that never came to exist is reached by nothing.

use super::{Climbing, DomainError, DomainResult};
use crate::store::index::Position;
use crate::store::{Listed, Listing};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    Moved,
    Deleted,
    Imported,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Change {
    pub id: String,
    pub version: u64,
    /// "area" or "climb".
    pub entity_kind: String,
    pub entity_id: String,
    pub action: Action,
    /// The subject of the token that made the change.
    pub actor: String,
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    /// What changed, in a few words (field names, old and new parent, ...).
    pub summary: String,
}

crate::record!(Change, "h", "change");

impl Listed for Change {
    /// The history of its entity.
    fn listings(&self) -> Vec<Listing> {
        vec![Listing::new(
            history_list(&self.entity_id),
            self.id.as_str(),
        )]
    }
}

pub fn history_list(entity_id: &str) -> String {
    format!("hl/{entity_id}")
}

impl Climbing<'_> {
    /// Appends a line to the history of `entity_id`.
    pub fn record_change(
        &self,
        entity_kind: &str,
        entity_id: &str,
        action: Action,
        summary: impl Into<String>,
    ) -> DomainResult<()> {
        let summary = summary.into();
        self.store.create(
            |id| Change {
                id,
                version: 1,
                entity_kind: entity_kind.to_owned(),
                entity_id: entity_id.to_owned(),
                action,
                actor: self.actor.clone(),
                at: self.store.platform().now_ms(),
                summary: summary.clone(),
            },
            |_| Ok::<(), DomainError>(()),
        )?;
        Ok(())
    }

    /// The first line of the history of `entity_id`, just created: its list is new,
    /// so the line and its entry cost one batch write (see
    /// [`crate::store::Store::create_in_new_lists`]).
    pub fn record_creation(
        &self,
        entity_kind: &str,
        entity_id: &str,
        summary: impl Into<String>,
    ) -> DomainResult<()> {
        let summary = summary.into();
        self.store
            .create_in_new_lists(|id| self.created_line(id, entity_kind, entity_id, summary))?;
        Ok(())
    }

    /// The first line of the history of `entity_id`, about to be created, as
    /// writes that go in the batch of the entity's own index entries, ahead of it
    /// (see [`crate::store::Store::create_with`]): the line is written before the
    /// change it describes, but nothing reaches it until the entity exists, and a
    /// create that is undone takes it back.
    pub fn creation_line(
        &self,
        entity_kind: &str,
        entity_id: &str,
        summary: impl Into<String>,
    ) -> Vec<(String, Vec<u8>)> {
        let summary = summary.into();
        self.store
            .first_in_new_lists(|id| self.created_line(id, entity_kind, entity_id, summary))
            .1
    }

    /// The `Created` line of `entity_id`'s history, by this actor, now.
    fn created_line(
        &self,
        id: String,
        entity_kind: &str,
        entity_id: &str,
        summary: String,
    ) -> Change {
        Change {
            id,
            version: 1,
            entity_kind: entity_kind.to_owned(),
            entity_id: entity_id.to_owned(),
            action: Action::Created,
            actor: self.actor.clone(),
            at: self.store.platform().now_ms(),
            summary,
        }
    }

    /// A page of the history of an entity, oldest first.
    pub fn history(
        &self,
        entity_id: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Change>, Option<Position>)> {
        super::validate::id("id", entity_id)?;
        Ok(self.store.page(&history_list(entity_id), from, limit)?)
    }
}
