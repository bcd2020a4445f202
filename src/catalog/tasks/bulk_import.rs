//! `import_climbs`: many climbs into one area, as a task.
//!
//! `start` checks every row and keeps the climbs as parts of [`PART_CLIMBS`]
//! beside the task; each step creates climbs from where the last one stopped
//! until its time is up or its part ends. Every climb's ids are derived from the
//! task and its place in the import, so a step that is redone (its instance
//! died, its lease ran out) finds the climbs it already wrote instead of adding
//! them again: however often steps are redone, the import leaves each climb once.

use super::{Start, Step, StepCtx, TaskKind};
use crate::catalog::tools::{
    input_schema_fn, success_text, Runner, ToolFailure, ToolMeta, ToolSpec,
};
use crate::catalog::Ctx;
use crate::climbing::climb::NewClimb;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Climbs per stored part: a part is read by one step, and stays far below
/// the value sizes every key-value backend takes.
pub const PART_CLIMBS: usize = 250;

pub static TOOLS: &[ToolSpec] = &[ToolSpec {
    meta: ToolMeta::create(
        "import_climbs",
        "Import climbs",
        "Add up to 50,000 climbs to an area: each row has create_climb's fields (no area_id) over the shared defaults; every row is checked before anything is written. A task for clients of the tasks extension.",
    )
    .catalogued(),
    input_schema: input_schema_fn::<ImportClimbsArgs>(),
    output_schema: None,
    run: Runner::Task(&IMPORT_CLIMBS),
}];

static IMPORT_CLIMBS: TaskKind = TaskKind {
    start,
    step,
    finish,
    ttl_ms: 24 * 60 * 60 * 1000,
    poll_interval_ms: 1_000,
    required: false,
};

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportClimbsArgs {
    /// Their crag, sector, wall or boulder.
    pub area_id: String,
    /// Fields every row starts from; a row's own fields win.
    #[serde(default)]
    pub defaults: Option<Map<String, Value>>,
    /// As create_climb, no area_id.
    pub climbs: Vec<Map<String, Value>>,
}

/// Where an import stands between steps.
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    area_id: String,
    total: usize,
    /// Climbs created so far: the next one to create.
    next: usize,
}

/// What the import did, as the tool's structured result.
#[derive(Serialize)]
struct Imported {
    area_id: String,
    climbs_created: usize,
}

fn start(ctx: &Ctx, arguments: Value) -> Result<Start, ToolFailure> {
    let args: ImportClimbsArgs = serde_json::from_value(arguments).map_err(|e| {
        ToolFailure::Refused(format!(
            "invalid arguments for import_climbs: {e}. The tool's inputSchema lists the accepted fields."
        ))
    })?;
    let climbs = ctx.climbing().check_bulk_climbs(
        &args.area_id,
        &args.defaults.unwrap_or_default(),
        args.climbs,
    )?;
    let total = climbs.len();
    let parts = climbs
        .chunks(PART_CLIMBS)
        .map(|chunk| Value::Array(chunk.iter().map(to_value).collect()))
        .collect();
    let checkpoint = Checkpoint {
        area_id: args.area_id,
        total,
        next: 0,
    };
    Ok(Start::Task {
        checkpoint: to_value(&checkpoint),
        parts,
    })
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn read_checkpoint(checkpoint: Value) -> Result<Checkpoint, ToolFailure> {
    serde_json::from_value(checkpoint).map_err(|e| {
        ToolFailure::Protocol(crate::catalog::CatalogError::Internal(format!(
            "the import's checkpoint does not read back: {e}"
        )))
    })
}

fn step(sc: &StepCtx, checkpoint: Value) -> Result<Step, ToolFailure> {
    let mut at = read_checkpoint(checkpoint)?;
    if at.next >= at.total {
        return Ok(Step::Done {
            checkpoint: to_value(&at),
        });
    }
    let part_index = at.next / PART_CLIMBS;
    let part = match sc.part(part_index as u32) {
        Ok(Value::Array(climbs)) => climbs,
        Ok(_) => {
            return Err(ToolFailure::Protocol(
                crate::catalog::CatalogError::Internal(format!(
                    "part {part_index} of the import is not a list of climbs"
                )),
            ))
        }
        // The store failed: the next poll tries again from the same place.
        Err(_) => return Ok(Step::Wait),
    };
    let climbing = sc.ctx.climbing();
    // Until this step creates a climb, the next one to create may have been left
    // half written by the step before it.
    let mut first_create = true;
    for stored in part.iter().skip(at.next % PART_CLIMBS) {
        if sc.out_of_time() {
            break;
        }
        let climb: NewClimb = serde_json::from_value(stored.clone()).map_err(|e| {
            ToolFailure::Protocol(crate::catalog::CatalogError::Internal(format!(
                "climb {} of the import does not read back: {e}",
                at.next
            )))
        })?;
        match climbing.import_climb_at(climb, sc.seed(at.next as u64), first_create) {
            Ok(created) => {
                first_create &= !created;
                at.next += 1;
            }
            // A climb the checks accepted is refused now (its area was deleted
            // meanwhile): the import ends there, with what it created so far.
            Err(crate::climbing::DomainError::Invalid(message)) => {
                return Err(ToolFailure::Refused(format!(
                    "the import stopped after {} of {} climbs: {message}",
                    at.next, at.total
                )))
            }
            // Store trouble: keep what is done; the next step redoes this climb.
            Err(crate::climbing::DomainError::Store(_)) => break,
        }
    }
    sc.ctx.progress(
        at.next as f64,
        Some(at.total as f64),
        Some(&format!("imported {} of {} climbs", at.next, at.total)),
    );
    let message = Some(format!("imported {} of {} climbs", at.next, at.total));
    if at.next >= at.total {
        return Ok(Step::Done {
            checkpoint: to_value(&at),
        });
    }
    Ok(Step::Continue {
        checkpoint: to_value(&at),
        message,
    })
}

fn finish(_: &StepCtx, checkpoint: Value) -> Result<Value, ToolFailure> {
    let at = read_checkpoint(checkpoint)?;
    let structured = to_value(&Imported {
        area_id: at.area_id,
        climbs_created: at.next,
    });
    serde_json::from_str(&success_text(&structured.to_string()))
        .map_err(|e| ToolFailure::Protocol(crate::catalog::CatalogError::Internal(e.to_string())))
}
