//! What a delete takes with it beyond the record itself, counted and named so a
//! person can confirm it knowing what goes.
//!
//! Deletes that are refused while anything depends on the record (non-empty
//! areas, venues with walls, walls with routes, credited setters) lose nothing
//! else. What remains: an area's or climb's media references, which go with it
//! (they name a record that no longer exists and `find_orphans` removes them),
//! and the work other people put into it (their changes in its history); a gym
//! route's setter credit, and a stripped route's record of having been on the
//! wall. Ticks are not among them: each keeps its own copy of the name and grade.

use super::area::Area;
use super::climb::Climb;
use super::media::MediaKind;
use super::{validate, Climbing, DomainResult};
use std::collections::BTreeSet;

/// What deleting one record would remove.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteLoss {
    /// The record as a person would name it, e.g. `the climb "Chain Reaction" in "Smith Rock"`.
    pub label: String,
    /// The version the counts were made at.
    pub version: u64,
    /// What goes with it, one phrase each (e.g. "3 media references (2 photos,
    /// 1 topo)"); empty when nothing but the record goes.
    pub losses: Vec<String>,
}

impl DeleteLoss {
    /// Whether a person should confirm the delete: something beyond the record goes.
    pub fn needs_confirmation(&self) -> bool {
        !self.losses.is_empty()
    }

    /// The losses as one sentence fragment: "a, b and c".
    pub fn listed(&self) -> String {
        match self.losses.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }
}

/// "1 photo", "2 photos".
fn counted(n: usize, one: &str, many: &str, more: bool) -> String {
    let plus = if more { " or more" } else { "" };
    match n {
        1 if !more => format!("1 {one}"),
        _ => format!("{n}{plus} {many}"),
    }
}

impl Climbing<'_> {
    /// What deleting the climb `id` would remove.
    pub fn climb_delete_loss(&self, id: &str) -> DomainResult<DeleteLoss> {
        validate::id("id", id)?;
        let climb: Climb = self.store.require(id)?;
        let area = self
            .store
            .get::<Area>(&climb.area_id)?
            .map(|a| format!(" in \"{}\"", a.name))
            .unwrap_or_default();
        Ok(DeleteLoss {
            label: format!("the climb \"{}\"{area}", climb.name),
            version: climb.version,
            losses: self.entity_losses(id)?,
        })
    }

    /// What deleting the area `id` would remove (it can only be deleted empty).
    pub fn area_delete_loss(&self, id: &str) -> DomainResult<DeleteLoss> {
        validate::id("id", id)?;
        let area: Area = self.store.require(id)?;
        Ok(DeleteLoss {
            label: format!("the {} \"{}\"", area.kind.as_str(), area.name),
            version: area.version,
            losses: self.entity_losses(id)?,
        })
    }

    /// The media of an area or climb and the changes other people made to it: one
    /// page of each is read (enough to say "200 or more").
    fn entity_losses(&self, id: &str) -> DomainResult<Vec<String>> {
        let mut losses = Vec::new();
        let (media, more_media) = self.list_media(id, None, validate::MAX_PAGE)?;
        if !media.is_empty() {
            let of = |kind: MediaKind| media.iter().filter(|m| m.kind == kind).count();
            let kinds: Vec<String> = [
                (of(MediaKind::Photo), "photo", "photos"),
                (of(MediaKind::Video), "video", "videos"),
                (of(MediaKind::Topo), "topo", "topos"),
            ]
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| counted(n, one, many, false))
            .collect();
            losses.push(format!(
                "{} ({})",
                counted(
                    media.len(),
                    "media reference",
                    "media references",
                    more_media.is_some()
                ),
                kinds.join(", ")
            ));
        }
        let (changes, more_changes) = self.history(id, None, validate::MAX_PAGE)?;
        let theirs: Vec<_> = changes.iter().filter(|c| c.actor != self.actor).collect();
        if !theirs.is_empty() {
            // Inserted one by one: collecting into a B-tree sorts its input first,
            // with one more copy of the sort in the component (see `ordering`).
            let mut people = BTreeSet::new();
            for change in &theirs {
                people.insert(change.actor.as_str());
            }
            losses.push(format!(
                "the work of {} ({} in its history)",
                counted(people.len(), "other person", "other people", false),
                counted(theirs.len(), "change", "changes", more_changes.is_some())
            ));
        }
        Ok(losses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_read_as_a_list() {
        let loss = |losses: &[&str]| DeleteLoss {
            label: String::new(),
            version: 1,
            losses: losses.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(loss(&[]).listed(), "");
        assert!(!loss(&[]).needs_confirmation());
        assert_eq!(loss(&["a"]).listed(), "a");
        assert_eq!(loss(&["a", "b", "c"]).listed(), "a, b and c");
        assert_eq!(counted(1, "photo", "photos", false), "1 photo");
        assert_eq!(counted(200, "photo", "photos", true), "200 or more photos");
    }
}
