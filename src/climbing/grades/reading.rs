//! Reading grades: normalizing what people write and finding it in the tables.

use super::*;

// ---- internals -------------------------------------------------------------------

pub(super) struct Entry {
    pub(super) text: &'static str,
    pub(super) score: f64,
}

pub(super) fn grade(system: GradeSystem, text: String, score: f64) -> Grade {
    Grade {
        system,
        text,
        score,
    }
}

pub(super) fn same_discipline(a: &Grade, to: GradeSystem, verb: &str) -> Result<(), String> {
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

pub(super) fn index(system: GradeSystem) -> usize {
    ALL_SYSTEMS.iter().position(|s| *s == system).unwrap_or(0)
}

pub(super) fn entries(system: GradeSystem) -> &'static [Entry] {
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
pub(super) fn runs(cells: impl Iterator<Item = &'static str>) -> Vec<Entry> {
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

pub(super) fn find(system: GradeSystem, text: &str) -> Option<(usize, &'static Entry)> {
    entries(system)
        .iter()
        .enumerate()
        .find(|(_, e)| e.text == text)
}

/// Case, spaces and Roman numerals as each system writes its grades.
pub(super) fn normalize(system: GradeSystem, raw: &str) -> String {
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
pub(super) fn arabic(part: &str) -> String {
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

pub(super) fn roman_value(s: &str) -> Option<u32> {
    const NUMERALS: [&str; 12] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ];
    NUMERALS.iter().position(|r| *r == s).map(|i| i as u32 + 1)
}

pub(super) fn parse_normalized(system: GradeSystem, norm: &str) -> Option<Grade> {
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
pub(super) fn yds_open(norm: &str) -> Option<Grade> {
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
pub(super) fn font_open(norm: &str) -> Option<Grade> {
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
pub(super) fn slash(system: GradeSystem, norm: &str) -> Option<Grade> {
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
pub(super) fn plus_minus(system: GradeSystem, norm: &str) -> Option<Grade> {
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

pub(super) const BRITISH_ALIASES: [(&str, &str); 14] = [
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
pub(super) fn british_adjectival(word: &str) -> Option<usize> {
    let word = BRITISH_ALIASES
        .iter()
        .find(|(alias, _)| *alias == word)
        .map_or(word, |(_, canonical)| canonical);
    table::BRITISH
        .iter()
        .position(|(text, _)| text.split(' ').next() == Some(word))
}

/// The position in `BRITISH_TECHNICAL` of a technical grade, halfway for "5c/6a".
pub(super) fn british_technical(word: &str) -> Option<(String, f64)> {
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

pub(super) fn parse_british(raw: &str) -> Option<Grade> {
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

pub(super) fn not_a_grade(system: GradeSystem, text: &str) -> String {
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
