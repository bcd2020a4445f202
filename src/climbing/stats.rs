//! Area statistics: the grade histogram of the climbs in an area and everything
//! below it, by discipline.

use super::climb::{Discipline, Grades};
use super::grades::{self, GradeKind, GradeSystem};
use super::{invalid, validate, Climbing, DomainResult};
use serde::Serialize;
use std::collections::BTreeMap;

/// Most areas and climbs one statistics call reads; larger areas are summarised
/// from this many and say so.
pub const MAX_STATS_AREAS: usize = 500;
pub const MAX_STATS_CLIMBS: usize = 10_000;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct GradeCount {
    /// The grade in the requested system (e.g. "5.10a"), or "ungraded".
    pub grade: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct AreaStats {
    pub area_id: String,
    pub area_name: String,
    pub areas_counted: usize,
    pub climbs_counted: usize,
    /// Climbs per discipline, each with its grade histogram, easiest grade first.
    pub disciplines: BTreeMap<String, Vec<GradeCount>>,
    /// True when the area is larger than the statistics limits and only part of it was read.
    pub truncated: bool,
}

impl Climbing<'_> {
    /// Grade histograms, with route grades shown in `route_system` and boulder
    /// grades in `boulder_system`.
    pub fn area_stats(
        &self,
        id: &str,
        route_system: GradeSystem,
        boulder_system: GradeSystem,
    ) -> DomainResult<AreaStats> {
        if route_system.discipline() != GradeKind::Route
            || boulder_system.discipline() != GradeKind::Boulder
        {
            return invalid("route_system must be a route grade system (e.g. yds, french) and boulder_system a boulder one (vscale, font)");
        }
        let area = self.get_area(id)?;
        let mut truncated = false;
        let mut areas = vec![area.clone()];
        match self.descendants(id, MAX_STATS_AREAS) {
            Ok(d) => areas.extend(d),
            Err(_) => truncated = true,
        }
        let mut histogram: BTreeMap<String, BTreeMap<(i64, String), usize>> = BTreeMap::new();
        let mut climbs_counted = 0;
        'areas: for a in &areas {
            let mut from = None;
            loop {
                let (climbs, next) = self.list_climbs(&a.id, from.as_ref(), validate::MAX_PAGE)?;
                for c in &climbs {
                    let c = c.decode()?;
                    if climbs_counted == MAX_STATS_CLIMBS {
                        truncated = true;
                        break 'areas;
                    }
                    climbs_counted += 1;
                    for d in &c.disciplines {
                        let (order, label) = if *d == Discipline::Boulder {
                            grade_label(&c.grades, boulder_system)
                        } else {
                            grade_label(&c.grades, route_system)
                        };
                        *histogram
                            .entry(discipline_name(*d))
                            .or_default()
                            .entry((order, label.clone()))
                            .or_default() += 1;
                    }
                }
                match next {
                    Some(n) => from = Some(n),
                    None => break,
                }
            }
        }
        // Inserted one by one: collecting into a B-tree sorts its input first,
        // with one more copy of the sort in the component (see `ordering`).
        let mut disciplines = BTreeMap::new();
        for (d, grades) in histogram {
            let counts = grades
                .into_iter()
                .map(|((_, grade), count)| GradeCount { grade, count })
                .collect();
            disciplines.insert(d, counts);
        }
        Ok(AreaStats {
            area_id: area.id,
            area_name: area.name,
            areas_counted: areas.len(),
            climbs_counted,
            disciplines,
            truncated,
        })
    }
}

pub fn discipline_name(d: Discipline) -> String {
    serde_json::to_value(d)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A sortable key and a label for a climb's grade in `system` (converted from the
/// first grade the climb has of that discipline).
fn grade_label(grades: &Grades, system: GradeSystem) -> (i64, String) {
    let kind = system.discipline();
    let converted = grades
        .parsed()
        .into_iter()
        .find(|g| g.system.discipline() == kind)
        .and_then(|g| grades::convert(&g, system).ok());
    match converted {
        Some(g) => ((g.score * 100.0) as i64, g.text),
        None => (i64::MAX, "ungraded".to_owned()),
    }
}
