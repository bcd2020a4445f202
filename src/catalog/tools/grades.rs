//! Grades tools: convert, compare, band and chart grades across systems. Pure
//! functions of the grade table; they read nothing from the store.

use super::{Tool, ToolFailure, ToolMeta};
use crate::catalog::Ctx;
use crate::climbing::grades::{self, Band, Grade, GradeKind, GradeSystem, SYSTEM_NAMES};
use serde::{Deserialize, Serialize};

/// A system name argument ("yds", "font", "fontainebleau", "v", ...).
fn system_arg(field: &str, value: Option<&str>) -> Result<Option<GradeSystem>, ToolFailure> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(name) => GradeSystem::parse_name(name).map(Some).ok_or_else(|| {
            ToolFailure::Refused(format!(
                "{field} \"{}\" is not a grading system: use one of {SYSTEM_NAMES}",
                name.chars().take(40).collect::<String>()
            ))
        }),
    }
}

/// A grade in the given system, or in the system its text shows.
fn grade_arg(
    grade_field: &str,
    text: &str,
    system_field: &str,
    system: Option<&str>,
) -> Result<Grade, ToolFailure> {
    match system_arg(system_field, system)? {
        Some(system) => {
            grades::parse(system, text).map_err(|e| ToolFailure::Refused(format!("{grade_field}: {e}")))
        }
        None => grades::detect(text).ok_or_else(|| {
            ToolFailure::Refused(format!(
                "cannot tell which system the {grade_field} \"{}\" is in: pass {system_field} ({SYSTEM_NAMES}). \
                 Detection works for YDS (5.10a), V-scale (V4), Font (7A+, capital letter), French (6b+, small letter), British (E1 5b, HVS), and Roman UIAA (VII+) or Saxon (VIIa) grades",
                text.trim().chars().take(40).collect::<String>()
            ))
        }),
    }
}

fn refused(e: String) -> ToolFailure {
    ToolFailure::Refused(e)
}

// ---- convert_grade ----------------------------------------------------------------

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConvertGradeArgs {
    /// The grade to convert, e.g. "5.10a", "6b+", "VII-", "E1 5b", "V4", "7A+".
    pub grade: String,
    /// The grade's system: yds, french, uiaa, ewbank, saxon, norwegian, british,
    /// vscale or font. Omit to detect it from the grade (YDS, V-scale, Font with a
    /// capital letter, French with a small letter, British, Roman UIAA/Saxon).
    #[serde(default)]
    pub from: Option<String>,
    /// The system to convert to. Omit to convert to every other system of the
    /// grade's discipline (route systems among themselves, boulder systems among
    /// themselves).
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Conversion {
    /// The grade as read, normalized, with its score.
    pub grade: Grade,
    pub discipline: GradeKind,
    pub band: Band,
    /// The nearest grade in each target system.
    pub conversions: Vec<Grade>,
}

pub struct ConvertGrade;
impl Tool for ConvertGrade {
    const META: ToolMeta = ToolMeta::read(
        "convert_grade",
        "Convert a climbing grade",
        "Convert a grade to another grading system, or to all systems of its discipline. Route systems (yds, french, uiaa, ewbank, saxon, norwegian, british) convert among themselves, boulder systems (vscale, font) among themselves. Gives the nearest grade by score on OpenBeta's sandbag table; grades cover ranges, so treat results as approximate.",
    );
    type Input = ConvertGradeArgs;
    type Output = Conversion;
    fn call(_ctx: &Ctx, input: ConvertGradeArgs) -> Result<Conversion, ToolFailure> {
        let grade = grade_arg("grade", &input.grade, "from", input.from.as_deref())?;
        let kind = grade.system.discipline();
        let conversions = match system_arg("to", input.to.as_deref())? {
            Some(to) => vec![grades::convert(&grade, to).map_err(refused)?],
            None => grades::systems()
                .iter()
                .filter(|s| s.discipline() == kind && **s != grade.system)
                .map(|s| grades::convert(&grade, *s).map_err(refused))
                .collect::<Result<_, _>>()?,
        };
        Ok(Conversion {
            band: grades::band(grade.score, kind),
            discipline: kind,
            grade,
            conversions,
        })
    }
}

// ---- compare_grades ---------------------------------------------------------------

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CompareGradesArgs {
    /// The first grade, e.g. "5.11a".
    pub a: String,
    /// The first grade's system; omit to detect it.
    #[serde(default)]
    pub a_system: Option<String>,
    /// The second grade, e.g. "6c".
    pub b: String,
    /// The second grade's system; omit to detect it.
    #[serde(default)]
    pub b_system: Option<String>,
}

/// Which of two grades is harder.
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Harder {
    A,
    B,
    Same,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct GradeComparison {
    pub a: Grade,
    pub b: Grade,
    /// "a", "b", or "same" (across systems, grades within one score point are the
    /// same grade).
    pub harder: Harder,
    /// a's score minus b's score.
    pub difference: f64,
    pub summary: String,
}

pub struct CompareGrades;
impl Tool for CompareGrades {
    const META: ToolMeta = ToolMeta::read(
        "compare_grades",
        "Compare two grades",
        "Tell which of two grades is harder, in the same system or in two systems of one discipline (e.g. 5.11a against 6c, or V5 against 6C+). Route and boulder grades cannot be compared.",
    );
    type Input = CompareGradesArgs;
    type Output = GradeComparison;
    fn call(_ctx: &Ctx, input: CompareGradesArgs) -> Result<GradeComparison, ToolFailure> {
        let a = grade_arg("a", &input.a, "a_system", input.a_system.as_deref())?;
        let b = grade_arg("b", &input.b, "b_system", input.b_system.as_deref())?;
        let order = grades::compare(&a, &b).map_err(refused)?;
        let name = |g: &Grade| format!("{} ({})", g.text, g.system.as_str());
        let (harder, summary) = match order {
            std::cmp::Ordering::Greater => (
                Harder::A,
                format!("{} is harder than {}", name(&a), name(&b)),
            ),
            std::cmp::Ordering::Less => (
                Harder::B,
                format!("{} is harder than {}", name(&b), name(&a)),
            ),
            std::cmp::Ordering::Equal => (
                Harder::Same,
                format!("{} and {} are the same grade", name(&a), name(&b)),
            ),
        };
        Ok(GradeComparison {
            difference: a.score - b.score,
            a,
            b,
            harder,
            summary,
        })
    }
}

// ---- grade_band -------------------------------------------------------------------

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GradeBandArgs {
    /// The grade, e.g. "5.10a" or "V4".
    pub grade: String,
    /// Its system; omit to detect it.
    #[serde(default)]
    pub system: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct BandRange {
    pub band: Band,
    /// The lowest score of the band.
    pub from_score: f64,
    /// The easiest and hardest grade of the band in the grade's system (absent when
    /// the system has no grade in the band).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub easiest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardest: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct GradeBand {
    pub grade: Grade,
    pub discipline: GradeKind,
    pub band: Band,
    /// All bands of the discipline, easiest first, in the grade's system.
    pub bands: Vec<BandRange>,
}

pub struct GradeBandTool;
impl Tool for GradeBandTool {
    const META: ToolMeta = ToolMeta::read(
        "grade_band",
        "Difficulty band of a grade",
        "Place a grade in a difficulty band (beginner, intermediate, advanced, expert, elite) and show where each band starts and ends in the grade's system. Routes: intermediate from 5.9/5b+, advanced from 5.11a/6c, expert from 5.13a/7c+, elite from 5.14a/8b+. Boulders: intermediate from V1/5A+, advanced from V3/6A, expert from V6/7A, elite from V11/8A.",
    );
    type Input = GradeBandArgs;
    type Output = GradeBand;
    fn call(_ctx: &Ctx, input: GradeBandArgs) -> Result<GradeBand, ToolFailure> {
        let grade = grade_arg("grade", &input.grade, "system", input.system.as_deref())?;
        let kind = grade.system.discipline();
        let chart = grades::chart(grade.system);
        let bands = grades::band_thresholds(kind)
            .iter()
            .map(|(band, from_score)| {
                let mut inside = chart
                    .iter()
                    .filter(|g| grades::band(g.score, kind) == *band);
                let easiest = inside.next().map(|g| g.text.clone());
                let hardest = inside
                    .next_back()
                    .map(|g| g.text.clone())
                    .or(easiest.clone());
                BandRange {
                    band: *band,
                    from_score: *from_score,
                    easiest,
                    hardest,
                }
            })
            .collect();
        Ok(GradeBand {
            band: grades::band(grade.score, kind),
            discipline: kind,
            grade,
            bands,
        })
    }
}

// ---- list_grade_systems -----------------------------------------------------------

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct SystemInfo {
    /// The name to pass as a system argument.
    pub system: GradeSystem,
    pub name: String,
    pub discipline: GradeKind,
    /// How many grades the system has in the table.
    pub grade_count: usize,
    pub easiest: String,
    pub hardest: String,
    pub examples: Vec<String>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct GradeSystems {
    pub systems: Vec<SystemInfo>,
    /// Where the grade table comes from.
    pub source: String,
}

pub struct ListGradeSystems;
impl Tool for ListGradeSystems {
    const META: ToolMeta = ToolMeta::read(
        "list_grade_systems",
        "List grading systems",
        "List the grading systems the server understands, with their discipline (route or boulder), range and example grades.",
    );
    type Input = NoArgs;
    type Output = GradeSystems;
    fn call(_ctx: &Ctx, _input: NoArgs) -> Result<GradeSystems, ToolFailure> {
        let systems = grades::systems()
            .iter()
            .map(|s| {
                let all = grades::grades_of(*s);
                SystemInfo {
                    system: *s,
                    name: s.display_name().to_owned(),
                    discipline: s.discipline(),
                    grade_count: all.len(),
                    easiest: all.first().copied().unwrap_or_default().to_owned(),
                    hardest: all.last().copied().unwrap_or_default().to_owned(),
                    examples: s.examples().iter().map(|e| (*e).to_owned()).collect(),
                }
            })
            .collect();
        Ok(GradeSystems {
            systems,
            source: SOURCE.to_owned(),
        })
    }
}

const SOURCE: &str = "Route and boulder scores from OpenBeta's sandbag tables (github.com/OpenBeta/sandbag, MIT License); British grades placed on the same scale by the conventional British-French correspondence.";

// ---- grade_chart ------------------------------------------------------------------

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GradeChartArgs {
    /// The system to chart: yds, french, uiaa, ewbank, saxon, norwegian, british,
    /// vscale or font.
    pub system: String,
    /// Another system of the same discipline to show the nearest equivalent of each
    /// grade in (e.g. french beside yds).
    #[serde(default)]
    pub compare_to: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct ChartRow {
    pub grade: String,
    pub score: f64,
    pub band: Band,
    /// The nearest grade in `compare_to`, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equivalent: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct GradeChart {
    pub system: GradeSystem,
    pub name: String,
    pub discipline: GradeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare_to: Option<GradeSystem>,
    /// Every grade of the system, easiest first.
    pub grades: Vec<ChartRow>,
}

pub struct GradeChartTool;
impl Tool for GradeChartTool {
    const META: ToolMeta = ToolMeta::read(
        "grade_chart",
        "Grade chart of a system",
        "All grades of a grading system, easiest first, with their scores and bands; optionally with the nearest grade of another system of the same discipline beside each (a conversion chart).",
    );
    type Input = GradeChartArgs;
    type Output = GradeChart;
    fn call(_ctx: &Ctx, input: GradeChartArgs) -> Result<GradeChart, ToolFailure> {
        let system = system_arg("system", Some(&input.system))?.ok_or_else(|| {
            ToolFailure::Refused(format!("system is required: use one of {SYSTEM_NAMES}"))
        })?;
        let kind = system.discipline();
        let compare_to = system_arg("compare_to", input.compare_to.as_deref())?;
        if let Some(other) = compare_to {
            if other.discipline() != kind {
                return Err(ToolFailure::Refused(format!(
                    "compare_to {} rates {} grades and {} rates {} grades: route and boulder grades are different scales; pick a {} system",
                    other.as_str(),
                    other.discipline().as_str(),
                    system.as_str(),
                    kind.as_str(),
                    kind.as_str()
                )));
            }
        }
        let grades = grades::chart(system)
            .into_iter()
            .map(|g| {
                let equivalent = match compare_to {
                    Some(to) => Some(grades::convert(&g, to).map_err(refused)?.text),
                    None => None,
                };
                Ok(ChartRow {
                    band: grades::band(g.score, kind),
                    score: g.score,
                    grade: g.text,
                    equivalent,
                })
            })
            .collect::<Result<_, ToolFailure>>()?;
        Ok(GradeChart {
            system,
            name: system.display_name().to_owned(),
            discipline: kind,
            compare_to,
            grades,
        })
    }
}

pub static TOOLS: &[super::ToolSpec] = &[
    super::spec::<ConvertGrade>(),
    super::spec::<CompareGrades>(),
    super::spec::<GradeBandTool>(),
    super::spec::<ListGradeSystems>(),
    super::spec::<GradeChartTool>(),
];

#[cfg(test)]
mod tests {
    use crate::catalog::tools::call;
    use crate::catalog::Ctx;
    use crate::identity::{Caller, Scope};
    use crate::platform::memory::MemoryPlatform;
    use serde_json::{json, Value};

    fn run(tool: &str, args: Value) -> Value {
        let platform = MemoryPlatform::default();
        let ctx = Ctx::new(
            &platform,
            Caller {
                subject: "alice".into(),
                scopes: vec![Scope::Read],
            },
        );
        call(&ctx, &json!({"name": tool, "arguments": args}))
            .unwrap()
            .into_value()
    }

    fn ok(tool: &str, args: Value) -> Value {
        let r = run(tool, args);
        assert_eq!(r["isError"], false, "{r}");
        r["structuredContent"].clone()
    }

    fn refused(tool: &str, args: Value) -> String {
        let r = run(tool, args);
        assert_eq!(r["isError"], true, "{r}");
        r["content"][0]["text"].as_str().unwrap().to_owned()
    }

    #[test]
    fn convert_one_and_all() {
        let r = ok("convert_grade", json!({"grade": "5.12a", "to": "french"}));
        assert_eq!(r["conversions"][0]["text"], "7a+");
        assert_eq!(r["grade"]["system"], "yds");
        let r = ok(
            "convert_grade",
            json!({"grade": "7A", "from": "fontainebleau"}),
        );
        assert_eq!(r["discipline"], "boulder");
        assert_eq!(r["conversions"].as_array().unwrap().len(), 1);
        assert_eq!(r["conversions"][0]["system"], "vscale");
        let r = ok("convert_grade", json!({"grade": "6b+"}));
        assert_eq!(r["conversions"].as_array().unwrap().len(), 6);
        let e = refused("convert_grade", json!({"grade": "5.10a", "to": "v"}));
        assert!(e.contains("route and boulder"), "{e}");
        let e = refused("convert_grade", json!({"grade": "6"}));
        assert!(e.contains("pass from"), "{e}");
        let e = refused("convert_grade", json!({"grade": "5.10a", "to": "klingon"}));
        assert!(e.contains("not a grading system"), "{e}");
    }

    #[test]
    fn compare_band_systems_chart() {
        let r = ok("compare_grades", json!({"a": "5.11a", "b": "7a"}));
        assert_eq!(r["harder"], "b");
        let r = ok(
            "compare_grades",
            json!({"a": "V5", "b": "6C", "b_system": "font"}),
        );
        assert_eq!(r["harder"], "same");
        assert!(refused("compare_grades", json!({"a": "V5", "b": "5.10a"}))
            .contains("route and boulder"));
        let r = ok("grade_band", json!({"grade": "5.10a"}));
        assert_eq!(r["band"], "intermediate");
        assert_eq!(r["bands"][1]["easiest"], "5.9");
        let r = ok("list_grade_systems", json!({}));
        assert_eq!(r["systems"].as_array().unwrap().len(), 9);
        let r = ok(
            "grade_chart",
            json!({"system": "yds", "compare_to": "french"}),
        );
        let rows = r["grades"].as_array().unwrap();
        assert_eq!(rows[0]["grade"], "5.0");
        assert!(rows
            .iter()
            .any(|g| g["grade"] == "5.12a" && g["equivalent"] == "7a+"));
        assert!(refused(
            "grade_chart",
            json!({"system": "yds", "compare_to": "font"})
        )
        .contains("route and boulder"));
    }
}
