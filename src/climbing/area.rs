//! Areas: the tree of places (country > region > area > crag > sector/wall/boulder).

use super::history::Action;
use super::{invalid, search, validate, Audit, Climbing, DomainError, DomainResult, LatLng};
use crate::store::index::{IndexList, Position};
use crate::store::{Listed, Listing, Store};
use serde::{Deserialize, Serialize};

/// What kind of place an area is, in the tree's order: a child is never of a
/// shallower kind than its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
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

crate::record!(Area, "a", "area");

impl Listed for Area {
    /// Its parent's children (or the top level), the words of its name, the
    /// prefixes that complete it, and its map cell.
    fn listings(&self) -> Vec<Listing> {
        let entry = search::entry('a', &self.id);
        let mut listings = vec![Listing::new(
            children_list(self.parent_id.as_deref()),
            self.id.as_str(),
        )];
        listings.extend(search::name_listings(&self.name, &entry));
        listings.extend(
            name_prefixes(&self.name)
                .iter()
                .map(|p| Listing::new(prefix_list(p), self.id.as_str())),
        );
        listings.extend(self.location.map(|at| search::location_listing(at, &entry)));
        listings
    }
}

/// Fields of a new area.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
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

/// Changes to an area; omitted fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AreaChanges {
    #[serde(default)]
    pub name: Option<String>,
    /// A new kind; it must still fit its parent, its sub-areas and its climbs.
    #[serde(default)]
    pub kind: Option<AreaKind>,
    #[serde(default)]
    pub location: Option<LatLng>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub access_notes: Option<String>,
}

/// Largest subtree `move_area` carries along (each descendant is rewritten).
pub const MAX_MOVE_SUBTREE: usize = 2_000;

fn apply_area_changes(
    a: &mut Area,
    name: &Option<String>,
    kind: Option<AreaKind>,
    location: Option<LatLng>,
    description: &Option<String>,
    access_notes: &Option<String>,
) {
    if let Some(n) = name {
        a.name = n.clone();
    }
    if let Some(k) = kind {
        a.kind = k;
    }
    if location.is_some() {
        a.location = location;
    }
    if description.is_some() {
        a.description = description.clone();
    }
    if access_notes.is_some() {
        a.access_notes = access_notes.clone();
    }
}

fn changed_fields(before: &Area, after: &Area) -> String {
    let mut fields = Vec::new();
    if before.name != after.name {
        fields.push(format!("name \"{}\" -> \"{}\"", before.name, after.name));
    }
    if before.kind != after.kind {
        fields.push(format!(
            "kind {} -> {}",
            before.kind.as_str(),
            after.kind.as_str()
        ));
    }
    if before.location != after.location {
        fields.push("location".to_owned());
    }
    if before.description != after.description {
        fields.push("description".to_owned());
    }
    if before.access_notes != after.access_notes {
        fields.push("access_notes".to_owned());
    }
    if fields.is_empty() {
        "no field changed".to_owned()
    } else {
        format!("changed {}", fields.join(", "))
    }
}

/// The prefix lists used to complete area names: the first 3 letters of each word.
fn name_prefixes(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in search::tokens(name) {
        let p: String = t.chars().take(3).collect();
        if p.chars().count() == 3 && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn prefix_list(prefix: &str) -> String {
    format!("np/{prefix}")
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
        let area = self.store.create(
            |id| Area {
                id,
                version: 1,
                name: name.clone(),
                kind: new.kind,
                parent_id: new.parent_id.clone(),
                ancestors: ancestors.clone(),
                location,
                description: description.clone(),
                access_notes: access_notes.clone(),
                audit: self.audit_new(),
            },
            |area| match &area.parent_id {
                // The parent was deleted meanwhile: the create is undone.
                Some(parent_id) if !self.parent_still_exists(parent_id)? => invalid(format!(
                    "parent_id \"{parent_id}\" was deleted while the area was created; nothing was stored"
                )),
                _ => Ok(()),
            },
        )?;
        self.record_creation(
            "area",
            &area.id,
            format!("created {} \"{}\"", area.kind.as_str(), area.name),
        )?;
        Ok(area)
    }

    pub fn update_area(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: AreaChanges,
    ) -> DomainResult<Area> {
        validate::id("id", id)?;
        let name = validate::optional_name("name", changes.name.as_deref())?;
        let location = validate::location("location", changes.location)?;
        let description =
            validate::optional_text("description", changes.description, validate::MAX_TEXT_CHARS)?;
        let access_notes = validate::optional_text(
            "access_notes",
            changes.access_notes,
            validate::MAX_TEXT_CHARS,
        )?;
        let before: Area = self.store.require(id)?;
        if let Some(kind) = changes.kind {
            if kind != before.kind {
                self.check_kind_change(&before, kind)?;
            }
        }
        // New index entries first, then the record, then the entries it no longer needs.
        let (after, _) = self.store.rewrite(
            id,
            expected_version,
            |a: &Area| {
                let mut next = a.clone();
                apply_area_changes(
                    &mut next,
                    &name,
                    changes.kind,
                    location,
                    &description,
                    &access_notes,
                );
                self.touch(&mut next.audit);
                Ok::<_, DomainError>(Some(next))
            },
            |_, _| Ok(()),
        )?;
        self.record_change("area", id, Action::Updated, changed_fields(&before, &after))?;
        Ok(after)
    }

    fn check_kind_change(&self, area: &Area, kind: AreaKind) -> DomainResult<()> {
        match &area.parent_id {
            Some(parent_id) => check_nesting(&self.store.require::<Area>(parent_id)?, kind)?,
            None if !matches!(kind, AreaKind::Country | AreaKind::Region) => {
                return invalid("only countries and regions can be top-level areas; move the area under a parent first")
            }
            None => {}
        }
        let (children, _) = self.list_areas(Some(&area.id), None, validate::MAX_PAGE)?;
        if let Some(child) = children.iter().find(|c| {
            check_nesting(
                &Area {
                    kind,
                    ..area.clone()
                },
                c.kind,
            )
            .is_err()
        }) {
            return invalid(format!(
                "a {} cannot contain the {} \"{}\"; move or delete it first",
                kind.as_str(),
                child.kind.as_str(),
                child.name
            ));
        }
        if !kind.holds_climbs() && self.first_climb_in(&area.id)?.is_some() {
            return invalid(format!(
                "\"{}\" has climbs, and a {} cannot hold climbs; move its climbs to a crag first",
                area.name,
                kind.as_str()
            ));
        }
        Ok(())
    }

    /// Deletes an area that has no sub-areas and no climbs.
    pub fn delete_area(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Area> {
        validate::id("id", id)?;
        let area = self.store.delete_listed(
            id,
            None,
            |area: &Area| {
                Store::check_version(area, expected_version)?;
                if let Some(child) = self.first_child_in(id)? {
                    return invalid(format!(
                        "\"{}\" still contains areas (e.g. \"{}\"); delete or move them first",
                        area.name, child.name
                    ));
                }
                if let Some(climb) = self.first_climb_in(id)? {
                    return invalid(format!(
                        "\"{}\" still contains climbs (e.g. \"{}\"); delete or move them first",
                        area.name, climb.name
                    ));
                }
                Ok(())
            },
            |area| {
                // A climb or sub-area created (or moved) into this area while it was
                // checked above is in its lists by now: writers add the index entry,
                // then the record, then confirm the parent still exists. Seeing one,
                // put the area back (its entries are still in place) and refuse; the
                // writer either sees the area again or sees it gone and undoes its
                // write, so no record is left under an area that does not exist.
                if let Some(name) = self.first_child_name(id)? {
                    self.store.kv().set(
                        &crate::store::keys::record::<Area>(id),
                        &crate::store::encode(area),
                    )?;
                    return invalid(format!(
                        "\"{}\" gained \"{name}\" while it was being deleted; it was kept, delete or move its contents first",
                        area.name
                    ));
                }
                // What still names this area (media, or a record a crash left) is
                // found through its tombstone (see orphans.rs).
                self.note_deleted('a', id, area)
            },
        )?;
        self.record_change(
            "area",
            id,
            Action::Deleted,
            format!("deleted \"{}\"", area.name),
        )?;
        Ok(area)
    }

    /// The name of a live sub-area or climb of `id`, if it has any.
    fn first_child_name(&self, id: &str) -> DomainResult<Option<String>> {
        if let Some(child) = self.first_child_in(id)? {
            return Ok(Some(child.name));
        }
        Ok(self.first_climb_in(id)?.map(|climb| climb.name))
    }

    /// Whether the area `id` still exists, asked by a writer right after it
    /// stored a record under it (see `delete_area`).
    pub(crate) fn parent_still_exists(&self, id: &str) -> DomainResult<bool> {
        Ok(self.store.get::<Area>(id)?.is_some())
    }

    /// Moves an area (and everything in it) under another parent.
    pub fn move_area(
        &self,
        id: &str,
        new_parent_id: Option<&str>,
        expected_version: Option<u64>,
    ) -> DomainResult<Area> {
        validate::id("id", id)?;
        let area: Area = self.store.require(id)?;
        let (ancestors, parent_name) = match new_parent_id {
            Some(pid) => {
                validate::id("new_parent_id", pid)?;
                let parent: Area = self.store.get(pid)?.ok_or_else(|| {
                    DomainError::Invalid(format!("new_parent_id \"{pid}\" is not an existing area"))
                })?;
                if parent.id == area.id || parent.ancestors.contains(&area.id) {
                    return invalid(format!(
                        "cannot move \"{}\" into \"{}\": that area is inside it, which would make a cycle",
                        area.name, parent.name
                    ));
                }
                check_nesting(&parent, area.kind)?;
                let mut ancestors = parent.ancestors.clone();
                ancestors.push(parent.id.clone());
                (ancestors, parent.name)
            }
            None if matches!(area.kind, AreaKind::Country | AreaKind::Region) => {
                (Vec::new(), "the top level".to_owned())
            }
            None => {
                return invalid("only countries and regions can be top-level; give new_parent_id")
            }
        };
        if area.parent_id.as_deref() == new_parent_id {
            return Ok(area);
        }
        // The descendants are found before anything changes, so a bounded subtree is
        // checked up front and a refusal writes nothing.
        let descendants = self.descendants(id, MAX_MOVE_SUBTREE)?;
        let (moved, _) = self.store.rewrite(
            id,
            expected_version,
            |a: &Area| {
                let mut next = a.clone();
                next.parent_id = new_parent_id.map(str::to_owned);
                next.ancestors = ancestors.clone();
                self.touch(&mut next.audit);
                Ok::<_, DomainError>(Some(next))
            },
            |_, _| match new_parent_id {
                // The new parent was deleted meanwhile (see delete_area): move back.
                Some(pid) if !self.parent_still_exists(pid)? => invalid(format!(
                    "new_parent_id \"{pid}\" was deleted while the area was moved; it stays where it was"
                )),
                _ => Ok(()),
            },
        )?;
        for d in descendants {
            self.store.update(&d.id, None, |a: &mut Area| {
                let tail: Vec<String> = a
                    .ancestors
                    .iter()
                    .skip_while(|x| *x != id)
                    .cloned()
                    .collect();
                a.ancestors = moved.ancestors.iter().cloned().chain(tail).collect();
                Ok::<(), DomainError>(())
            })?;
        }
        self.record_change(
            "area",
            id,
            Action::Moved,
            format!("moved under {parent_name}"),
        )?;
        Ok(moved)
    }

    /// Every area below `id`, breadth first, refusing subtrees larger than `cap`.
    pub fn descendants(&self, id: &str, cap: usize) -> DomainResult<Vec<Area>> {
        let mut out: Vec<Area> = Vec::new();
        let mut queue = vec![id.to_owned()];
        while let Some(parent) = queue.pop() {
            let mut from = None;
            loop {
                let (children, next) =
                    self.list_areas(Some(&parent), from.as_ref(), validate::MAX_PAGE)?;
                for c in children {
                    queue.push(c.id.clone());
                    out.push(c);
                    if out.len() > cap {
                        return invalid(format!("the area has more than {cap} sub-areas; move or change smaller parts of the tree"));
                    }
                }
                match next {
                    Some(n) => from = Some(n),
                    None => break,
                }
            }
        }
        Ok(out)
    }

    /// The ancestors of an area, from the top down, then the area itself.
    pub fn area_path(&self, id: &str) -> DomainResult<Vec<Area>> {
        let area = self.get_area(id)?;
        let mut path: Vec<Area> = self.store.get_many(&area.ancestors)?;
        path.push(area);
        Ok(path)
    }

    /// Areas whose name contains every word of `query`.
    pub fn search_areas(
        &self,
        query: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Area>, Option<Position>)> {
        let words = search::tokens(query);
        let Some(first) = words.first() else {
            return invalid("query needs a word of at least 2 letters");
        };
        let list = search::token_list(self.store.kv(), first);
        let slice = list.slice(from, limit)?;
        let ids: Vec<String> = slice
            .ids
            .iter()
            .filter_map(|e| e.strip_prefix("a:").map(str::to_owned))
            .collect();
        let areas: Vec<Area> = self.store.get_many(&ids)?;
        let matching = areas.into_iter().filter(|a| {
            let name = search::tokens(&a.name);
            words.iter().all(|w| name.contains(w))
        });
        Ok((matching.collect(), slice.next))
    }

    /// Names of areas starting with `prefix` (for completion), at most `limit`.
    pub fn complete_area_names(&self, prefix: &str, limit: usize) -> DomainResult<Vec<String>> {
        let folded: String = search::tokens(prefix).join(" ");
        let Some(key) = name_prefixes(&folded).into_iter().next() else {
            return Ok(Vec::new());
        };
        let slice =
            IndexList::new(self.store.kv(), prefix_list(&key)).slice(None, validate::MAX_PAGE)?;
        let areas: Vec<Area> = self.store.get_many(&slice.ids)?;
        let mut names: Vec<String> = areas
            .into_iter()
            .map(|a| a.name)
            .filter(|n| {
                search::tokens(n).iter().any(|t| t.starts_with(&folded))
                    || search::tokens(n).join(" ").starts_with(&folded)
            })
            .collect();
        crate::ordering::sort_by(&mut names, |a, b| a.cmp(b));
        names.dedup();
        names.truncate(limit);
        Ok(names)
    }

    /// Areas with a location within `radius_km` of `at`, nearest first, optionally
    /// only of some kinds.
    pub fn areas_near(
        &self,
        at: LatLng,
        radius_km: f64,
        kinds: &[AreaKind],
        limit: usize,
    ) -> DomainResult<Vec<(Area, f64)>> {
        validate::location("at", Some(at))?;
        if !(radius_km > 0.0 && radius_km <= search::MAX_RADIUS_KM) {
            return invalid(format!(
                "radius_km must be more than 0 and at most {}",
                search::MAX_RADIUS_KM
            ));
        }
        let mut ids = Vec::new();
        for cell in search::cells_around(at, radius_km) {
            let slice = search::cell_list(self.store.kv(), cell).slice(None, validate::MAX_PAGE)?;
            ids.extend(
                slice
                    .ids
                    .iter()
                    .filter_map(|e| e.strip_prefix("a:").map(str::to_owned)),
            );
        }
        // An area moved to another cell may still be in its old one (a move cut
        // off before removing the entry): fetched once, it is reported once.
        crate::ordering::sort_by(&mut ids, |a, b| a.cmp(b));
        ids.dedup();
        let areas: Vec<Area> = self.store.get_many(&ids)?;
        let mut near: Vec<(Area, f64)> = areas
            .into_iter()
            .filter(|a| kinds.is_empty() || kinds.contains(&a.kind))
            .filter_map(|a| {
                let d = search::distance_km(at, a.location?);
                (d <= radius_km).then_some((a, d))
            })
            .collect();
        crate::ordering::sort_by(&mut near, |x, y| x.1.total_cmp(&y.1));
        near.truncate(limit);
        Ok(near)
    }

    /// The area `id`, or `None` when there is none.
    pub fn find_area(&self, id: &str) -> DomainResult<Option<Area>> {
        validate::id("id", id)?;
        Ok(self.store.get(id)?)
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
        // Entries of areas moved away (a move cut off before removing its old
        // entry) are skipped, so a page may be short.
        let scan = self.store.scan(
            &children_list(parent_id),
            from,
            limit,
            limit,
            limit,
            &|a: &Area| a.parent_id.as_deref() == parent_id,
        )?;
        Ok((scan.items, scan.next))
    }

    /// The first area really below `id` (its list read on past entries of areas
    /// deleted or moved away).
    fn first_child_in(&self, id: &str) -> DomainResult<Option<Area>> {
        Ok(self.store.first_in(&children_list(Some(id)), &|a: &Area| {
            a.parent_id.as_deref() == Some(id)
        })?)
    }
}

fn check_nesting(parent: &Area, child: AreaKind) -> DomainResult<()> {
    check_nesting_kinds(parent.kind, child)
        .map_err(|e| DomainError::Invalid(format!("{e} (the parent is \"{}\")", parent.name)))
}

/// Whether an area of kind `child` may be inside one of kind `parent`.
pub fn check_nesting_kinds(parent: AreaKind, child: AreaKind) -> DomainResult<()> {
    if parent.is_leaf() {
        return invalid(format!(
            "a {} cannot contain areas; add the {} to its crag or area instead",
            parent.as_str(),
            child.as_str()
        ));
    }
    if child.depth() < parent.depth() || child == AreaKind::Country {
        return invalid(format!(
            "a {} cannot be inside a {}: the tree goes country > region > area > crag > sector/wall/boulder",
            child.as_str(),
            parent.as_str()
        ));
    }
    Ok(())
}
