//! Statistics over a logbook: counts, grade pyramids, progression.

use super::*;

// ---- statistics -----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct AttemptCount {
    pub attempt: AttemptType,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct StyleCount {
    pub style: TickStyle,
    /// Ticks of this style.
    pub ticks: u32,
    /// Of which sends (onsight, flash, redpoint, pinkpoint or send).
    pub sends: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct PyramidStep {
    /// The grade in the pyramid's system.
    pub grade: String,
    pub score: f64,
    pub band: Band,
    pub sends: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Pyramid {
    pub discipline: GradeKind,
    /// The system the steps are written in (each send's grade converted to it).
    pub system: GradeSystem,
    pub sends: u32,
    /// Hardest first.
    pub steps: Vec<PyramidStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct HardestSend {
    pub style: TickStyle,
    /// The grade as it was when the tick was logged.
    pub grade: Grade,
    pub tick_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub date: String,
    pub attempt: AttemptType,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct LogbookStats {
    /// Ticks counted.
    pub ticks: u32,
    /// Of which sends: onsight, flash, redpoint, pinkpoint or send (repeats and
    /// attempts are not sends).
    pub sends: u32,
    /// Sends whose climb had no grade the server could read (not in the pyramids).
    pub ungraded_sends: u32,
    /// At most this many ticks are read.
    pub tick_limit: u32,
    /// True when the logbook has more ticks than `tick_limit`: the statistics cover
    /// the first `tick_limit` ticks logged.
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_date: Option<String>,
    /// Ticks per attempt type (only types that occur).
    pub by_attempt: Vec<AttemptCount>,
    /// Ticks and sends per style (only styles that occur).
    pub by_style: Vec<StyleCount>,
    /// Grade pyramids: sends per grade, one per discipline with sends.
    pub pyramids: Vec<Pyramid>,
    /// The hardest send of each style, by score.
    pub hardest: Vec<HardestSend>,
}

/// The system most used by `ticks` for a discipline (ties go to the first system in
/// [`grades::systems`]).
fn usual_system(ticks: &[Tick], kind: GradeKind) -> GradeSystem {
    let candidates: Vec<GradeSystem> = grades::systems()
        .iter()
        .copied()
        .filter(|s| s.discipline() == kind)
        .collect();
    let count = |s: GradeSystem| {
        ticks
            .iter()
            .filter(|t| t.grade.as_ref().is_some_and(|g| g.system == s))
            .count()
    };
    let mut best = candidates[0];
    for s in &candidates[1..] {
        if count(*s) > count(best) {
            best = *s;
        }
    }
    best
}

pub fn stats(
    ticks: &[Tick],
    route_system: Option<GradeSystem>,
    boulder_system: Option<GradeSystem>,
    truncated: bool,
) -> LogbookStats {
    let by_attempt = ATTEMPTS
        .iter()
        .map(|a| AttemptCount {
            attempt: *a,
            count: ticks.iter().filter(|t| t.attempt == *a).count() as u32,
        })
        .filter(|c| c.count > 0)
        .collect();
    let by_style = STYLES
        .iter()
        .map(|s| StyleCount {
            style: *s,
            ticks: ticks.iter().filter(|t| t.style == *s).count() as u32,
            sends: ticks
                .iter()
                .filter(|t| t.style == *s && t.attempt.is_send())
                .count() as u32,
        })
        .filter(|c| c.ticks > 0)
        .collect();
    let sends: Vec<&Tick> = ticks.iter().filter(|t| t.attempt.is_send()).collect();
    let mut pyramids = Vec::new();
    for (kind, chosen) in [
        (GradeKind::Route, route_system),
        (GradeKind::Boulder, boulder_system),
    ] {
        let system = chosen.unwrap_or_else(|| usual_system(ticks, kind));
        let mut steps: Vec<PyramidStep> = Vec::new();
        let mut count = 0;
        for t in &sends {
            let Some(g) = t.grade.as_ref().filter(|g| g.system.discipline() == kind) else {
                continue;
            };
            let Ok(step) = grades::convert(g, system) else {
                continue;
            };
            count += 1;
            match steps.iter_mut().find(|s| s.grade == step.text) {
                Some(s) => s.sends += 1,
                None => steps.push(PyramidStep {
                    band: grades::band(step.score, kind),
                    grade: step.text,
                    score: step.score,
                    sends: 1,
                }),
            }
        }
        if count > 0 {
            crate::ordering::sort_by(&mut steps, |a, b| b.score.total_cmp(&a.score));
            pyramids.push(Pyramid {
                discipline: kind,
                system,
                sends: count,
                steps,
            });
        }
    }
    let hardest = STYLES
        .iter()
        .filter_map(|style| {
            sends
                .iter()
                .filter(|t| t.style == *style)
                .filter_map(|t| {
                    let g = t.grade.as_ref()?;
                    (g.system.discipline() == style.kind()).then_some((t, g))
                })
                .max_by(|a, b| a.1.score.total_cmp(&b.1.score))
                .map(|(t, g)| HardestSend {
                    style: *style,
                    grade: g.clone(),
                    tick_id: t.id.clone(),
                    name: t.name.clone(),
                    date: t.date.clone(),
                    attempt: t.attempt,
                })
        })
        .collect();
    LogbookStats {
        ticks: ticks.len() as u32,
        sends: sends.len() as u32,
        ungraded_sends: sends.iter().filter(|t| t.grade.is_none()).count() as u32,
        tick_limit: STATS_TICK_LIMIT as u32,
        truncated,
        first_date: ticks.iter().map(|t| t.date.clone()).min(),
        last_date: ticks.iter().map(|t| t.date.clone()).max(),
        by_attempt,
        by_style,
        pyramids,
        hardest,
    }
}
