//! Tests of the grade tables, parsing and conversion.

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
