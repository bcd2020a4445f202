//! Area statistics: the grade histogram of the climbs in an area and everything
//! below it, by discipline.

use super::climb::{Climb, Discipline, Grades};
use super::{validate, Climbing, DomainResult};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most areas and climbs one statistics call reads; larger areas are summarised
/// from this many and say so.
pub const MAX_STATS_AREAS: usize = 500;
pub const MAX_STATS_CLIMBS: usize = 10_000;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GradeCount {
    /// The grade, in the system it was recorded in (e.g. "yds 5.10a").
    pub grade: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
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
    pub fn area_stats(&self, id: &str) -> DomainResult<AreaStats> {
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
                    if climbs_counted == MAX_STATS_CLIMBS {
                        truncated = true;
                        break 'areas;
                    }
                    climbs_counted += 1;
                    let (order, label) = grade_label(&c.grades);
                    for d in &c.disciplines {
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
        Ok(AreaStats {
            area_id: area.id,
            area_name: area.name,
            areas_counted: areas.len(),
            climbs_counted,
            disciplines: histogram
                .into_iter()
                .map(|(d, grades)| {
                    let counts = grades
                        .into_iter()
                        .map(|((_, grade), count)| GradeCount { grade, count })
                        .collect();
                    (d, counts)
                })
                .collect(),
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

/// A sortable key and a label for a climb's grade: its score when the grade
/// parses, else its text.
fn grade_label(grades: &Grades) -> (i64, String) {
    match grades.primary() {
        Some((system, text)) => (
            Climb::score_of(grades).map_or(i64::MAX, |s| (s * 100.0) as i64),
            format!("{system} {text}"),
        ),
        None => (i64::MAX, "ungraded".to_owned()),
    }
}
