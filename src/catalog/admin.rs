//! Admin tools: issue, list and revoke service tokens.

use super::tools::{paged, IdArg, Page, Tool, ToolFailure, ToolMeta};
use super::Ctx;
use crate::climbing::orphans::{OrphanReport, DELETED_LIST};
use crate::climbing::repair::RepairReport;
use crate::climbing::validate;
use crate::credentials::{self, TokenInfo, MAX_ADMIN_TTL_DAYS, MAX_TTL_DAYS, TOKEN_LIST};
use crate::identity::Scope;
use crate::store::index::Position;
use crate::store::Store;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueTokenArgs {
    /// Who the token is for (its `sub`), e.g. "ci-importer" or a person's email.
    pub subject: String,
    /// Scopes to grant: climb:read, climb:write, admin.
    pub scopes: Vec<String>,
    /// Lifetime in days, 1 to 366 (default 90); at most 30 for a token with the admin scope.
    #[serde(default)]
    pub ttl_days: Option<u32>,
    /// What the token is for, to recognise it later in list_tokens.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct IssuedToken {
    /// The bearer token. It is shown only now; store it safely.
    pub token: String,
    pub info: TokenInfo,
}

pub struct IssueToken;
impl Tool for IssueToken {
    const META: ToolMeta = ToolMeta::create(
        "issue_token",
        "Issue a service token",
        "Issue an HS256 service token for a subject with the given scopes (climb:read, climb:write, admin). The token is returned once and not stored; its metadata can be listed and revoked.",
    ).admin();
    type Input = IssueTokenArgs;
    type Output = IssuedToken;
    fn call(ctx: &Ctx, input: IssueTokenArgs) -> Result<IssuedToken, ToolFailure> {
        let subject = validate::name("subject", &input.subject)?;
        if subject.contains("://") {
            return Err(ToolFailure::Refused(
                "subject must not contain \"://\": such names are reserved for OAuth users".into(),
            ));
        }
        if input.scopes.is_empty() {
            return Err(ToolFailure::Refused(
                "scopes needs at least one of climb:read, climb:write, admin".into(),
            ));
        }
        let mut scopes = Vec::new();
        for s in &input.scopes {
            let scope = Scope::parse(s).ok_or_else(|| {
                ToolFailure::Refused(format!(
                    "unknown scope \"{s}\": use climb:read, climb:write or admin"
                ))
            })?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        // The policy: an admin token lives at most MAX_ADMIN_TTL_DAYS, any other
        // at most MAX_TTL_DAYS (docs/security.md).
        let max_days = if scopes.contains(&Scope::Admin) {
            MAX_ADMIN_TTL_DAYS
        } else {
            MAX_TTL_DAYS
        };
        let ttl_days = input.ttl_days.unwrap_or(90.min(max_days));
        if !(1..=max_days).contains(&ttl_days) {
            return Err(ToolFailure::Refused(format!(
                "ttl_days {ttl_days} is out of range: use 1 to {max_days}{}",
                if max_days == MAX_ADMIN_TTL_DAYS {
                    " for a token with the admin scope"
                } else {
                    ""
                }
            )));
        }
        let description =
            validate::optional_text("description", input.description, validate::MAX_NAME_CHARS)?;
        let store = Store::new(ctx.platform);
        let audience = credentials::resource_url(ctx.platform, &ctx.host);
        let (token, info) = credentials::issue(
            &store,
            &audience,
            &ctx.caller.subject,
            &subject,
            &scopes,
            ttl_days,
            description,
        )
        .map_err(ToolFailure::Refused)?;
        // Minting is recorded in the history like any change, under the token id.
        ctx.climbing().record_creation(
            "token",
            &info.id,
            format!(
                "issued to \"{}\" with {} for {ttl_days} day{}",
                info.subject,
                info.scopes.join(" "),
                if ttl_days == 1 { "" } else { "s" }
            ),
        )?;
        Ok(IssuedToken { token, info })
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListTokensArgs {
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct ListTokens;
impl Tool for ListTokens {
    const META: ToolMeta = ToolMeta::read(
        "list_tokens",
        "List service tokens",
        "List the service tokens this server issued (metadata only: id, subject, scopes, expiry, revocation), oldest first.",
    ).admin();
    type Input = ListTokensArgs;
    type Output = Page<TokenInfo>;
    fn call(ctx: &Ctx, input: ListTokensArgs) -> Result<Page<TokenInfo>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        paged(
            ctx,
            TOKEN_LIST,
            input.cursor.as_deref(),
            |from: Option<Position>| {
                Ok(credentials::list(
                    &Store::new(ctx.platform),
                    from.as_ref(),
                    limit,
                )?)
            },
        )
    }
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Revoked {
    /// The revoked token id.
    pub id: String,
    /// The token's metadata when this server issued it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<TokenInfo>,
}

pub struct RevokeToken;
impl Tool for RevokeToken {
    const META: ToolMeta = ToolMeta::delete(
        "revoke_token",
        "Revoke a token",
        "Revoke a token by its id (jti): every later request with it is refused. Works for issued service tokens and for OAuth tokens; a token without a jti is revoked by sha256:<hex SHA-256 of the token>.",
    ).admin();
    type Input = IdArg;
    type Output = Revoked;
    fn call(ctx: &Ctx, input: IdArg) -> Result<Revoked, ToolFailure> {
        if input.id.is_empty() || input.id.len() > 256 || input.id.chars().any(char::is_control) {
            return Err(ToolFailure::Refused(
                "id must be a token id (jti) of 1 to 256 characters".into(),
            ));
        }
        let info = credentials::revoke(&Store::new(ctx.platform), &input.id)?;
        if crate::climbing::validate::id("id", &input.id).is_ok() {
            ctx.climbing().record_change(
                "token",
                &input.id,
                crate::climbing::history::Action::Deleted,
                "revoked",
            )?;
        }
        Ok(Revoked { id: input.id, info })
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RepairArgs {
    /// The area whose sub-area, climb and media lists to check; omit (with
    /// venue_id) for the top level.
    #[serde(default)]
    pub area_id: Option<String>,
    /// A venue (from venue_ids at the top level) whose wall, setter and route
    /// lists to check instead of an area's.
    #[serde(default)]
    pub venue_id: Option<String>,
    /// A climber (their token's subject; issuer#sub for OAuth users) whose
    /// logbook to check instead.
    #[serde(default)]
    pub climber: Option<String>,
    /// Remove the bad entries (default: only report them).
    #[serde(default)]
    pub fix: bool,
}

pub struct RepairIndexes;
impl Tool for RepairIndexes {
    const META: ToolMeta = ToolMeta::maintenance(
        "repair_indexes",
        "Check and repair indexes",
        "Check one area's lists of sub-areas, climbs, media and history (or the top-level lists of areas, venues and issued tokens, with venue_id one venue's walls, setters and routes, or with climber one logbook) for entries whose record is gone or has moved, and with fix=true remove them. Returns the sub-area ids (and at the top level the venue ids) to check next, so the whole tree is walked one call per area or venue.",
    );
    type Input = RepairArgs;
    type Output = RepairReport;
    fn call(ctx: &Ctx, input: RepairArgs) -> Result<RepairReport, ToolFailure> {
        let climbing = ctx.climbing();
        let given = [&input.area_id, &input.venue_id, &input.climber];
        if given.iter().filter(|a| a.is_some()).count() > 1 {
            return Err(ToolFailure::Refused(
                "give one of area_id, venue_id or climber: one call checks one area's, one venue's or one logbook's lists"
                    .into(),
            ));
        }
        if let Some(venue) = input.venue_id.as_deref() {
            return Ok(climbing.repair_venue_reporting(venue, input.fix, ctx)?);
        }
        if let Some(climber) = input.climber.as_deref() {
            return Ok(climbing.repair_logbook(climber, input.fix)?);
        }
        let mut report =
            climbing.repair_area_reporting(input.area_id.as_deref(), input.fix, ctx)?;
        if input.area_id.is_none() {
            // Issued tokens are credentials, not climbing data: checked here.
            let tokens = climbing
                .store
                .check_list::<TokenInfo>(TOKEN_LIST, input.fix)?;
            report.count(&tokens);
        }
        Ok(report)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OrphanArgs {
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Put back deleted areas that still hold records and remove media of deleted
    /// records (default: only report them).
    #[serde(default)]
    pub fix: bool,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct OrphanPage {
    #[serde(flatten)]
    pub report: OrphanReport,
    /// Pass as `cursor` to check the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub struct FindOrphans;
impl Tool for FindOrphans {
    const META: ToolMeta = ToolMeta::maintenance(
        "find_orphans",
        "Find records whose parent is gone",
        "Check deleted areas and climbs, a page at a time, for sub-areas, climbs and media that still name them, and with fix=true put such areas back and remove such media.",
    );
    type Input = OrphanArgs;
    type Output = OrphanPage;
    fn call(ctx: &Ctx, input: OrphanArgs) -> Result<OrphanPage, ToolFailure> {
        let from: Option<Position> = input
            .cursor
            .as_deref()
            .map(|c| ctx.open_cursor(DELETED_LIST, c))
            .transpose()?;
        let report = ctx.climbing().find_orphans(from.as_ref(), input.fix)?;
        let next_cursor = report
            .next
            .as_ref()
            .map(|p| ctx.seal_cursor(DELETED_LIST, p))
            .transpose()?;
        Ok(OrphanPage {
            report,
            next_cursor,
        })
    }
}

pub static TOOLS: &[super::tools::ToolSpec] = &[
    super::tools::spec::<IssueToken>(),
    super::tools::spec::<ListTokens>(),
    super::tools::spec::<RevokeToken>(),
    super::tools::spec::<RepairIndexes>(),
    super::tools::spec::<FindOrphans>(),
    super::tools::spec::<super::store_check::CheckStore>(),
];
