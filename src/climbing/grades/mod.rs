//! Grades: parsing, conversion, comparison and bands across grading systems.
//!
//! Every grade maps to one number, its *score*, on a scale from 0 to 107 shared by
//! all systems of a discipline (the table and its sources are in `grades_table.rs`:
//! OpenBeta's `sandbag` tables, MIT). A grade that covers several rows of the table
//! scores the middle of its rows, so 5.10a (rows 57–61) scores 59 and 6a (rows
//! 60–61) scores 60.5. Conversion picks the grade of the target system whose score
//! is nearest (the lower one on a tie); comparison orders by score.
//!
//! Route systems (YDS, French, UIAA, Ewbank, Saxon, Norwegian, British) convert among
//! themselves, boulder systems (V-scale, Font) among themselves; the two scales are
//! not comparable and crossing them is refused.
//!
//! Input is forgiving: case and spaces do not matter, Roman numerals are read for
//! UIAA ("VI-") and Saxon ("VIIa"), the "5." of YDS may be left out. Beyond the
//! grades of the table these forms are read, each scoring between table grades:
//! - Font "4", "5+" (easy grades without a letter): "5" spans 5A–5B+, "5+" 5C–5C+.
//! - YDS "5.10" (no letter): the middle of 5.10a–5.10d; "5.11-" the middle of
//!   5.11a/b, "5.11+" of 5.11c/d; "5.9+" halfway between 5.9 and 5.10a.
//! - Slash grades ("5.10a/b", "6a/6a+", "7A/+", "V4-5", "V4/V5", "8/8+"): the
//!   *midpoint* of the two grades (not the lower one), for grades at most two steps
//!   apart. The normalized text keeps the slash ("5.10a/b", "V4-5").
//! - "+" and "-" on systems without them (V-scale "V4+", Ewbank "22+", Saxon
//!   "7b+"): halfway towards the next or previous grade.
//! - British: an adjectival grade alone ("E1"), with a technical grade ("E1 5b",
//!   "E3 5c/6a"), or a technical grade alone ("5c"). A technical grade harder or
//!   easier than the usual one for the adjectival grade moves the score by half a
//!   point per step, at most one point, so it orders grades within one adjectival
//!   grade without ever crossing into the next.

mod table;

mod reading;
#[cfg(test)]
mod tests;

use reading::*;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::sync::OnceLock;

/// A grading system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GradeSystem {
    /// Yosemite Decimal System (USA): 5.9, 5.10a, 5.12c.
    Yds,
    /// French sport grades: 6a, 6b+, 7c.
    French,
    /// UIAA (Central Europe): 6-, 7+, VIII.
    Uiaa,
    /// Ewbank (Australia, New Zealand, South Africa): 18, 24.
    Ewbank,
    /// Saxon (Elbsandstein): 7a, VIIb, 10c.
    Saxon,
    /// Norwegian: 6-, 7+.
    Norwegian,
    /// British adjectival and technical grades: VS 4c, E1 5b, E5 6b.
    British,
    /// V-scale (Hueco) bouldering grades: VB, V0, V4, V10.
    #[serde(rename = "vscale")]
    VScale,
    /// Fontainebleau bouldering grades: 6A, 7A+, 8B.
    Font,
}

/// Whether grades rate routes (roped climbs) or boulder problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GradeKind {
    Route,
    Boulder,
}

impl GradeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GradeKind::Route => "route",
            GradeKind::Boulder => "boulder",
        }
    }
}

const ALL_SYSTEMS: [GradeSystem; 9] = [
    GradeSystem::Yds,
    GradeSystem::French,
    GradeSystem::Uiaa,
    GradeSystem::Ewbank,
    GradeSystem::Saxon,
    GradeSystem::Norwegian,
    GradeSystem::British,
    GradeSystem::VScale,
    GradeSystem::Font,
];

impl GradeSystem {
    /// The name used in JSON (`"yds"`, `"vscale"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            GradeSystem::Yds => "yds",
            GradeSystem::French => "french",
            GradeSystem::Uiaa => "uiaa",
            GradeSystem::Ewbank => "ewbank",
            GradeSystem::Saxon => "saxon",
            GradeSystem::Norwegian => "norwegian",
            GradeSystem::British => "british",
            GradeSystem::VScale => "vscale",
            GradeSystem::Font => "font",
        }
    }

    /// A name for people ("Yosemite Decimal System").
    pub fn display_name(self) -> &'static str {
        match self {
            GradeSystem::Yds => "Yosemite Decimal System",
            GradeSystem::French => "French",
            GradeSystem::Uiaa => "UIAA",
            GradeSystem::Ewbank => "Ewbank",
            GradeSystem::Saxon => "Saxon",
            GradeSystem::Norwegian => "Norwegian",
            GradeSystem::British => "British (adjectival and technical)",
            GradeSystem::VScale => "V-scale",
            GradeSystem::Font => "Fontainebleau",
        }
    }

    pub fn discipline(self) -> GradeKind {
        match self {
            GradeSystem::VScale | GradeSystem::Font => GradeKind::Boulder,
            _ => GradeKind::Route,
        }
    }

    /// A few valid grades, for messages and documentation.
    pub fn examples(self) -> &'static [&'static str] {
        match self {
            GradeSystem::Yds => &["5.6", "5.9", "5.10a", "5.11c", "5.13b"],
            GradeSystem::French => &["4c", "5c+", "6a", "6b+", "7c"],
            GradeSystem::Uiaa => &["4", "6-", "7+", "8", "VII+"],
            GradeSystem::Ewbank => &["12", "18", "21", "24", "28"],
            GradeSystem::Saxon => &["5", "7a", "8b", "9c", "VIIb"],
            GradeSystem::Norwegian => &["4+", "6-", "6", "7+", "8"],
            GradeSystem::British => &["VD", "S 4a", "VS 4c", "HVS 5a", "E1 5b", "E3 6a"],
            GradeSystem::VScale => &["VB", "V0", "V2", "V4", "V8"],
            GradeSystem::Font => &["4", "5+", "6A", "6C+", "7A+"],
        }
    }

    /// Reads a system name in its common spellings: "yds", "YDS", "us", "french",
    /// "sport", "uiaa", "v", "vscale", "v-scale", "hueco", "font", "fontainebleau",
    /// "fb", "british", "uk", "trad", "e-grade", ...
    pub fn parse_name(name: &str) -> Option<Self> {
        let key: String = name
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match key.as_str() {
            "yds"
            | "yosemite"
            | "yosemitedecimal"
            | "yosemitedecimalsystem"
            | "us"
            | "usa"
            | "american"
            | "decimal" => GradeSystem::Yds,
            "french" | "fr" | "france" | "sport" | "frenchsport" => GradeSystem::French,
            "uiaa" | "german" | "germany" => GradeSystem::Uiaa,
            "ewbank" | "australian" | "australia" | "au" | "aus" | "nz" | "southafrican" => {
                GradeSystem::Ewbank
            }
            "saxon" | "saxony" | "sachsen" | "elbsandstein" => GradeSystem::Saxon,
            "norwegian" | "norway" | "no" | "nor" | "scandinavian" => GradeSystem::Norwegian,
            "british" | "uk" | "gb" | "britain" | "trad" | "egrade" | "egrades"
            | "britishadjectival" | "britishtechnical" | "adjectival" => GradeSystem::British,
            "v" | "vscale" | "vgrade" | "vgrades" | "hueco" | "usboulder" => GradeSystem::VScale,
            "font" | "fontainebleau" | "fb" | "fontscale" | "frenchboulder" | "bleau" => {
                GradeSystem::Font
            }
            _ => return None,
        })
    }
}

/// The accepted system names, for messages.
pub const SYSTEM_NAMES: &str =
    "yds, french, uiaa, ewbank, saxon, norwegian, british (route grades); vscale, font (boulder grades)";

/// A grade in one system, with its score on the shared scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Grade {
    pub system: GradeSystem,
    /// The grade, normalized ("5.10a", "6a+", "V4", "7A", "E1 5b").
    pub text: String,
    /// Position on the shared 0–107 scale of the grade's discipline: higher is harder.
    pub score: f64,
}

/// A difficulty band, for grouping climbs across systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Beginner,
    Intermediate,
    Advanced,
    Expert,
    Elite,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Beginner => "beginner",
            Band::Intermediate => "intermediate",
            Band::Advanced => "advanced",
            Band::Expert => "expert",
            Band::Elite => "elite",
        }
    }
}

/// Where each band starts on the score scale, per discipline. The first four
/// thresholds are `sandbag`'s grade bands (routes: intermediate from 54 ≈ 5.9/5b+,
/// advanced from 67.5 ≈ 5.11a/6b+–6c, expert from 82.5 ≈ 5.13a/7c+; boulders:
/// intermediate from 50 ≈ V1/5a+, advanced from 60 ≈ V3/6a, expert from 72 ≈
/// V6/7A); elite is ours: from 90 for routes (≈ 5.14a/8b+, E9) and from 84 for
/// boulders (≈ V11/8A).
pub fn band_thresholds(kind: GradeKind) -> [(Band, f64); 5] {
    match kind {
        GradeKind::Route => [
            (Band::Beginner, 0.0),
            (Band::Intermediate, 54.0),
            (Band::Advanced, 67.5),
            (Band::Expert, 82.5),
            (Band::Elite, 90.0),
        ],
        GradeKind::Boulder => [
            (Band::Beginner, 0.0),
            (Band::Intermediate, 50.0),
            (Band::Advanced, 60.0),
            (Band::Expert, 72.0),
            (Band::Elite, 84.0),
        ],
    }
}

/// The band of a score (see [`band_thresholds`]).
pub fn band(score: f64, kind: GradeKind) -> Band {
    band_thresholds(kind)
        .iter()
        .rev()
        .find(|(_, from)| score >= *from)
        .map(|(b, _)| *b)
        .unwrap_or(Band::Beginner)
}

/// Grades of different systems whose scores differ by at most this much compare as
/// equal: 5.10a (59) and 5c+ (58.5) are the same grade, 5.10a and 6a (60.5) are not.
pub const SAME_GRADE_WITHIN: f64 = 1.0;

/// Every system, routes first.
pub fn systems() -> &'static [GradeSystem] {
    &ALL_SYSTEMS
}

/// Every grade of a system, easiest first.
pub fn grades_of(system: GradeSystem) -> Vec<&'static str> {
    entries(system).iter().map(|e| e.text).collect()
}

/// Every grade of a system with its score, easiest first.
pub fn chart(system: GradeSystem) -> Vec<Grade> {
    entries(system)
        .iter()
        .map(|e| grade(system, e.text.to_owned(), e.score))
        .collect()
}

/// Reads a grade of `system`. The error says what the system's grades look like.
pub fn parse(system: GradeSystem, text: &str) -> Result<Grade, String> {
    try_parse(system, text).ok_or_else(|| not_a_grade(system, text))
}

fn try_parse(system: GradeSystem, text: &str) -> Option<Grade> {
    let raw = text.trim();
    if raw.is_empty() || raw.len() > 24 || !raw.is_ascii() {
        None
    } else if system == GradeSystem::British {
        parse_british(raw)
    } else {
        parse_normalized(system, &normalize(system, raw))
    }
}

/// The nearest grade to `grade` in `to` (the lower one on a tie). Refused across
/// disciplines: route grades do not convert to boulder grades.
pub fn convert(grade: &Grade, to: GradeSystem) -> Result<Grade, String> {
    same_discipline(grade, to, "convert")?;
    if grade.system == to {
        return Ok(grade.clone());
    }
    let mut best: Option<&Entry> = None;
    for e in entries(to) {
        let closer = match best {
            None => true,
            Some(b) => (e.score - grade.score).abs() < (b.score - grade.score).abs(),
        };
        if closer {
            best = Some(e);
        }
    }
    let e = best.ok_or_else(|| format!("no grades known for {}", to.as_str()))?;
    Ok(self::grade(to, e.text.to_owned(), e.score))
}

/// Which grade is harder. Within one system the scores decide; across systems of a
/// discipline, grades within [`SAME_GRADE_WITHIN`] of each other are equal. Refused
/// across disciplines.
pub fn compare(a: &Grade, b: &Grade) -> Result<Ordering, String> {
    same_discipline(a, b.system, "compare")?;
    if a.system == b.system {
        return Ok(a.score.total_cmp(&b.score));
    }
    let d = a.score - b.score;
    Ok(if d.abs() <= SAME_GRADE_WITHIN {
        Ordering::Equal
    } else if d < 0.0 {
        Ordering::Less
    } else {
        Ordering::Greater
    })
}

/// Guesses the system from the text where that is unambiguous: "5.11a" is YDS,
/// "V5" V-scale, "7A+" Font (capital letter), "6b+" French (small letter), "E2 5c"
/// or "HVS" British, "VII+" UIAA, "VIIa" Saxon. Bare numbers ("6", "7+") could be
/// UIAA, Ewbank, Saxon or Norwegian and give `None`.
pub fn detect(text: &str) -> Option<Grade> {
    let t = text.trim();
    if t.is_empty() || t.len() > 24 || !t.is_ascii() {
        return None;
    }
    let bytes = t.as_bytes();
    let first = bytes[0];
    if t.starts_with("5.") {
        return try_parse(GradeSystem::Yds, t);
    }
    if (first == b'V' || first == b'v')
        && bytes
            .get(1)
            .is_some_and(|c| c.is_ascii_digit() || *c == b'B' || *c == b'b')
    {
        return try_parse(GradeSystem::VScale, t);
    }
    if first.is_ascii_alphabetic() {
        if let Some(g) = parse_british(t) {
            return Some(g);
        }
        let roman_len = bytes
            .iter()
            .take_while(|c| matches!(c, b'I' | b'V' | b'X'))
            .count();
        if roman_len == 0 {
            return None;
        }
        let rest = &t[roman_len..];
        if matches!(rest, "a" | "b" | "c") {
            return try_parse(GradeSystem::Saxon, t);
        }
        return try_parse(GradeSystem::Uiaa, t);
    }
    if first.is_ascii_digit() {
        let upper = bytes.iter().any(|c| matches!(c, b'A' | b'B' | b'C'));
        let lower = bytes.iter().any(|c| matches!(c, b'a' | b'b' | b'c'));
        if upper && !lower {
            return try_parse(GradeSystem::Font, t);
        }
        if lower && !upper {
            return try_parse(GradeSystem::French, t);
        }
    }
    None
}
