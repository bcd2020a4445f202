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

#[path = "grades_table.rs"]
mod table;

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

// ---- internals -------------------------------------------------------------------

struct Entry {
    text: &'static str,
    score: f64,
}

fn grade(system: GradeSystem, text: String, score: f64) -> Grade {
    Grade {
        system,
        text,
        score,
    }
}

fn same_discipline(a: &Grade, to: GradeSystem, verb: &str) -> Result<(), String> {
    let (from_kind, to_kind) = (a.system.discipline(), to.discipline());
    if from_kind == to_kind {
        return Ok(());
    }
    let others: Vec<&str> = ALL_SYSTEMS
        .iter()
        .filter(|s| s.discipline() == from_kind)
        .map(|s| s.as_str())
        .collect();
    Err(format!(
        "cannot {verb} {} {} (a {} grade) with {} (a {} system): route and boulder grades are different scales. {} grades {verb} only with {}",
        a.system.as_str(),
        a.text,
        from_kind.as_str(),
        to.as_str(),
        to_kind.as_str(),
        a.system.display_name(),
        others.join(", ")
    ))
}

fn index(system: GradeSystem) -> usize {
    ALL_SYSTEMS.iter().position(|s| *s == system).unwrap_or(0)
}

fn entries(system: GradeSystem) -> &'static [Entry] {
    static TABLES: OnceLock<Vec<Vec<Entry>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        ALL_SYSTEMS
            .iter()
            .map(|s| match s {
                GradeSystem::Yds => runs(table::ROUTES.iter().map(|r| r.0)),
                GradeSystem::French => runs(table::ROUTES.iter().map(|r| r.1)),
                GradeSystem::Uiaa => runs(table::ROUTES.iter().map(|r| r.2)),
                GradeSystem::Ewbank => runs(table::ROUTES.iter().map(|r| r.3)),
                GradeSystem::Saxon => runs(table::ROUTES.iter().map(|r| r.4)),
                GradeSystem::Norwegian => runs(table::ROUTES.iter().map(|r| r.5)),
                GradeSystem::VScale => runs(table::BOULDERS.iter().map(|r| r.0)),
                GradeSystem::Font => runs(table::BOULDERS.iter().map(|r| r.1)),
                GradeSystem::British => table::BRITISH
                    .iter()
                    .map(|(text, score)| Entry {
                        text,
                        score: *score,
                    })
                    .collect(),
            })
            .collect()
    });
    &tables[index(system)]
}

/// Groups consecutive rows naming the same grade; the grade scores the middle row.
fn runs(cells: impl Iterator<Item = &'static str>) -> Vec<Entry> {
    let mut spans: Vec<(&'static str, usize, usize)> = Vec::new();
    for (row, text) in cells.enumerate() {
        match spans.last_mut() {
            Some(last) if last.0 == text => last.2 = row,
            _ => spans.push((text, row, row)),
        }
    }
    spans
        .into_iter()
        .map(|(text, first, last)| Entry {
            text,
            score: (first + last) as f64 / 2.0,
        })
        .collect()
}

fn find(system: GradeSystem, text: &str) -> Option<(usize, &'static Entry)> {
    entries(system)
        .iter()
        .enumerate()
        .find(|(_, e)| e.text == text)
}

/// Case, spaces and Roman numerals as each system writes its grades.
fn normalize(system: GradeSystem, raw: &str) -> String {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    // OpenBeta and Mountain Project write the easiest boulder grade "V-easy".
    if system == GradeSystem::VScale && compact.eq_ignore_ascii_case("v-easy") {
        return "VB".to_owned();
    }
    match system {
        GradeSystem::Yds => {
            let s = compact.to_ascii_lowercase();
            if s.starts_with(|c: char| c.is_ascii_digit()) && !s.starts_with("5.") {
                format!("5.{s}")
            } else {
                s
            }
        }
        GradeSystem::French => compact.to_ascii_lowercase(),
        GradeSystem::Font => compact.to_ascii_uppercase(),
        GradeSystem::VScale => {
            let s = compact.to_ascii_uppercase();
            let s = if s.starts_with(|c: char| c.is_ascii_digit()) {
                format!("V{s}")
            } else {
                s
            };
            // "V4-5" and "V4-V5" are slash grades; "V0-" is a grade of its own.
            let b = s.as_bytes();
            let mut out = String::with_capacity(s.len());
            for (i, c) in s.char_indices() {
                let next = b.get(i + 1).copied();
                if c == '-' && next.is_some_and(|n| n.is_ascii_digit() || n == b'V') {
                    out.push('/');
                } else {
                    out.push(c);
                }
            }
            out
        }
        GradeSystem::Uiaa | GradeSystem::Saxon => {
            compact.split('/').map(arabic).collect::<Vec<_>>().join("/")
        }
        GradeSystem::Ewbank | GradeSystem::Norwegian | GradeSystem::British => compact,
    }
}

/// "VII+" -> "7+", "VIIa" -> "7a"; anything else lower-cased.
fn arabic(part: &str) -> String {
    let upper = part.to_ascii_uppercase();
    let n = upper
        .bytes()
        .take_while(|c| matches!(c, b'I' | b'V' | b'X'))
        .count();
    match roman_value(&upper[..n]) {
        Some(v) if n > 0 => format!("{v}{}", part[n..].to_ascii_lowercase()),
        _ => part.to_ascii_lowercase(),
    }
}

fn roman_value(s: &str) -> Option<u32> {
    const NUMERALS: [&str; 12] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ];
    NUMERALS.iter().position(|r| *r == s).map(|i| i as u32 + 1)
}

fn parse_normalized(system: GradeSystem, norm: &str) -> Option<Grade> {
    if let Some((_, e)) = find(system, norm) {
        return Some(grade(system, e.text.to_owned(), e.score));
    }
    if system == GradeSystem::Yds {
        if let Some(g) = yds_open(norm) {
            return Some(g);
        }
    }
    if system == GradeSystem::Font {
        if let Some(g) = font_open(norm) {
            return Some(g);
        }
    }
    if let Some(g) = slash(system, norm) {
        return Some(g);
    }
    if matches!(
        system,
        GradeSystem::Yds | GradeSystem::VScale | GradeSystem::Ewbank | GradeSystem::Saxon
    ) {
        return plus_minus(system, norm);
    }
    None
}

/// YDS grades of 5.10 and up without a letter: "5.10", "5.11-", "5.11+".
fn yds_open(norm: &str) -> Option<Grade> {
    let body = norm.strip_prefix("5.")?;
    let (number, modifier) = match body.as_bytes().last()? {
        b'+' | b'-' => (&body[..body.len() - 1], &body[body.len() - 1..]),
        _ => (body, ""),
    };
    if number.is_empty() || !number.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if number.parse::<u32>().ok()? < 10 {
        return None;
    }
    let letters: Vec<f64> = ["a", "b", "c", "d"]
        .iter()
        .filter_map(|l| find(GradeSystem::Yds, &format!("5.{number}{l}")).map(|(_, e)| e.score))
        .collect();
    let (lo, hi) = match (modifier, letters.as_slice()) {
        (_, []) => return None,
        ("", all) => (all[0], all[all.len() - 1]),
        ("-", all) => (all[0], all[1.min(all.len() - 1)]),
        (_, all) => (all[all.len().saturating_sub(2)], all[all.len() - 1]),
    };
    Some(grade(GradeSystem::Yds, norm.to_owned(), (lo + hi) / 2.0))
}

/// Font grades below 6 written without a letter: "5" spans 5A to 5B+, "5+" 5C to 5C+.
fn font_open(norm: &str) -> Option<Grade> {
    let (number, plus) = match norm.strip_suffix('+') {
        Some(n) => (n, true),
        None => (norm, false),
    };
    if !matches!(number, "1" | "2" | "3" | "4" | "5") {
        return None;
    }
    let letters: &[&str] = if plus {
        &["C", "C+"]
    } else {
        &["A", "A+", "B", "B+"]
    };
    let scores: Vec<f64> = letters
        .iter()
        .filter_map(|l| find(GradeSystem::Font, &format!("{number}{l}")).map(|(_, e)| e.score))
        .collect();
    let (lo, hi) = (scores.first()?, scores.last()?);
    Some(grade(GradeSystem::Font, norm.to_owned(), (lo + hi) / 2.0))
}

/// Slash grades: the midpoint of two grades at most two steps apart.
fn slash(system: GradeSystem, norm: &str) -> Option<Grade> {
    let (left, right) = norm.split_once('/')?;
    let (li, lo) = find(system, left)?;
    let stem_letters =
        left.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '+' || c == '-');
    let stem_digits = left.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
    let stem_modifier = left.trim_end_matches(['+', '-']);
    let candidates = [
        right.to_owned(),
        format!("{stem_letters}{right}"),
        format!("{stem_digits}{right}"),
        format!("{stem_modifier}{right}"),
    ];
    // "V1-2" could read as V1/V12 or V1/V2: the nearest grade is the one meant.
    let (ri, hi) = candidates
        .iter()
        .filter_map(|c| find(system, c))
        .min_by_key(|(i, _)| i.abs_diff(li))?;
    if li == ri || li.abs_diff(ri) > 2 {
        return None;
    }
    let (lo, hi) = if li < ri { (lo, hi) } else { (hi, lo) };
    let text = match system {
        GradeSystem::VScale
            if lo.text[1..].bytes().all(|c| c.is_ascii_digit())
                && hi.text[1..].bytes().all(|c| c.is_ascii_digit()) =>
        {
            format!("{}-{}", lo.text, &hi.text[1..])
        }
        GradeSystem::Yds
            if lo.text.len() == hi.text.len()
                && lo.text.len() > 4
                && lo.text[..lo.text.len() - 1] == hi.text[..hi.text.len() - 1] =>
        {
            format!("{}/{}", lo.text, &hi.text[hi.text.len() - 1..])
        }
        _ => format!("{}/{}", lo.text, hi.text),
    };
    Some(grade(system, text, (lo.score + hi.score) / 2.0))
}

/// "+" or "-" on a grade of a system without them: halfway to the next or previous.
fn plus_minus(system: GradeSystem, norm: &str) -> Option<Grade> {
    let (base, up) = if let Some(b) = norm.strip_suffix('+') {
        (b, true)
    } else {
        (norm.strip_suffix('-')?, false)
    };
    let (i, e) = find(system, base)?;
    let all = entries(system);
    let other = if up {
        all.get(i + 1)?
    } else {
        all.get(i.checked_sub(1)?)?
    };
    Some(grade(
        system,
        norm.to_owned(),
        (e.score + other.score) / 2.0,
    ))
}

const BRITISH_ALIASES: [(&str, &str); 14] = [
    ("MOD", "M"),
    ("MODERATE", "M"),
    ("DIFF", "D"),
    ("DIFFICULT", "D"),
    ("VDIFF", "VD"),
    ("V.DIFF", "VD"),
    ("VERYDIFFICULT", "VD"),
    ("HVDIFF", "HVD"),
    ("SEV", "S"),
    ("SEVERE", "S"),
    ("HSEV", "HS"),
    ("HARDSEVERE", "HS"),
    ("VERYSEVERE", "VS"),
    ("HARDVERYSEVERE", "HVS"),
];

/// The index in `BRITISH` of an adjectival grade (upper case).
fn british_adjectival(word: &str) -> Option<usize> {
    let word = BRITISH_ALIASES
        .iter()
        .find(|(alias, _)| *alias == word)
        .map_or(word, |(_, canonical)| canonical);
    table::BRITISH
        .iter()
        .position(|(text, _)| text.split(' ').next() == Some(word))
}

/// The position in `BRITISH_TECHNICAL` of a technical grade, halfway for "5c/6a".
fn british_technical(word: &str) -> Option<(String, f64)> {
    let word = word.to_ascii_lowercase();
    let pos = |t: &str| {
        table::BRITISH_TECHNICAL
            .iter()
            .position(|(text, _)| *text == t)
    };
    match word.split_once('/') {
        None => pos(&word).map(|p| (word.clone(), p as f64)),
        Some((a, b)) => {
            let (pa, pb) = (pos(a)?, pos(b)?);
            (pb == pa + 1).then(|| (word.clone(), (pa + pb) as f64 / 2.0))
        }
    }
}

fn parse_british(raw: &str) -> Option<Grade> {
    let upper = raw.to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().collect();
    let (adjectival, technical) = match words.as_slice() {
        [one] => {
            if let Some(i) = british_adjectival(one) {
                (i, None)
            } else if let Some((text, p)) = british_technical(one) {
                // A technical grade alone scores like the grade it usually goes with.
                let score = if p.fract() == 0.0 {
                    table::BRITISH_TECHNICAL[p as usize].1
                } else {
                    let lo = table::BRITISH_TECHNICAL[p.floor() as usize].1;
                    let hi = table::BRITISH_TECHNICAL[p.ceil() as usize].1;
                    (lo + hi) / 2.0
                };
                return Some(grade(GradeSystem::British, text, score));
            } else {
                // "E15c", "HVS5a": the technical grade glued on.
                let split = (1..one.len()).rev().find_map(|at| {
                    let (a, t) = one.split_at(at);
                    Some((british_adjectival(a)?, british_technical(t)?))
                })?;
                (split.0, Some(split.1))
            }
        }
        [.., last] => match british_technical(last) {
            // "E1 5b", "Hard Very Severe 5a".
            Some(t) => (
                british_adjectival(&words[..words.len() - 1].concat())?,
                Some(t),
            ),
            // "Hard Severe".
            None => (british_adjectival(&words.concat())?, None),
        },
        [] => return None,
    };
    let (canonical, score) = table::BRITISH[adjectival];
    let adjectival_text = canonical.split(' ').next().unwrap_or(canonical);
    let Some((technical_text, position)) = technical else {
        return Some(grade(
            GradeSystem::British,
            adjectival_text.to_owned(),
            score,
        ));
    };
    // How far the technical grade is from the usual one for this adjectival grade.
    let usual = match canonical.split_once(' ') {
        Some((_, t)) => british_technical(t).map(|(_, p)| p).unwrap_or(position),
        None => table::BRITISH_TECHNICAL
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1 .1 - score).abs().total_cmp(&(b.1 .1 - score).abs()))
            .map(|(i, _)| i as f64)
            .unwrap_or(position),
    };
    let shift = ((position - usual) * 0.5).clamp(-1.0, 1.0);
    Some(grade(
        GradeSystem::British,
        format!("{adjectival_text} {technical_text}"),
        score + shift,
    ))
}

fn not_a_grade(system: GradeSystem, text: &str) -> String {
    let shown: String = text.trim().chars().take(40).collect();
    let hint = match system {
        GradeSystem::Yds => "use 5.0 to 5.9, then 5.10a to 5.16a with a letter a-d (\"5.10\", \"5.11+\" and slash grades such as \"5.10a/b\" also work)",
        GradeSystem::French => "use a number 1-9, a letter a-c and an optional \"+\", from 1a to 9c+",
        GradeSystem::Uiaa => "use 1 to 12 with an optional + or -, in Arabic or Roman numerals (\"6-\", \"VII+\")",
        GradeSystem::Ewbank => "use a whole number from 1 to 40",
        GradeSystem::Saxon => "use 1 to 6, then 7a to 13c (Roman numerals such as \"VIIa\" also work)",
        GradeSystem::Norwegian => "use 1 to 11 with an optional + or -",
        GradeSystem::British => "use an adjectival grade (M, D, VD, HVD, MS, S, HS, MVS, VS, HVS, E1 to E11), optionally followed by a technical grade 3a to 7b (\"E1 5b\"), or a technical grade alone",
        GradeSystem::VScale => "use VB, V0 to V22 (\"V0-\", \"V0+\" and slash grades such as \"V4-5\" also work)",
        GradeSystem::Font => "use a number 1-9, a letter A-C and an optional \"+\", from 1A to 9C+",
    };
    let mut msg = format!(
        "\"{shown}\" is not a {} grade: {hint}. Examples: {}",
        system.display_name(),
        system.examples().join(", ")
    );
    if let Some(other) = detect(text).filter(|g| g.system != system) {
        msg.push_str(&format!(
            ". It reads as a {} grade ({}): give the system as \"{}\"",
            other.system.display_name(),
            other.text,
            other.system.as_str()
        ));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use GradeSystem::*;

    fn p(system: GradeSystem, text: &str) -> Grade {
        parse(system, text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn conv(system: GradeSystem, text: &str, to: GradeSystem) -> String {
        convert(&p(system, text), to).unwrap().text
    }

    #[test]
    fn table_grades_are_contiguous_and_ordered() {
        for system in systems() {
            let all = entries(*system);
            assert!(all.len() > 8, "{system:?}");
            for pair in all.windows(2) {
                assert!(pair[0].score < pair[1].score, "{system:?} {}", pair[1].text);
            }
            let mut texts: Vec<&str> = grades_of(*system);
            texts.sort();
            texts.dedup();
            assert_eq!(texts.len(), all.len(), "{system:?} repeats a grade");
            // Every listed grade parses back to itself.
            for e in all {
                let g = p(*system, e.text);
                assert_eq!((g.text.as_str(), g.score), (e.text, e.score));
            }
            for ex in system.examples() {
                p(*system, ex);
            }
        }
    }

    #[test]
    fn scores_from_the_table_rows() {
        assert_eq!(p(Yds, "5.10a").score, 59.0); // rows 57-61
        assert_eq!(p(French, "6a").score, 60.5); // rows 60-61
        assert_eq!(p(Yds, "5.12a").score, 75.0); // row 75 only
        assert_eq!(p(VScale, "V4").score, 65.0); // rows 63-67
        assert_eq!(p(Font, "7A").score, 72.5);
    }

    #[test]
    fn conversions_follow_the_table_rows() {
        // 5.10a spans 5c to 6a in the table; its middle row is 5c+.
        assert_eq!(conv(Yds, "5.10a", French), "5c+");
        assert_eq!(conv(French, "6a", Yds), "5.10a");
        assert_eq!(conv(Yds, "5.12a", French), "7a+");
        assert_eq!(conv(French, "7a+", Yds), "5.12a");
        assert_eq!(conv(Yds, "5.9", Uiaa), "6-");
        // VI (rows 56-57) sits between 5.9 (54) and 5.10a (59): a tie goes to the lower.
        assert_eq!(conv(Uiaa, "VI", Yds), "5.9");
        assert_eq!(conv(Yds, "5.11c", Ewbank), "23");
        assert_eq!(conv(Yds, "5.11c", Saxon), "9b");
        assert_eq!(conv(Yds, "5.11c", Norwegian), "7");
        assert_eq!(conv(French, "8a", Yds), "5.13b");
        assert_eq!(conv(Yds, "5.14d", French), "9a");
        assert_eq!(conv(VScale, "V4", Font), "6B");
        assert_eq!(conv(Font, "7A", VScale), "V6");
        assert_eq!(conv(Font, "8A", VScale), "V11");
        assert_eq!(conv(VScale, "V10", Font), "7C+");
        // British placements.
        assert_eq!(conv(British, "E1 5b", Yds), "5.10a");
        assert_eq!(conv(British, "E2", French), "6b");
        assert_eq!(conv(British, "VS", Yds), "5.7");
        assert_eq!(conv(Yds, "5.12c", British), "E6 6b");
        assert_eq!(conv(French, "6a", British), "E1 5b");
        // Same system: unchanged.
        assert_eq!(conv(Yds, "5.10", Yds), "5.10");
    }

    #[test]
    fn route_and_boulder_grades_do_not_mix() {
        let err = convert(&p(Yds, "5.10a"), VScale).unwrap_err();
        assert!(err.contains("route and boulder"), "{err}");
        assert!(compare(&p(Font, "7A"), &p(French, "7a")).is_err());
    }

    #[test]
    fn forgiving_input() {
        assert_eq!(p(Yds, " 5.10A ").text, "5.10a");
        assert_eq!(p(Yds, "10a").text, "5.10a");
        assert_eq!(p(French, "6A+").text, "6a+");
        assert_eq!(p(Font, "7a+").text, "7A+");
        assert_eq!(p(VScale, "v4").text, "V4");
        assert_eq!(p(VScale, "4").text, "V4");
        assert_eq!(p(Uiaa, "VII+").text, "7+");
        assert_eq!(p(Uiaa, "vi-").text, "6-");
        assert_eq!(p(Uiaa, "VII+/VIII-").text, "7+/8-");
        assert_eq!(p(Saxon, "VIIa").text, "7a");
        assert_eq!(p(Saxon, "xib").text, "11b");
        assert_eq!(p(British, "e1 5B").text, "E1 5b");
        assert_eq!(p(British, "E15c").text, "E1 5c");
        assert_eq!(p(British, "hvs").text, "HVS");
        assert_eq!(p(British, "Hard Very Severe 5a").text, "HVS 5a");
        assert_eq!(p(British, "VDiff").text, "VD");
    }

    #[test]
    fn open_slash_and_modified_grades() {
        // "5.10" is the middle of 5.10a (59) .. 5.10d (66).
        assert_eq!(p(Yds, "5.10").score, 62.5);
        assert_eq!(
            p(Yds, "5.11-").score,
            (p(Yds, "5.11a").score + p(Yds, "5.11b").score) / 2.0
        );
        assert_eq!(
            p(Yds, "5.11+").score,
            (p(Yds, "5.11c").score + p(Yds, "5.11d").score) / 2.0
        );
        assert_eq!(
            p(Yds, "5.9+").score,
            (p(Yds, "5.9").score + p(Yds, "5.10a").score) / 2.0
        );
        // Slash grades take the midpoint and keep the slash.
        let v = p(VScale, "V4-5");
        assert_eq!(v.text, "V4-5");
        assert_eq!(
            p(VScale, "V1-2").text,
            "V1-2",
            "the nearest reading, not V1/V12"
        );
        assert_eq!(p(VScale, "V10-11").text, "V10-11");
        assert_eq!(p(VScale, "V-easy").text, "VB");
        assert_eq!(
            v.score,
            (p(VScale, "V4").score + p(VScale, "V5").score) / 2.0
        );
        assert_eq!(p(VScale, "V4/V5"), v);
        assert_eq!(p(VScale, "v4 - 5"), v);
        assert_eq!(p(Yds, "5.10a/b").text, "5.10a/b");
        assert_eq!(p(French, "6a/a+").text, "6a/6a+");
        assert_eq!(p(Font, "7A/+").text, "7A/7A+");
        assert_eq!(p(Uiaa, "8/8+").text, "8/8+");
        // "V0-" is a grade of its own; "V4+" is halfway to V5.
        assert_eq!(p(VScale, "V0-").text, "V0-");
        assert_eq!(p(VScale, "V4+").score, v.score);
        // Slashes between distant grades are refused.
        assert!(parse(Yds, "5.6/5.12a").is_err());
    }

    #[test]
    fn british_technical_grades_order_within_an_adjectival_grade() {
        let e1 = p(British, "E1").score;
        assert!(p(British, "E1 5a").score < e1);
        assert_eq!(p(British, "E1 5b").score, e1);
        assert!(p(British, "E1 5c").score > e1);
        // Never crosses into the next adjectival grade.
        assert!(p(British, "E1 7b").score < p(British, "E2 3a").score);
        assert!(p(British, "E3 5c/6a").score > p(British, "E3 5c").score);
        assert_eq!(p(British, "5c").text, "5c");
        assert_eq!(
            compare(&p(British, "E1 5c"), &p(British, "E1")).unwrap(),
            Ordering::Greater
        );
    }

    #[test]
    fn refusals_list_examples() {
        for (system, text) in [
            (Yds, "5.10z"),
            (Yds, "5.17a"),
            (French, "10a"),
            (Font, "V4"),
            (VScale, "V30"),
            (Uiaa, "XIII"),
            (Ewbank, "41"),
            (British, "E12 5c"),
            (Norwegian, "12"),
            (Saxon, "11a"),
            (Yds, ""),
            (Yds, "5.10é"),
        ] {
            let err = parse(system, text).unwrap_err();
            assert!(err.contains("Examples:"), "{err}");
        }
        let err = parse(Font, "V4").unwrap_err();
        assert!(err.contains("\"vscale\""), "{err}");
    }

    #[test]
    fn compare_within_and_across_systems() {
        use Ordering::*;
        assert_eq!(compare(&p(Yds, "5.10a"), &p(Yds, "5.10b")).unwrap(), Less);
        assert_eq!(compare(&p(Yds, "5.10a"), &p(French, "5c+")).unwrap(), Equal);
        assert_eq!(compare(&p(Yds, "5.10c"), &p(French, "6b")).unwrap(), Equal);
        assert_eq!(
            compare(&p(French, "7a"), &p(Yds, "5.10d")).unwrap(),
            Greater
        );
        assert_eq!(compare(&p(VScale, "V5"), &p(Font, "6C")).unwrap(), Equal);
        assert_eq!(compare(&p(Font, "7A"), &p(VScale, "V4")).unwrap(), Greater);
    }

    #[test]
    fn bands() {
        assert_eq!(band(p(Yds, "5.7").score, GradeKind::Route), Band::Beginner);
        assert_eq!(
            band(p(Yds, "5.10a").score, GradeKind::Route),
            Band::Intermediate
        );
        assert_eq!(
            band(p(Yds, "5.11b").score, GradeKind::Route),
            Band::Advanced
        );
        assert_eq!(band(p(French, "8a").score, GradeKind::Route), Band::Expert);
        assert_eq!(band(p(French, "9a").score, GradeKind::Route), Band::Elite);
        assert_eq!(
            band(p(VScale, "V0").score, GradeKind::Boulder),
            Band::Beginner
        );
        assert_eq!(
            band(p(VScale, "V2").score, GradeKind::Boulder),
            Band::Intermediate
        );
        assert_eq!(
            band(p(VScale, "V5").score, GradeKind::Boulder),
            Band::Advanced
        );
        assert_eq!(
            band(p(VScale, "V8").score, GradeKind::Boulder),
            Band::Expert
        );
        assert_eq!(band(p(Font, "8B").score, GradeKind::Boulder), Band::Elite);
    }

    #[test]
    fn detection() {
        let d = |t: &str| detect(t).map(|g| (g.system, g.text));
        assert_eq!(d("5.11a"), Some((Yds, "5.11a".into())));
        assert_eq!(d("5.10"), Some((Yds, "5.10".into())));
        assert_eq!(d("V5"), Some((VScale, "V5".into())));
        assert_eq!(d("v4-5"), Some((VScale, "V4-5".into())));
        assert_eq!(d("VB"), Some((VScale, "VB".into())));
        assert_eq!(d("7A+"), Some((Font, "7A+".into())));
        assert_eq!(d("6b+"), Some((French, "6b+".into())));
        assert_eq!(d("E2 5c"), Some((British, "E2 5c".into())));
        assert_eq!(d("HVS"), Some((British, "HVS".into())));
        assert_eq!(d("VII+"), Some((Uiaa, "7+".into())));
        assert_eq!(d("VIIa"), Some((Saxon, "7a".into())));
        assert_eq!(d("6"), None);
        assert_eq!(d("7+"), None);
        assert_eq!(d("hello"), None);
        assert_eq!(d(""), None);
    }

    #[test]
    fn system_names() {
        for (name, system) in [
            ("YDS", Yds),
            ("french", French),
            ("v", VScale),
            ("V-Scale", VScale),
            ("vscale", VScale),
            ("font", Font),
            ("Fontainebleau", Font),
            ("uiaa", Uiaa),
            ("ewbank", Ewbank),
            ("saxon", Saxon),
            ("norwegian", Norwegian),
            ("british", British),
            ("UK", British),
        ] {
            assert_eq!(GradeSystem::parse_name(name), Some(system), "{name}");
        }
        assert_eq!(GradeSystem::parse_name("klingon"), None);
        for s in systems() {
            assert_eq!(GradeSystem::parse_name(s.as_str()), Some(*s));
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json, s.as_str());
        }
    }
}
