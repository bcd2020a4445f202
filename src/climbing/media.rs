//! Media references: photos, videos and topos of areas and climbs, by URL.
//! The server stores the reference and its credit, never the media itself.

use super::{invalid, validate, Audit, Climbing, DomainError, DomainResult};
use crate::store::index::Position;
use crate::store::{Listed, Listing};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Photo,
    Video,
    Topo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Media {
    pub id: String,
    pub version: u64,
    /// The area or climb this shows.
    pub entity_id: String,
    pub kind: MediaKind,
    /// Where the media lives (https).
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Who took it or holds the rights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    #[serde(flatten)]
    pub audit: Audit,
}

crate::record!(Media, "m", "media");

impl Listed for Media {
    /// The media of its area or climb.
    fn listings(&self) -> Vec<Listing> {
        vec![Listing::new(media_list(&self.entity_id), self.id.as_str())]
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMedia {
    /// The id of the area or climb it shows.
    pub entity_id: String,
    pub kind: MediaKind,
    /// An https URL, up to 2,000 characters.
    pub url: String,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub credit: Option<String>,
}

pub fn media_list(entity_id: &str) -> String {
    format!("ml/{entity_id}")
}

impl Climbing<'_> {
    pub fn add_media(&self, new: NewMedia) -> DomainResult<Media> {
        validate::id("entity_id", &new.entity_id)?;
        let url = new.url.trim();
        if !url.starts_with("https://") || url.len() > 2000 || url.chars().any(char::is_whitespace)
        {
            return invalid("url must be an https:// URL without spaces, up to 2000 characters");
        }
        let caption = validate::optional_text("caption", new.caption, validate::MAX_NAME_CHARS)?;
        let credit = validate::optional_text("credit", new.credit, validate::MAX_NAME_CHARS)?;
        let kind = self.entity_kind(&new.entity_id)?.ok_or_else(|| {
            DomainError::Invalid(format!(
                "entity_id \"{}\" is neither an area nor a climb",
                new.entity_id
            ))
        })?;
        let media = self.store.create(
            |id| Media {
                id,
                version: 1,
                entity_id: new.entity_id.clone(),
                kind: new.kind,
                url: url.to_owned(),
                caption: caption.clone(),
                credit: credit.clone(),
                audit: self.audit_new(),
            },
            |_| Ok::<(), DomainError>(()),
        )?;
        self.record_change(
            kind,
            &new.entity_id,
            super::history::Action::Updated,
            format!("media {} added", media.id),
        )?;
        Ok(media)
    }

    pub fn list_media(
        &self,
        entity_id: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Media>, Option<Position>)> {
        validate::id("entity_id", entity_id)?;
        Ok(self.store.page(&media_list(entity_id), from, limit)?)
    }

    /// Removes a media reference. The rule: whoever added it may remove it, and
    /// so may a `moderator` (a caller with the admin scope); nobody else, since
    /// the credit and the link are the contributor's. Recorded in the history of
    /// the area or climb, as the addition was.
    pub fn delete_media(&self, id: &str, moderator: bool) -> DomainResult<Media> {
        validate::id("id", id)?;
        let media = self.store.delete_listed(
            id,
            None,
            |media: &Media| {
                if media.audit.created_by != self.actor && !moderator {
                    return invalid(format!(
                        "media {id} was added by someone else; only they or an admin may remove it"
                    ));
                }
                Ok(())
            },
            |_| Ok(()),
        )?;
        let kind = self.entity_kind(&media.entity_id)?.unwrap_or("media");
        self.record_change(
            kind,
            &media.entity_id,
            super::history::Action::Updated,
            format!("media {id} removed ({})", media.url),
        )?;
        Ok(media)
    }

    /// "area" or "climb" when `id` names one.
    pub fn entity_kind(&self, id: &str) -> DomainResult<Option<&'static str>> {
        let keys = [
            crate::store::keys::record::<super::area::Area>(id),
            crate::store::keys::record::<super::climb::Climb>(id),
        ];
        let found = self.store.kv().get_many(&keys)?;
        Ok(match (&found[0], &found[1]) {
            (Some(_), _) => Some("area"),
            (_, Some(_)) => Some("climb"),
            _ => None,
        })
    }
}
