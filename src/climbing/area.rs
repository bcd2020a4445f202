//! Areas: the tree of places (country > region > area > crag > sector/wall/boulder).

use super::{invalid, validate, Audit, Climbing, DomainResult, LatLng};
use crate::store::index::{IndexList, Position};
use crate::store::Record;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of place an area is. The order is the tree's depth: a child is never
/// of a shallower kind than its parent, and only leaf kinds hold no sub-areas.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    Country,
    Region,
    Area,
    Crag,
    Sector,
    Wall,
    Boulder,
}

impl AreaKind {
    fn depth(self) -> u8 {
        match self {
            AreaKind::Country => 0,
            AreaKind::Region => 1,
            AreaKind::Area => 2,
            AreaKind::Crag => 3,
            AreaKind::Sector | AreaKind::Wall | AreaKind::Boulder => 4,
        }
    }

    /// Sectors, walls and boulders are where climbs live; they have no sub-areas.
    pub fn is_leaf(self) -> bool {
        self.depth() == 4
    }

    /// Climbs belong to crags and the parts of crags.
    pub fn holds_climbs(self) -> bool {
        self.depth() >= 3
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AreaKind::Country => "country",
            AreaKind::Region => "region",
            AreaKind::Area => "area",
            AreaKind::Crag => "crag",
            AreaKind::Sector => "sector",
            AreaKind::Wall => "wall",
            AreaKind::Boulder => "boulder",
        }
    }
}

/// A climbing area as stored (`a/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Area {
    pub id: String,
    /// Bumped by every change; pass it back as `expected_version` to update safely.
    pub version: u64,
    pub name: String,
    pub kind: AreaKind,
    /// The parent area's id; absent for top-level areas (usually countries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Ids of the ancestors from the top of the tree down to the parent.
    #[serde(default)]
    pub ancestors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LatLng>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Access and land-manager notes: closures, parking, permits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_notes: Option<String>,
    #[serde(flatten)]
    pub audit: Audit,
}

impl Record for Area {
    const PREFIX: &'static str = "a";
    const KIND: &'static str = "area";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, version: u64) {
        self.version = version;
    }
}

/// Fields of a new area.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArea {
    /// The area's name, 1 to 200 characters.
    pub name: String,
    /// country, region, area, crag, sector, wall or boulder.
    pub kind: AreaKind,
    /// The parent area's id; omit for a top-level area.
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub location: Option<LatLng>,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub access_notes: Option<String>,
}

/// Index list names: the children of an area, and the top-level areas.
pub fn children_list(parent_id: Option<&str>) -> String {
    match parent_id {
        Some(id) => format!("ac/{id}"),
        None => "ar".to_owned(),
    }
}

impl Climbing<'_> {
    pub fn create_area(&self, new: NewArea) -> DomainResult<Area> {
        let name = validate::name("name", &new.name)?;
        let location = validate::location("location", new.location)?;
        let description =
            validate::optional_text("description", new.description, validate::MAX_TEXT_CHARS)?;
        let access_notes =
            validate::optional_text("access_notes", new.access_notes, validate::MAX_TEXT_CHARS)?;
        let ancestors = match &new.parent_id {
            None if new.kind != AreaKind::Country && new.kind != AreaKind::Region => {
                return invalid(format!(
                    "a {} needs a parent_id: only countries and regions can be top-level areas",
                    new.kind.as_str()
                ))
            }
            None => Vec::new(),
            Some(parent_id) => {
                validate::id("parent_id", parent_id)?;
                let parent: Area = self.store.get(parent_id)?.ok_or_else(|| {
                    super::DomainError::Invalid(format!(
                        "parent_id \"{parent_id}\" is not an existing area; find the parent with list_areas or create it first"
                    ))
                })?;
                check_nesting(&parent, new.kind)?;
                let mut ancestors = parent.ancestors.clone();
                ancestors.push(parent.id.clone());
                ancestors
            }
        };
        let list = IndexList::new(self.store.kv(), children_list(new.parent_id.as_deref()));
        loop {
            let mut area = Area {
                id: self.store.new_id(),
                version: 1,
                name: name.clone(),
                kind: new.kind,
                parent_id: new.parent_id.clone(),
                ancestors: ancestors.clone(),
                location,
                description: description.clone(),
                access_notes: access_notes.clone(),
                audit: self.audit_new(),
            };
            // Index first, record second: a crash in between leaves an index entry
            // that readers skip, never a record that no list can find.
            list.add(&area.id)?;
            if self.store.insert(&mut area)? {
                return Ok(area);
            }
            // The random id was taken (vanishingly rare): drop our entry and retry.
            list.remove(&area.id, None)?;
        }
    }

    pub fn get_area(&self, id: &str) -> DomainResult<Area> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    /// A page of the children of `parent_id` (top-level areas when `None`).
    pub fn list_areas(
        &self,
        parent_id: Option<&str>,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Area>, Option<Position>)> {
        if let Some(id) = parent_id {
            validate::id("parent_id", id)?;
        }
        let list = IndexList::new(self.store.kv(), children_list(parent_id));
        let slice = list.slice(from, limit)?;
        Ok((self.store.get_many(&slice.ids)?, slice.next))
    }
}

fn check_nesting(parent: &Area, child: AreaKind) -> DomainResult<()> {
    if parent.kind.is_leaf() {
        return invalid(format!(
            "\"{}\" is a {} and cannot contain areas; add the {} to its crag or area instead",
            parent.name,
            parent.kind.as_str(),
            child.as_str()
        ));
    }
    if child.depth() < parent.kind.depth() || child == AreaKind::Country {
        return invalid(format!(
            "a {} cannot be inside a {} (\"{}\"): the tree goes country > region > area > crag > sector/wall/boulder",
            child.as_str(),
            parent.kind.as_str(),
            parent.name
        ));
    }
    Ok(())
}
