//! The climbs of a whole subtree, paged: listing a region or a crag lists every
//! climb below it, not only the climbs filed directly under it.
//!
//! The walk is depth first (an area's own climbs, then each child's subtree in
//! the children's order) and resumable: its state is a small stack of frames, one
//! per level (the tree is at most five levels deep), that travels in the page's
//! cursor. A page reads the index pages it walks over and the climbs it returns,
//! and enters at most [`AREAS_PER_PAGE`] areas, so its cost is bounded whatever
//! the size of the tree; a page cut short by that bound still has a cursor.

use super::area::{children_list, Area};
use super::climb::{climbs_list, Climb, Discipline};
use super::grades::{self, GradeKind};
use super::{invalid, validate, Climbing, DomainError, DomainResult};
use crate::store::index::{IndexList, Position};
use crate::store::Stored;
use serde::{Deserialize, Serialize};

/// Areas a page may enter before it stops short.
pub const AREAS_PER_PAGE: usize = 64;

/// Where a subtree walk resumes. Also reads the plain list position that
/// earlier releases put in `list_climbs` cursors (a position in the area's own
/// climbs), so cursors handed out before an upgrade keep working.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SubtreeCursor {
    Walk {
        #[serde(rename = "w")]
        stack: Vec<Frame>,
    },
    OwnClimbs(Position),
}

/// One level of the walk: an area and how far into it the walk has got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    #[serde(rename = "a")]
    area: String,
    #[serde(rename = "s")]
    step: Step,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Step {
    /// In the area's own climbs, from this position (the start when `None`).
    #[serde(rename = "c")]
    Climbs(Option<Position>),
    /// In the area's children: the next child to enter is at this position.
    #[serde(rename = "k")]
    Children(Option<Position>),
    /// Every child entered; done once the current child's subtree is.
    #[serde(rename = "d")]
    Done,
}

/// Which climbs of a subtree a page keeps: one discipline, a grade range.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClimbFilter {
    discipline: Option<Discipline>,
    /// The scale the range is on, and its ends (either may be open).
    range: Option<(GradeKind, f64, f64)>,
}

impl ClimbFilter {
    /// A filter from a discipline and the ends of a grade range, in any system
    /// whose grades say what they are ("5.10a", "6b+", "V3", "6C").
    pub fn new(
        discipline: Option<Discipline>,
        min_grade: Option<&str>,
        max_grade: Option<&str>,
    ) -> DomainResult<Self> {
        let range = grade_range(min_grade, max_grade)?;
        if let (Some(discipline), Some((kind, _, _))) = (discipline, range) {
            let boulder = discipline == Discipline::Boulder;
            if boulder != (kind == GradeKind::Boulder) {
                return invalid(format!(
                    "discipline {} takes {} grades, but the grade range is in {} grades; use e.g. {}",
                    if boulder { "boulder" } else { "(a route discipline)" },
                    if boulder { "boulder" } else { "route" },
                    kind.as_str(),
                    if boulder { "V3 to V6 or 6A to 7A" } else { "5.10a to 5.11a or 6a to 7a" },
                ));
            }
        }
        Ok(Self { discipline, range })
    }

    fn is_open(&self) -> bool {
        self.discipline.is_none() && self.range.is_none()
    }

    fn keeps(&self, climb: &Climb) -> bool {
        let discipline_ok = self
            .discipline
            .is_none_or(|d| climb.disciplines.contains(&d));
        let grade_ok = self.range.is_none_or(|(kind, low, high)| {
            climb
                .grades
                .score(kind)
                .is_some_and(|s| (low..=high).contains(&s))
        });
        discipline_ok && grade_ok
    }
}

/// A grade range from its two ends, either of which may be open.
fn grade_range(
    min: Option<&str>,
    max: Option<&str>,
) -> DomainResult<Option<(GradeKind, f64, f64)>> {
    let read = |field: &str, text: &str| {
        grades::detect(text).ok_or_else(|| {
            DomainError::Invalid(format!(
                "{field} \"{text}\" is not a grade whose system is clear; use e.g. 5.10a (YDS), 6b+ (French), V4 (V-scale) or 7A (Font)"
            ))
        })
    };
    let low = min.map(|t| read("min_grade", t)).transpose()?;
    let high = max.map(|t| read("max_grade", t)).transpose()?;
    Ok(match (low, high) {
        (None, None) => None,
        (Some(a), None) => Some((a.system.discipline(), a.score, f64::MAX)),
        (None, Some(b)) => Some((b.system.discipline(), f64::MIN, b.score)),
        (Some(a), Some(b)) => {
            if a.system.discipline() != b.system.discipline() {
                return invalid(
                    "min_grade and max_grade must both be route grades or both boulder grades",
                );
            }
            if a.score > b.score {
                return invalid(format!(
                    "min_grade \"{}\" is harder than max_grade \"{}\", so nothing can match; swap them",
                    min.unwrap_or_default(),
                    max.unwrap_or_default()
                ));
            }
            Some((a.system.discipline(), a.score, b.score))
        }
    })
}

impl Climbing<'_> {
    /// [`Climbing::list_subtree_climbs`], keeping the climbs `filter` keeps: a page
    /// holds the matches among `limit` climbs, so it may be shorter.
    pub fn list_filtered_climbs(
        &self,
        area_id: &str,
        filter: &ClimbFilter,
        from: Option<SubtreeCursor>,
        limit: usize,
    ) -> DomainResult<(Vec<Stored<Climb>>, Option<SubtreeCursor>)> {
        let (items, next) = self.list_subtree_climbs(area_id, from, limit)?;
        if filter.is_open() {
            // Filters look inside the climbs; without them they go out as stored.
            return Ok((items, next));
        }
        let mut kept = Vec::with_capacity(items.len());
        for stored in items {
            if filter.keeps(&stored.decode()?) {
                kept.push(stored);
            }
        }
        Ok((kept, next))
    }

    /// Up to `limit` climbs of the subtree of `area_id`, from `from`.
    pub fn list_subtree_climbs(
        &self,
        area_id: &str,
        from: Option<SubtreeCursor>,
        limit: usize,
    ) -> DomainResult<(Vec<Stored<Climb>>, Option<SubtreeCursor>)> {
        validate::id("area_id", area_id)?;
        let mut stack = match from {
            None => vec![Frame::new(area_id)],
            Some(SubtreeCursor::OwnClimbs(pos)) => vec![Frame {
                area: area_id.to_owned(),
                step: Step::Climbs(Some(pos)),
            }],
            Some(SubtreeCursor::Walk { stack }) => stack,
        };
        // Each climb's id with the area it was listed under.
        let mut ids: Vec<(String, String)> = Vec::new();
        let mut entered = 0;
        while let Some(top) = stack.last_mut() {
            match &top.step {
                Step::Climbs(pos) => {
                    let list = IndexList::new(self.store.kv(), climbs_list(&top.area));
                    let slice = list.slice(pos.as_ref(), limit - ids.len())?;
                    ids.extend(slice.ids.into_iter().map(|id| (id, top.area.clone())));
                    top.step = match slice.next {
                        Some(next) => Step::Climbs(Some(next)),
                        None => Step::Children(None),
                    };
                    // A full page ends here, unless all that is left is the
                    // children step and the area turns out to have none (checked
                    // below, so a crag's last page has no cursor).
                    if ids.len() == limit && matches!(top.step, Step::Climbs(_)) {
                        break;
                    }
                }
                Step::Children(pos) => {
                    let pos = pos.clone();
                    let list = IndexList::new(self.store.kv(), children_list(Some(&top.area)));
                    let slice = list.slice(pos.as_ref(), 1)?;
                    let child = slice.ids.into_iter().next();
                    top.step = match slice.next {
                        Some(next) => Step::Children(Some(next)),
                        None => Step::Done,
                    };
                    match child {
                        Some(child) if ids.len() < limit && entered < AREAS_PER_PAGE => {
                            entered += 1;
                            // An area moved away (or deleted) is not walked here.
                            if self.is_child_of(&child, &top.area)? {
                                stack.push(Frame::new(&child));
                            }
                        }
                        Some(_) => {
                            // Not entered on this page: step back so the next page
                            // enters it.
                            top.step = Step::Children(pos);
                            break;
                        }
                        None if matches!(top.step, Step::Done) => {
                            stack.pop();
                        }
                        // Only holes (children removed) so far: read on, counting
                        // the read against the page's bound.
                        None if entered < AREAS_PER_PAGE => entered += 1,
                        None => break,
                    }
                }
                Step::Done => {
                    stack.pop();
                }
            }
        }
        let next = (!stack.is_empty()).then_some(SubtreeCursor::Walk { stack });
        // A climb moved away from an area is skipped there (a move cut off before
        // removing its old entry leaves one), so it is listed once, where it is.
        let listed: Vec<(&str, &str)> = ids
            .iter()
            .map(|(id, area)| (id.as_str(), area.as_str()))
            .collect();
        Ok((self.store.get_many_stored_in(&listed, "area_id")?, next))
    }

    /// Whether area `child` is below `parent`, as its own record says.
    fn is_child_of(&self, child: &str, parent: &str) -> DomainResult<bool> {
        let found = self
            .store
            .get_many_stored_in::<Area>(&[(child, parent)], "parent_id")?;
        Ok(!found.is_empty())
    }
}

impl Frame {
    fn new(area: &str) -> Self {
        Frame {
            area: area.to_owned(),
            step: Step::Climbs(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::climbing::area::AreaKind;
    use crate::climbing::tests::{climbing, new_climb};
    use crate::platform::memory::MemoryPlatform;

    fn area(c: &Climbing, name: &str, kind: AreaKind, parent: Option<&str>) -> String {
        crate::climbing::tests::area(c, name, kind, parent, None)
    }

    fn climbs(c: &Climbing, area_id: &str, prefix: &str, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                c.create_climb(new_climb(&format!("{prefix} {i}"), area_id))
                    .unwrap()
                    .id
            })
            .collect()
    }

    /// Every page, in order, with `limit` climbs a page.
    fn walk(c: &Climbing, root: &str, limit: usize) -> (Vec<String>, usize) {
        let mut seen = Vec::new();
        let mut pages = 0;
        let mut from = None;
        loop {
            let (items, next) = c.list_subtree_climbs(root, from, limit).unwrap();
            pages += 1;
            assert!(items.len() <= limit);
            seen.extend(items.iter().map(|s| s.decode().unwrap().id));
            // Through the cursor's wire form, as a client hands it back.
            match next {
                Some(n) => {
                    from = Some(serde_json::from_value(serde_json::to_value(n).unwrap()).unwrap())
                }
                None => return (seen, pages),
            }
        }
    }

    #[test]
    fn a_region_lists_every_climb_below_it_depth_first() {
        let p = MemoryPlatform::default();
        let c = climbing(&p);
        let region = area(&c, "Oregon", AreaKind::Region, None);
        let park = area(&c, "Smith Rock", AreaKind::Area, Some(&region));
        let dihedrals = area(&c, "The Dihedrals", AreaKind::Crag, Some(&park));
        let own = climbs(&c, &dihedrals, "own", 3);
        let wall = area(&c, "Left Wall", AreaKind::Wall, Some(&dihedrals));
        let on_wall = climbs(&c, &wall, "wall", 4);
        let empty = area(&c, "Empty Crag", AreaKind::Crag, Some(&park));
        let monkey = area(&c, "Monkey Face", AreaKind::Crag, Some(&park));
        let on_monkey = climbs(&c, &monkey, "monkey", 5);
        let _ = empty;
        let expected: Vec<String> = own
            .iter()
            .chain(&on_wall)
            .chain(&on_monkey)
            .cloned()
            .collect();
        for limit in [1, 2, 3, 4, 5, 12, 50] {
            let (seen, _) = walk(&c, &region, limit);
            assert_eq!(seen, expected, "limit {limit}");
        }
        // A wall lists its own climbs; a crag its own and its walls'.
        assert_eq!(walk(&c, &wall, 50).0, on_wall);
        let crag: Vec<String> = own.iter().chain(&on_wall).cloned().collect();
        assert_eq!(walk(&c, &dihedrals, 50).0, crag);
        // A leaf whose climbs fill the page exactly ends without a cursor.
        assert_eq!(walk(&c, &wall, 4), (on_wall.clone(), 1));
    }

    #[test]
    fn a_page_enters_a_bounded_number_of_areas() {
        let p = MemoryPlatform::default();
        let c = climbing(&p);
        let region = area(&c, "Big", AreaKind::Region, None);
        let mut expected = Vec::new();
        for i in 0..(AREAS_PER_PAGE + 10) {
            let crag = area(&c, &format!("Crag {i}"), AreaKind::Crag, Some(&region));
            if i % 20 == 19 || i == AREAS_PER_PAGE + 9 {
                expected.extend(climbs(&c, &crag, "c", 1));
            }
        }
        let (first, next) = c.list_subtree_climbs(&region, None, 50).unwrap();
        assert!(next.is_some(), "a page stops after {AREAS_PER_PAGE} areas");
        assert!(first.len() < expected.len());
        assert_eq!(walk(&c, &region, 50).0, expected);
    }

    #[test]
    fn a_cursor_from_a_plain_list_position_still_works() {
        let p = MemoryPlatform::default();
        let c = climbing(&p);
        let region = area(&c, "R", AreaKind::Region, None);
        let crag = area(&c, "Crag", AreaKind::Crag, Some(&region));
        let all = climbs(&c, &crag, "c", 5);
        let (_, next) = c.list_climbs(&crag, None, 2).unwrap();
        let old = serde_json::to_value(next.unwrap()).unwrap();
        let from: SubtreeCursor = serde_json::from_value(old).unwrap();
        let (rest, _) = c.list_subtree_climbs(&crag, Some(from), 50).unwrap();
        let rest: Vec<String> = rest.iter().map(|s| s.decode().unwrap().id).collect();
        assert_eq!(rest, all[2..]);
    }
}
