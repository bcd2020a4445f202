//! Bulk import of a nested tree of areas and climbs, checked whole before anything
//! is written, so bad input stores nothing.

use super::area::{check_nesting_kinds, Area, AreaKind, NewArea};
use super::climb::{check_new_climb, NewClimb};
use super::history::Action;
use super::progress::{self, Progress, Silent};
use super::{invalid, validate, Climbing, DomainError, DomainResult, LatLng};
use serde::{Deserialize, Serialize};

/// Most areas and climbs one import may create.
pub const MAX_IMPORT_NODES: usize = 2_000;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportArea {
    pub name: String,
    pub kind: AreaKind,
    #[serde(default)]
    pub location: Option<LatLng>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub access_notes: Option<String>,
    /// Sub-areas.
    #[serde(default)]
    pub areas: Vec<ImportArea>,
    /// Climbs in this area (leave out area_id).
    #[serde(default)]
    pub climbs: Vec<NewClimb>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct ImportSummary {
    pub areas_created: usize,
    pub climbs_created: usize,
    /// Ids of the top areas of the imported tree.
    pub root_ids: Vec<String>,
}

/// Where an import stands while it writes.
struct Writing<'a> {
    summary: ImportSummary,
    /// Areas and climbs in the whole tree.
    total: usize,
    progress: &'a dyn Progress,
    /// The listener asked to stop: nothing more is created.
    stopped: bool,
}

impl Writing<'_> {
    fn written(&self) -> usize {
        self.summary.areas_created + self.summary.climbs_created
    }

    /// Counts one node written and reports it when due.
    fn advance(&self) {
        let (done, total) = (self.written(), self.total);
        if progress::due(done, total) {
            let s = &self.summary;
            self.progress.report(done, total, &|| {
                format!(
                    "imported {done} of {total} areas and climbs ({} areas, {} climbs)",
                    s.areas_created, s.climbs_created
                )
            });
        }
    }

    /// Whether to stop before the next node (asked once, remembered).
    fn should_stop(&mut self) -> bool {
        if !self.stopped && self.progress.stop() {
            self.stopped = true;
            let done = self.written();
            let total = self.total;
            self.progress.note(&|| {
                format!("import stopped after {done} of {total} areas and climbs: the client went away; what was imported stays, each record whole")
            });
        }
        self.stopped
    }
}

impl Climbing<'_> {
    pub fn import_tree(
        &self,
        parent_id: Option<&str>,
        areas: Vec<ImportArea>,
    ) -> DomainResult<ImportSummary> {
        self.import_tree_reporting(parent_id, areas, &Silent)
    }

    /// [`Climbing::import_tree`], reporting each step to `progress` and stopping
    /// between nodes when it asks to (every area and climb written is whole, and
    /// every area created records its import).
    pub fn import_tree_reporting(
        &self,
        parent_id: Option<&str>,
        areas: Vec<ImportArea>,
        progress: &dyn Progress,
    ) -> DomainResult<ImportSummary> {
        let parent: Option<Area> = match parent_id {
            Some(id) => {
                validate::id("parent_id", id)?;
                Some(self.store.get(id)?.ok_or_else(|| {
                    DomainError::Invalid(format!("parent_id \"{id}\" is not an existing area"))
                })?)
            }
            None => None,
        };
        if areas.is_empty() {
            return invalid("areas is empty: give at least one area to import");
        }
        let mut count = 0;
        for (i, a) in areas.iter().enumerate() {
            check_tree(
                a,
                parent.as_ref().map(|p| p.kind),
                &format!("areas[{i}]"),
                &mut count,
            )?;
        }
        progress.note(&|| format!("the tree checked out: writing {count} areas and climbs"));
        let mut writing = Writing {
            summary: ImportSummary {
                areas_created: 0,
                climbs_created: 0,
                root_ids: Vec::new(),
            },
            total: count,
            progress,
            stopped: false,
        };
        for a in areas {
            if writing.should_stop() {
                break;
            }
            let id = self.write_tree(a, parent_id, &mut writing)?;
            writing.summary.root_ids.push(id);
        }
        Ok(writing.summary)
    }

    fn write_tree(
        &self,
        node: ImportArea,
        parent_id: Option<&str>,
        writing: &mut Writing,
    ) -> DomainResult<String> {
        let area = self.create_area(NewArea {
            name: node.name,
            kind: node.kind,
            parent_id: parent_id.map(str::to_owned),
            location: node.location,
            description: node.description,
            access_notes: node.access_notes,
        })?;
        writing.summary.areas_created += 1;
        writing.advance();
        for mut climb in node.climbs {
            if writing.should_stop() {
                break;
            }
            climb.area_id = area.id.clone();
            self.create_climb(climb)?;
            writing.summary.climbs_created += 1;
            writing.advance();
        }
        for child in node.areas {
            if writing.should_stop() {
                break;
            }
            self.write_tree(child, Some(&area.id), writing)?;
        }
        self.record_change(
            "area",
            &area.id,
            Action::Imported,
            "imported with import_tree",
        )?;
        Ok(area.id)
    }
}

/// Checks one node and everything under it; `at` names the node in messages.
fn check_tree(
    node: &ImportArea,
    parent: Option<AreaKind>,
    at: &str,
    count: &mut usize,
) -> DomainResult<()> {
    *count += 1 + node.climbs.len();
    if *count > MAX_IMPORT_NODES {
        return invalid(format!("the import has more than {MAX_IMPORT_NODES} areas and climbs; split it into several calls"));
    }
    let context = |e: DomainError| {
        DomainError::Invalid(format!(
            "{at} (\"{}\"): {e}",
            node.name.chars().take(60).collect::<String>()
        ))
    };
    validate::name("name", &node.name).map_err(context)?;
    validate::location("location", node.location).map_err(context)?;
    validate::optional_text(
        "description",
        node.description.clone(),
        validate::MAX_TEXT_CHARS,
    )
    .map_err(context)?;
    validate::optional_text(
        "access_notes",
        node.access_notes.clone(),
        validate::MAX_TEXT_CHARS,
    )
    .map_err(context)?;
    match parent {
        Some(p) => check_nesting_kinds(p, node.kind).map_err(context)?,
        None if !matches!(node.kind, AreaKind::Country | AreaKind::Region) => {
            return Err(context(DomainError::Invalid(
                "only countries and regions can be top-level; give parent_id".into(),
            )))
        }
        None => {}
    }
    if !node.climbs.is_empty() && !node.kind.holds_climbs() {
        return Err(context(DomainError::Invalid(format!(
            "a {} cannot hold climbs; put them in a crag, sector, wall or boulder",
            node.kind.as_str()
        ))));
    }
    for (i, c) in node.climbs.iter().enumerate() {
        if !c.area_id.is_empty() {
            return invalid(format!(
                "{at}.climbs[{i}]: leave area_id out inside import_tree"
            ));
        }
        check_new_climb(c).map_err(|e| {
            DomainError::Invalid(format!(
                "{at}.climbs[{i}] (\"{}\"): {e}",
                c.name.chars().take(60).collect::<String>()
            ))
        })?;
    }
    for (i, child) in node.areas.iter().enumerate() {
        check_tree(child, Some(node.kind), &format!("{at}.areas[{i}]"), count)?;
    }
    Ok(())
}
