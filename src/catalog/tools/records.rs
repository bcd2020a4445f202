//! Tools for what is kept about every area and climb: change history and media.

use super::areas::DeleteArgs;
use super::{paged_list, Page, Tool, ToolFailure, ToolMeta};
use crate::catalog::Ctx;
use crate::climbing::history::Change;
use crate::climbing::lists::List;
use crate::climbing::media::{Media, NewMedia};
use crate::climbing::validate;
use crate::identity::Scope;
use serde::Deserialize;

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EntityPageArgs {
    /// The area or climb.
    pub id: String,
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct GetHistory;
impl Tool for GetHistory {
    const META: ToolMeta = ToolMeta::read(
        "get_history",
        "Change history",
        "Who changed an area or climb, when, and what: created, updated (which fields), moved, deleted, imported. Oldest first, paginated.",
    );
    type Input = EntityPageArgs;
    type Output = Page<Change>;
    fn call(ctx: &Ctx, input: EntityPageArgs) -> Result<Page<Change>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        validate::id("id", &input.id)?;
        paged_list(
            ctx,
            List::History(&input.id),
            input.cursor.as_deref(),
            |from| Ok(ctx.climbing().history(&input.id, from.as_ref(), limit)?),
        )
    }
}

pub struct AddMedia;
impl Tool for AddMedia {
    const META: ToolMeta = ToolMeta::create(
        "add_media",
        "Add a photo, video or topo",
        "Attach a media reference (an https URL with caption and credit) to an area or climb. The server stores the reference, not the file.",
    );
    type Input = NewMedia;
    type Output = Media;
    fn call(ctx: &Ctx, input: NewMedia) -> Result<Media, ToolFailure> {
        Ok(ctx.climbing().add_media(input)?)
    }
}

pub struct ListMedia;
impl Tool for ListMedia {
    const META: ToolMeta = ToolMeta::read(
        "list_media",
        "List media",
        "The photos, videos and topos attached to an area or climb. Paginated.",
    );
    type Input = EntityPageArgs;
    type Output = Page<Media>;
    fn call(ctx: &Ctx, input: EntityPageArgs) -> Result<Page<Media>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        validate::id("id", &input.id)?;
        paged_list(
            ctx,
            List::Media(&input.id),
            input.cursor.as_deref(),
            |from| Ok(ctx.climbing().list_media(&input.id, from.as_ref(), limit)?),
        )
    }
}

pub struct DeleteMedia;
impl Tool for DeleteMedia {
    const META: ToolMeta = ToolMeta::delete(
        "delete_media",
        "Remove a media reference",
        "Remove a media reference from its area or climb. Only whoever added it, or a token with the admin scope, may remove it; the removal is recorded in the history.",
    );
    type Input = DeleteArgs;
    type Output = Media;
    fn call(ctx: &Ctx, input: DeleteArgs) -> Result<Media, ToolFailure> {
        let moderator = ctx.caller.may(Scope::Admin);
        Ok(ctx.climbing().delete_media(&input.id, moderator)?)
    }
}

pub static TOOLS: &[super::ToolSpec] = &[
    super::spec::<GetHistory>(),
    super::spec::<AddMedia>(),
    super::spec::<ListMedia>(),
    super::spec::<DeleteMedia>(),
];
