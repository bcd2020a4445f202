//! Ticks tools: the caller's logbook.

use super::{paged_list, IdArg, Page, Tool, ToolFailure, ToolMeta};
use crate::catalog::Ctx;
use crate::climbing::grades::{GradeSystem, SYSTEM_NAMES};
use crate::climbing::lists::List;
use crate::climbing::tick::{LogbookStats, NewTick, Tick, TickChanges};
use crate::climbing::validate;
use crate::store::Stored;
use serde::{Deserialize, Serialize};

pub struct LogTick;
impl Tool for LogTick {
    const META: ToolMeta = ToolMeta::create(
        "log_tick",
        "Log a tick",
        "Record in your logbook that you climbed an outdoor climb (climb_id) or a gym route (gym_route_id): style, attempt, and optional date (default today), stars and notes. Redpoint and pinkpoint go only with lead; onsight with lead or solo; flash with lead, solo or boulder; send, attempt and repeat with any style. The climb's name and grade are kept with the tick. Ticks are private to you.",
    );
    type Input = NewTick;
    type Output = Tick;
    fn call(ctx: &Ctx, input: NewTick) -> Result<Tick, ToolFailure> {
        Ok(ctx.climbing().log_tick(input)?)
    }
}

pub struct GetTick;
impl Tool for GetTick {
    const META: ToolMeta = ToolMeta::read("get_tick", "Get a tick", "Get one of your ticks by id.");
    type Input = IdArg;
    type Output = Tick;
    fn call(ctx: &Ctx, input: IdArg) -> Result<Tick, ToolFailure> {
        Ok(ctx.climbing().get_tick(&input.id)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateTickArgs {
    /// The tick to change.
    pub id: String,
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// Fields to change; others keep their values.
    pub changes: TickChanges,
}

pub struct UpdateTick;
impl Tool for UpdateTick {
    const META: ToolMeta = ToolMeta::update(
        "update_tick",
        "Update a tick",
        "Change the date, style, attempt, stars or notes of one of your ticks (notes \"\" removes them). The style and attempt after the change must go together. Pass expected_version (from get_tick or list_ticks) against concurrent edits: a stale one is refused (nothing written) with the current version.",
    );
    type Input = UpdateTickArgs;
    type Output = Tick;
    fn call(ctx: &Ctx, input: UpdateTickArgs) -> Result<Tick, ToolFailure> {
        Ok(ctx
            .climbing()
            .update_tick(&input.id, input.expected_version, input.changes)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteTickArgs {
    /// The tick to delete.
    pub id: String,
    /// The version you last read; the delete is refused if the tick changed since.
    #[serde(default)]
    pub expected_version: Option<u64>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct DeletedTick {
    /// The tick as it was before it was deleted.
    pub deleted: Tick,
}

pub struct DeleteTick;
impl Tool for DeleteTick {
    const META: ToolMeta = ToolMeta::delete(
        "delete_tick",
        "Delete a tick",
        "Delete one of your ticks for good. Returns the tick as it was.",
    );
    type Input = DeleteTickArgs;
    type Output = DeletedTick;
    fn call(ctx: &Ctx, input: DeleteTickArgs) -> Result<DeletedTick, ToolFailure> {
        let deleted = ctx
            .climbing()
            .delete_tick(&input.id, input.expected_version)?;
        Ok(DeletedTick { deleted })
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListTicksArgs {
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct ListTicks;
impl Tool for ListTicks {
    const META: ToolMeta = ToolMeta::read(
        "list_ticks",
        "List your ticks",
        "List the ticks in your logbook, in the order you logged them.",
    );
    type Input = ListTicksArgs;
    type Output = Page<Stored<Tick>>;
    fn call(ctx: &Ctx, input: ListTicksArgs) -> Result<Page<Stored<Tick>>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        let list = List::Ticks(&ctx.caller.subject);
        paged_list(ctx, list, input.cursor.as_deref(), |from| {
            Ok(ctx.climbing().list_ticks(from.as_ref(), limit)?)
        })
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LogbookStatsArgs {
    /// The route system of the route pyramid (yds, french, uiaa, ewbank, saxon,
    /// norwegian, british); default: the one your ticks use most.
    #[serde(default)]
    pub route_system: Option<String>,
    /// The boulder system of the boulder pyramid (vscale or font); default: the one
    /// your ticks use most.
    #[serde(default)]
    pub boulder_system: Option<String>,
}

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

pub struct LogbookStatsTool;
impl Tool for LogbookStatsTool {
    const META: ToolMeta = ToolMeta::read(
        "logbook_stats",
        "Logbook statistics",
        "Statistics over your logbook: grade pyramids (sends per grade, for routes and for boulders, in a system of your choice), your hardest send in each style, and totals by attempt type and by style. Sends are onsights, flashes, redpoints, pinkpoints and sends; repeats and attempts are counted but not sent twice. Covers up to 5,000 ticks (truncated says when there are more).",
    );
    type Input = LogbookStatsArgs;
    type Output = LogbookStats;
    fn call(ctx: &Ctx, input: LogbookStatsArgs) -> Result<LogbookStats, ToolFailure> {
        let route = system_arg("route_system", input.route_system.as_deref())?;
        let boulder = system_arg("boulder_system", input.boulder_system.as_deref())?;
        Ok(ctx
            .climbing()
            .logbook_stats_reporting(route, boulder, ctx)?)
    }
}

pub static TOOLS: &[super::ToolSpec] = &[
    super::spec::<LogTick>(),
    super::spec::<GetTick>(),
    super::spec::<UpdateTick>(),
    super::spec::<DeleteTick>(),
    super::spec::<ListTicks>(),
    super::spec::<LogbookStatsTool>(),
];

#[cfg(test)]
mod tests {
    use crate::catalog::tools::call;
    use crate::catalog::{CatalogError, Ctx};
    use crate::identity::{Caller, Scope};
    use crate::platform::memory::MemoryPlatform;
    use serde_json::{json, Value};

    fn ctx<'p>(p: &'p MemoryPlatform, subject: &str, scopes: &[Scope]) -> Ctx<'p> {
        Ctx::new(
            p,
            Caller {
                subject: subject.into(),
                scopes: scopes.to_vec(),
            },
        )
    }

    fn run(ctx: &Ctx, tool: &str, args: Value) -> Value {
        call(ctx, &json!({"name": tool, "arguments": args}))
            .unwrap()
            .into_value()
    }

    fn ok(ctx: &Ctx, tool: &str, args: Value) -> Value {
        let r = run(ctx, tool, args);
        assert_eq!(r["isError"], false, "{tool}: {r}");
        r["structuredContent"].clone()
    }

    fn refused(ctx: &Ctx, tool: &str, args: Value) -> String {
        let r = run(ctx, tool, args);
        assert_eq!(r["isError"], true, "{tool}: {r}");
        r["content"][0]["text"].as_str().unwrap().to_owned()
    }

    #[test]
    fn logbook_through_the_tools() {
        let p = MemoryPlatform::default();
        let all = [Scope::Read, Scope::Write];
        let setter = ctx(&p, "setter", &all);
        let country = ok(
            &setter,
            "create_area",
            json!({"name": "Land", "kind": "country"}),
        );
        let crag = ok(
            &setter,
            "create_area",
            json!({"name": "Crag", "kind": "crag", "parent_id": country["id"]}),
        );
        let climb = ok(
            &setter,
            "create_climb",
            json!({"name": "Line", "area_id": crag["id"], "grades": {"french": "7a"}, "disciplines": ["sport"]}),
        );
        let alice = ctx(&p, "https://issuer.example/users/alice@example.com", &all);
        let mut ids = Vec::new();
        for attempt in ["attempt", "redpoint", "repeat"] {
            let t = ok(
                &alice,
                "log_tick",
                json!({"climb_id": climb["id"], "style": "lead", "attempt": attempt, "date": "2024-06-01"}),
            );
            assert_eq!(t["grade"]["text"], "7a");
            ids.push(t["id"].as_str().unwrap().to_owned());
        }
        let e = refused(
            &alice,
            "log_tick",
            json!({"climb_id": climb["id"], "style": "top_rope", "attempt": "pinkpoint"}),
        );
        assert!(
            e.contains("pinkpoint does not go with style top_rope"),
            "{e}"
        );
        let e = refused(
            &alice,
            "log_tick",
            json!({"climb_id": climb["id"], "style": "lead", "attempt": "send", "date": "yesterday"}),
        );
        assert!(e.contains("YYYY-MM-DD"), "{e}");
        // Pages of two.
        let first = ok(&alice, "list_ticks", json!({"limit": 2}));
        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        let second = ok(
            &alice,
            "list_ticks",
            json!({"limit": 2, "cursor": first["next_cursor"]}),
        );
        assert_eq!(second["items"][0]["id"], ids[2].as_str());
        assert!(second.get("next_cursor").is_none());
        // Another climber can neither use the cursor nor see the ticks.
        let bob = ctx(&p, "bob", &all);
        refused(&bob, "list_ticks", json!({"cursor": first["next_cursor"]}));
        assert!(refused(&bob, "get_tick", json!({"id": ids[0]})).contains("your logbook"));
        refused(&bob, "delete_tick", json!({"id": ids[0]}));
        // Update with a version, then delete.
        let u = ok(
            &alice,
            "update_tick",
            json!({"id": ids[0], "expected_version": 1, "changes": {"stars": 2}}),
        );
        assert_eq!(u["version"], 2);
        let e = refused(
            &alice,
            "update_tick",
            json!({"id": ids[0], "expected_version": 1, "changes": {"stars": 3}}),
        );
        assert!(e.contains("current version is 2"), "{e}");
        ok(&alice, "delete_tick", json!({"id": ids[0]}));
        refused(&alice, "get_tick", json!({"id": ids[0]}));
        let stats = ok(&alice, "logbook_stats", json!({"route_system": "yds"}));
        assert_eq!(stats["ticks"], 2);
        assert_eq!(stats["sends"], 1);
        assert_eq!(stats["pyramids"][0]["system"], "yds");
        assert_eq!(stats["pyramids"][0]["steps"][0]["grade"], "5.11c");
        assert_eq!(stats["hardest"][0]["grade"]["text"], "7a");
        let e = refused(&alice, "logbook_stats", json!({"route_system": "font"}));
        assert!(e.contains("route_system font is a boulder system"), "{e}");
        // Writing needs climb:write.
        let reader = ctx(&p, "reader", &[Scope::Read]);
        let denied = call(
            &reader,
            &json!({"name": "log_tick", "arguments": {"climb_id": climb["id"], "style": "lead", "attempt": "send"}}),
        );
        assert!(matches!(denied, Err(CatalogError::Forbidden { .. })));
    }
}
