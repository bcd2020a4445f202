//! Climbs: routes and boulder problems, each in one area that holds climbs.

use super::area::Area;
use super::grades::{self, Grade, GradeKind, GradeSystem};
use super::history::Action;
use super::{invalid, search, validate, Audit, Climbing, DomainError, DomainResult, LatLng};
use crate::store::index::Position;
use crate::store::{Listed, Listing, Stored};
use serde::{Deserialize, Serialize};

// How a climb is climbed (OpenBeta's climb types). Not a doc comment, which would
// go into every tool schema that lists disciplines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    Sport,
    Trad,
    Boulder,
    TopRope,
    Aid,
    Ice,
    Mixed,
    Alpine,
    DeepWaterSolo,
    Snow,
}

/// Protection seriousness (US convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Safety {
    #[serde(rename = "G")]
    G,
    PG,
    PG13,
    R,
    X,
}

/// Grades by system, e.g. {"yds": "5.10a", "french": "6a"}; uiaa "VII+", ewbank
/// "21", saxon "VIIb", norwegian "7-", british "E1 5b", vscale "V4", font "7A".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Grades {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yds: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub french: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uiaa: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ewbank: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saxon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub norwegian: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub british: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vscale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
}

impl Grades {
    fn entries(&self) -> [(GradeSystem, &Option<String>); 9] {
        [
            (GradeSystem::Yds, &self.yds),
            (GradeSystem::French, &self.french),
            (GradeSystem::Uiaa, &self.uiaa),
            (GradeSystem::Ewbank, &self.ewbank),
            (GradeSystem::Saxon, &self.saxon),
            (GradeSystem::Norwegian, &self.norwegian),
            (GradeSystem::British, &self.british),
            (GradeSystem::VScale, &self.vscale),
            (GradeSystem::Font, &self.font),
        ]
    }

    /// The first grade given, as (system, text), in the order of the fields.
    pub fn primary(&self) -> Option<(&'static str, &str)> {
        self.entries()
            .into_iter()
            .find_map(|(system, g)| g.as_deref().map(|g| (system.as_str(), g)))
    }

    /// Every grade that parses (all of them, for records written by this version).
    pub fn parsed(&self) -> Vec<Grade> {
        self.entries()
            .into_iter()
            .filter_map(|(system, g)| grades::parse(system, g.as_deref()?).ok())
            .collect()
    }

    /// The climb's score on the shared scale of a discipline, from its first grade
    /// of that kind.
    pub fn score(&self, kind: GradeKind) -> Option<f64> {
        self.parsed()
            .into_iter()
            .find(|g| g.system.discipline() == kind)
            .map(|g| g.score)
    }

    /// Checks every grade against its system and returns them normalized.
    fn checked(&self) -> DomainResult<Grades> {
        let mut out = self.clone();
        let mut any = false;
        let slots: [(GradeSystem, &mut Option<String>); 9] = [
            (GradeSystem::Yds, &mut out.yds),
            (GradeSystem::French, &mut out.french),
            (GradeSystem::Uiaa, &mut out.uiaa),
            (GradeSystem::Ewbank, &mut out.ewbank),
            (GradeSystem::Saxon, &mut out.saxon),
            (GradeSystem::Norwegian, &mut out.norwegian),
            (GradeSystem::British, &mut out.british),
            (GradeSystem::VScale, &mut out.vscale),
            (GradeSystem::Font, &mut out.font),
        ];
        for (system, slot) in slots {
            if let Some(text) = slot.as_deref() {
                let grade = grades::parse(system, text).map_err(|e| {
                    DomainError::Invalid(format!("grades.{}: {e}", system.as_str()))
                })?;
                *slot = Some(grade.text);
                any = true;
            }
        }
        if !any {
            return invalid(
                "grades needs at least one grade, e.g. {\"yds\": \"5.10a\"}, {\"french\": \"6b+\"} or {\"font\": \"7A\"}",
            );
        }
        Ok(out)
    }
}

/// A climb as stored (`c/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Climb {
    pub id: String,
    /// Bumped by every change; pass it back as `expected_version` to update safely.
    pub version: u64,
    pub name: String,
    /// The area (crag, sector, wall or boulder) the climb is in.
    pub area_id: String,
    pub grades: Grades,
    pub disciplines: Vec<Discipline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bolts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitches: Option<u32>,
    /// First ascent: who and when, as free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fa: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety: Option<Safety>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LatLng>,
    /// Position from left to right at the wall, for ordering topos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_right_index: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub audit: Audit,
}

crate::record!(Climb, "c", "climb");

impl Listed for Climb {
    /// Its area's climbs and the words of its name.
    fn listings(&self) -> Vec<Listing> {
        let mut listings = vec![Listing::new(climbs_list(&self.area_id), self.id.as_str())];
        listings.extend(search::name_listings(
            &self.name,
            &search::entry('c', &self.id),
        ));
        listings
    }
}

/// A new climb.
// Serialized too: a bulk import keeps checked climbs in the store until it
// creates them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewClimb {
    /// The climb's name, 1 to 200 characters.
    pub name: String,
    /// The crag, sector, wall or boulder it is in (not inside import_tree).
    #[serde(default)]
    pub area_id: String,
    pub grades: Grades,
    /// At least one discipline.
    pub disciplines: Vec<Discipline>,
    /// Length in metres, up to 5000.
    #[serde(default)]
    pub length_m: Option<f64>,
    /// Number of bolts, 0 to 2000.
    #[serde(default)]
    pub bolts: Option<u32>,
    /// Number of pitches, 1 to 200.
    #[serde(default)]
    pub pitches: Option<u32>,
    #[serde(default)]
    pub fa: Option<String>,
    #[serde(default)]
    pub safety: Option<Safety>,
    #[serde(default)]
    pub location: Option<LatLng>,
    /// Left-to-right position at the wall, -1000000 to 1000000.
    #[serde(default)]
    pub left_right_index: Option<i32>,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// Changes to a climb; omitted fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClimbChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub grades: Option<Grades>,
    #[serde(default)]
    pub disciplines: Option<Vec<Discipline>>,
    #[serde(default)]
    pub length_m: Option<f64>,
    #[serde(default)]
    pub bolts: Option<u32>,
    #[serde(default)]
    pub pitches: Option<u32>,
    #[serde(default)]
    pub fa: Option<String>,
    #[serde(default)]
    pub safety: Option<Safety>,
    #[serde(default)]
    pub location: Option<LatLng>,
    #[serde(default)]
    pub description: Option<String>,
}

fn climb_changes(before: &Climb, after: &Climb) -> String {
    let mut fields = Vec::new();
    let mut check = |name: &str, changed: bool| {
        if changed {
            fields.push(name.to_owned());
        }
    };
    check("name", before.name != after.name);
    check("grades", before.grades != after.grades);
    check("disciplines", before.disciplines != after.disciplines);
    check("length_m", before.length_m != after.length_m);
    check("bolts", before.bolts != after.bolts);
    check("pitches", before.pitches != after.pitches);
    check("fa", before.fa != after.fa);
    check("safety", before.safety != after.safety);
    check("location", before.location != after.location);
    check("description", before.description != after.description);
    if fields.is_empty() {
        "no field changed".to_owned()
    } else {
        format!("changed {}", fields.join(", "))
    }
}

/// The index list of the climbs in an area.
pub fn climbs_list(area_id: &str) -> String {
    format!("cl/{area_id}")
}

/// Checks a new climb's fields (all but its area) and returns them normalized.
pub fn check_new_climb(new: &NewClimb) -> DomainResult<NewClimb> {
    let name = validate::name("name", &new.name)?;
    let grades = new.grades.checked()?;
    check_disciplines(&new.disciplines)?;
    check_length(new.length_m)?;
    check_counts(new.pitches, new.bolts, new.left_right_index)?;
    let location = validate::location("location", new.location)?;
    let fa = validate::optional_text("fa", new.fa.clone(), validate::MAX_NAME_CHARS)?;
    let description = validate::optional_text(
        "description",
        new.description.clone(),
        validate::MAX_TEXT_CHARS,
    )?;
    Ok(NewClimb {
        name,
        grades,
        location,
        fa,
        description,
        ..new.clone()
    })
}

fn check_disciplines(disciplines: &[Discipline]) -> DomainResult<()> {
    if disciplines.is_empty() {
        return invalid("disciplines needs at least one entry, e.g. [\"sport\"] or [\"boulder\"]");
    }
    if disciplines.len() > 10 {
        return invalid("disciplines lists more than 10 entries");
    }
    Ok(())
}

fn check_length(length_m: Option<f64>) -> DomainResult<()> {
    match length_m {
        Some(l) if !(l > 0.0 && l <= 5000.0) => invalid(format!(
            "length_m {l} is out of range: give the length in metres, more than 0 and at most 5000"
        )),
        _ => Ok(()),
    }
}

/// The longest climbs on Earth have a few dozen pitches and a few hundred bolts;
/// these bounds leave room for every real one and refuse typos and junk.
pub const MAX_PITCHES: u32 = 200;
pub const MAX_BOLTS: u32 = 2_000;
/// `left_right_index` orders a wall's topo; OpenBeta's values stay far inside this.
pub const MAX_LEFT_RIGHT_INDEX: i32 = 1_000_000;

/// Pitches, bolts and the topo position are within sane ranges.
fn check_counts(
    pitches: Option<u32>,
    bolts: Option<u32>,
    left_right_index: Option<i32>,
) -> DomainResult<()> {
    if let Some(p) = pitches.filter(|p| !(1..=MAX_PITCHES).contains(p)) {
        return invalid(format!(
            "pitches {p} is out of range: give the number of pitches, 1 to {MAX_PITCHES}"
        ));
    }
    if let Some(b) = bolts.filter(|b| *b > MAX_BOLTS) {
        return invalid(format!(
            "bolts {b} is out of range: give the number of bolts, 0 to {MAX_BOLTS}"
        ));
    }
    if let Some(i) = left_right_index.filter(|i| i.unsigned_abs() > MAX_LEFT_RIGHT_INDEX as u32) {
        return invalid(format!(
            "left_right_index {i} is out of range: use -{MAX_LEFT_RIGHT_INDEX} to {MAX_LEFT_RIGHT_INDEX}"
        ));
    }
    Ok(())
}

impl Climbing<'_> {
    /// The area new climbs go in: it must exist and hold climbs (a crag, sector,
    /// wall or boulder).
    pub(crate) fn area_for_new_climbs(&self, area_id: &str) -> DomainResult<Area> {
        let area: Area = self.store.get(area_id)?.ok_or_else(|| {
            DomainError::Invalid(format!(
                "area_id \"{area_id}\" is not an existing area; find it with list_areas or create it first"
            ))
        })?;
        if !area.kind.holds_climbs() {
            return invalid(format!(
                "\"{}\" is a {}; climbs go in a crag, sector, wall or boulder inside it",
                area.name,
                area.kind.as_str()
            ));
        }
        Ok(area)
    }

    pub fn create_climb(&self, new: NewClimb) -> DomainResult<Climb> {
        validate::id("area_id", &new.area_id)?;
        let NewClimb {
            name,
            grades,
            location,
            fa,
            description,
            ..
        } = check_new_climb(&new)?;
        let area = self.area_for_new_climbs(&new.area_id)?;
        let climb = self.store.create_with(
            |id| Climb {
                id,
                version: 1,
                name: name.clone(),
                area_id: area.id.clone(),
                grades: grades.clone(),
                disciplines: new.disciplines.clone(),
                length_m: new.length_m,
                bolts: new.bolts,
                pitches: new.pitches,
                fa: fa.clone(),
                safety: new.safety,
                location,
                left_right_index: new.left_right_index,
                description: description.clone(),
                audit: self.audit_new(),
            },
            |climb| {
                self.creation_line(
                    "climb",
                    &climb.id,
                    format!("created \"{}\" in \"{}\"", climb.name, area.name),
                )
            },
            |_| {
                if self.parent_still_exists(&area.id)? {
                    return Ok(());
                }
                // The area was deleted meanwhile (see delete_area): the create is undone.
                invalid(format!(
                    "area_id \"{}\" was deleted while the climb was created; nothing was stored",
                    area.id
                ))
            },
        )?;
        Ok(climb)
    }

    pub fn delete_climb(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Climb> {
        validate::id("id", id)?;
        // Record first, index entries after: readers skip ids whose record is gone.
        let climb = self.store.delete_listed(
            id,
            expected_version,
            |_: &Climb| Ok(()),
            |climb| self.note_deleted('c', id, climb),
        )?;
        self.record_change(
            "climb",
            id,
            Action::Deleted,
            format!("deleted \"{}\"", climb.name),
        )?;
        Ok(climb)
    }

    /// Moves a climb to another crag, sector, wall or boulder.
    pub fn move_climb(
        &self,
        id: &str,
        new_area_id: &str,
        expected_version: Option<u64>,
    ) -> DomainResult<Climb> {
        validate::id("id", id)?;
        validate::id("new_area_id", new_area_id)?;
        let climb: Climb = self.store.require(id)?;
        let area: Area = self.store.get(new_area_id)?.ok_or_else(|| {
            DomainError::Invalid(format!(
                "new_area_id \"{new_area_id}\" is not an existing area"
            ))
        })?;
        if !area.kind.holds_climbs() {
            return invalid(format!(
                "\"{}\" is a {}; climbs go in a crag, sector, wall or boulder",
                area.name,
                area.kind.as_str()
            ));
        }
        if climb.area_id == area.id {
            return Ok(climb);
        }
        let (moved, _) = self.store.rewrite(
            id,
            expected_version,
            |c: &Climb| {
                let mut next = c.clone();
                next.area_id = area.id.clone();
                self.touch(&mut next.audit);
                Ok::<_, DomainError>(Some(next))
            },
            |_, _| {
                if self.parent_still_exists(&area.id)? {
                    return Ok(());
                }
                // The new area was deleted meanwhile (see delete_area): move back.
                invalid(format!(
                    "new_area_id \"{}\" was deleted while the climb was moved; the climb stays where it was",
                    area.id
                ))
            },
        )?;
        self.record_change(
            "climb",
            id,
            Action::Moved,
            format!("moved to \"{}\"", area.name),
        )?;
        Ok(moved)
    }

    /// Climbs whose name contains every word of `query`.
    pub fn search_climbs(
        &self,
        query: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Stored<Climb>>, Option<Position>)> {
        let words = search::tokens(query);
        let Some(first) = words.first() else {
            return invalid("query needs a word of at least 2 letters");
        };
        let slice = search::token_list(self.store.kv(), first).slice(from, limit)?;
        let ids: Vec<String> = slice
            .ids
            .iter()
            .filter_map(|e| e.strip_prefix("c:").map(str::to_owned))
            .collect();
        let mut matching = Vec::new();
        for climb in self.store.get_many_stored::<Climb>(&ids)? {
            // The name is all a match needs; the climb goes out as stored.
            let name = search::tokens(&climb.string_field("name")?);
            if words.iter().all(|w| name.contains(w)) {
                matching.push(climb);
            }
        }
        Ok((matching, slice.next))
    }

    /// The climb `id`, decoded, or `None` when there is none.
    pub fn find_climb(&self, id: &str) -> DomainResult<Option<Climb>> {
        validate::id("id", id)?;
        Ok(self.store.get(id)?)
    }

    pub fn get_climb(&self, id: &str) -> DomainResult<Stored<Climb>> {
        validate::id("id", id)?;
        Ok(self.store.require_stored(id)?)
    }

    pub fn update_climb(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: ClimbChanges,
    ) -> DomainResult<Climb> {
        validate::id("id", id)?;
        // Validate everything before touching the store, so a refusal changes nothing.
        let name = validate::optional_name("name", changes.name.as_deref())?;
        let new_grades = changes.grades.as_ref().map(Grades::checked).transpose()?;
        if let Some(d) = &changes.disciplines {
            check_disciplines(d)?;
        }
        check_length(changes.length_m)?;
        check_counts(changes.pitches, changes.bolts, None)?;
        validate::location("location", changes.location)?;
        let fa = validate::optional_text("fa", changes.fa.clone(), validate::MAX_NAME_CHARS)?;
        let description = validate::optional_text(
            "description",
            changes.description.clone(),
            validate::MAX_TEXT_CHARS,
        )?;
        // The new name's words are indexed before the record changes, the old
        // name's dropped after; the state changed is kept for the history line.
        let before = std::cell::RefCell::new(None);
        let (after, _) = self.store.rewrite(
            id,
            expected_version,
            |current: &Climb| {
                let mut climb = current.clone();
                if let Some(n) = &name {
                    climb.name = n.clone();
                }
                if let Some(g) = &new_grades {
                    climb.grades = g.clone();
                }
                if let Some(d) = &changes.disciplines {
                    climb.disciplines = d.clone();
                }
                climb.length_m = changes.length_m.or(climb.length_m);
                climb.bolts = changes.bolts.or(climb.bolts);
                climb.pitches = changes.pitches.or(climb.pitches);
                climb.safety = changes.safety.or(climb.safety);
                climb.location = changes.location.or(climb.location);
                if fa.is_some() {
                    climb.fa = fa.clone();
                }
                if description.is_some() {
                    climb.description = description.clone();
                }
                self.touch(&mut climb.audit);
                Ok::<_, DomainError>(Some(climb))
            },
            |current, _| {
                *before.borrow_mut() = Some(current.clone());
                Ok(())
            },
        )?;
        let before = before.into_inner().unwrap_or_else(|| after.clone());
        self.record_change("climb", id, Action::Updated, climb_changes(&before, &after))?;
        Ok(after)
    }

    /// A page of the climbs in an area, in the order they were added (a page may
    /// be short: entries of climbs deleted or moved away are skipped).
    pub fn list_climbs(
        &self,
        area_id: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Stored<Climb>>, Option<Position>)> {
        validate::id("area_id", area_id)?;
        let list = climbs_list(area_id);
        Ok(self
            .store
            .page_stored_in(&list, ("area_id", area_id), from, limit)?)
    }

    /// The first climb really in `area_id` (its list read on past entries of
    /// climbs deleted or moved away).
    pub fn first_climb_in(&self, area_id: &str) -> DomainResult<Option<Climb>> {
        Ok(self
            .store
            .first_in(&climbs_list(area_id), &|c: &Climb| c.area_id == area_id)?)
    }
}
