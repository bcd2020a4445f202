//! Index repair: checks lists entry by entry against the records they name.
//!
//! Write order keeps every record in its indexes, so the only damage a crash or a
//! lost race can leave is an entry whose record is gone (a delete stopped before
//! its index update) or that points to a record now elsewhere (a move stopped
//! before removing the old entry). Readers already skip both; repair removes them.
//! Every entity says which lists it belongs in ([`crate::store::Listed`]), so one
//! check ([`crate::store::Store::check_list`]) serves them all. One call checks the
//! lists one area owns (or one venue's, or the top-level lists); the caller walks
//! the tree with the child ids it returns, so no call reads more than one area's
//! (or venue's) lists.

use super::area::{children_list, Area};
use super::climb::{climbs_list, Climb};
use super::gym::{self, GymRoute, Setter, Venue, Wall};
use super::history::{history_list, Change};
use super::media::{media_list, Media};
use super::progress::{self, Progress, Silent};
use super::tick::{ticks_list, Tick};
use super::{validate, Climbing, DomainResult};
use crate::store::lifecycle::ListCheck;
use crate::store::Listed;
use serde::Serialize;

#[derive(Debug, Default, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RepairReport {
    /// The area checked, or absent for the top level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_id: Option<String>,
    /// The venue checked, when a venue's lists were checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue_id: Option<String>,
    /// The climber whose logbook was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub climber: Option<String>,
    pub entries_checked: usize,
    /// Entries whose record does not exist.
    pub dangling: usize,
    /// Entries whose record belongs to another area (or list) now.
    pub misplaced: usize,
    /// Whether the bad entries were removed (false: only reported).
    pub fixed: bool,
    /// Sub-areas to check next.
    pub child_area_ids: Vec<String>,
    /// At the top level: the venues to check next (with venue_id).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub venue_ids: Vec<String>,
}

impl RepairReport {
    pub fn count(&mut self, check: &ListCheck) {
        self.entries_checked += check.checked;
        self.dangling += check.dangling;
        self.misplaced += check.misplaced;
    }
}

impl Climbing<'_> {
    /// Checks one list of `R` into `report`; returns the ids rightly listed.
    fn check<R: Listed>(
        &self,
        list: &str,
        fix: bool,
        report: &mut RepairReport,
        progress: &dyn Progress,
    ) -> DomainResult<Vec<String>> {
        let check = self.store.check_list::<R>(list, fix)?;
        report.count(&check);
        if check.dangling + check.misplaced > 0 {
            progress.note(&|| {
                format!(
                    "{list}: {} of {} entries name a record that is gone and {} one that is listed elsewhere now; {}",
                    check.dangling,
                    check.checked,
                    check.misplaced,
                    if fix { "removed" } else { "left in place (fix=true removes them)" }
                )
            });
        }
        Ok(check.live)
    }

    /// Checks (and with `fix`, repairs) the lists `area_id` owns: its sub-areas, its
    /// climbs, its media and history, and its climbs' media and history. At the top level (`None`): the
    /// top-level areas and the venues (the catalog adds the issued tokens, which
    /// belong to a layer above this one).
    pub fn repair_area(&self, area_id: Option<&str>, fix: bool) -> DomainResult<RepairReport> {
        self.repair_area_reporting(area_id, fix, &Silent)
    }

    /// [`Climbing::repair_area`], reporting each list checked to `progress` (an
    /// area with many climbs has a media list per climb) and stopping between
    /// lists when it asks to; each list is checked, or fixed, whole.
    pub fn repair_area_reporting(
        &self,
        area_id: Option<&str>,
        fix: bool,
        progress: &dyn Progress,
    ) -> DomainResult<RepairReport> {
        if let Some(id) = area_id {
            self.get_area(id)?;
        }
        let mut report = RepairReport {
            area_id: area_id.map(str::to_owned),
            fixed: fix,
            ..Default::default()
        };
        report.child_area_ids =
            self.check::<Area>(&children_list(area_id), fix, &mut report, progress)?;
        match area_id {
            Some(area) => {
                let climbs = self.check::<Climb>(&climbs_list(area), fix, &mut report, progress)?;
                self.check::<Media>(&media_list(area), fix, &mut report, progress)?;
                self.check::<Change>(&history_list(area), fix, &mut report, progress)?;
                // The area's four lists, then each climb's media and history.
                let total = 4 + 2 * climbs.len();
                let message = |done: usize| {
                    move || {
                        format!("checked {done} of {total} lists (sub-areas, climbs, media, history, then each climb's media and history)")
                    }
                };
                progress.report(4, total, &message(4));
                for (i, climb) in climbs.iter().enumerate() {
                    if progress.stop() {
                        break;
                    }
                    self.check::<Media>(&media_list(climb), fix, &mut report, progress)?;
                    self.check::<Change>(&history_list(climb), fix, &mut report, progress)?;
                    let done = 6 + 2 * i;
                    if progress::due(done / 2, total / 2) {
                        progress.report(done, total, &message(done));
                    }
                }
            }
            None => {
                report.venue_ids =
                    self.check::<Venue>(&gym::venues_list(), fix, &mut report, progress)?;
            }
        }
        Ok(report)
    }

    /// Checks (and with `fix`, repairs) the lists a venue owns: its walls, setters
    /// and routes (by venue, current, wall, setter, and month set), and its history.
    pub fn repair_venue(&self, venue_id: &str, fix: bool) -> DomainResult<RepairReport> {
        self.repair_venue_reporting(venue_id, fix, &Silent)
    }

    /// [`Climbing::repair_venue`], reporting each list checked to `progress` and
    /// stopping between lists when it asks to.
    pub fn repair_venue_reporting(
        &self,
        venue_id: &str,
        fix: bool,
        progress: &dyn Progress,
    ) -> DomainResult<RepairReport> {
        let venue = self.get_venue(venue_id)?;
        let mut report = RepairReport {
            venue_id: Some(venue.id.clone()),
            fixed: fix,
            ..Default::default()
        };
        let p = progress;
        self.check::<Change>(&history_list(&venue.id), fix, &mut report, p)?;
        let walls = self.check::<Wall>(&gym::walls_list(&venue.id), fix, &mut report, p)?;
        let setters = self.check::<Setter>(&gym::setters_list(&venue.id), fix, &mut report, p)?;
        let routes =
            self.check::<GymRoute>(&gym::venue_routes_list(&venue.id), fix, &mut report, p)?;
        self.check::<GymRoute>(&gym::current_routes_list(&venue.id), fix, &mut report, p)?;
        // The venue's five lists, then one per wall and per setter (the month
        // lists, known only after reading the routes, come last, unreported).
        let total = 5 + walls.len() + setters.len();
        let lists: Vec<String> = walls
            .iter()
            .map(|w| gym::wall_routes_list(w))
            .chain(setters.iter().map(|s| gym::setter_routes_list(s)))
            .collect();
        for (i, list) in lists.iter().enumerate() {
            if p.stop() {
                return Ok(report);
            }
            self.check::<GymRoute>(list, fix, &mut report, p)?;
            let done = 6 + i;
            if progress::due(done, total) {
                p.report(done, total, &|| {
                    format!("checked {done} of {total} route lists (the venue's, then each wall's and setter's)")
                });
            }
        }
        // Month lists are named by the months routes were set in.
        let mut months: Vec<String> = Vec::new();
        for chunk in routes.chunks(validate::MAX_PAGE) {
            for route in self.store.get_many::<GymRoute>(chunk)? {
                let month = gym::month_routes_list(&venue.id, &route.set_on);
                if !months.contains(&month) {
                    months.push(month);
                }
            }
        }
        for month in months {
            if p.stop() {
                break;
            }
            self.check::<GymRoute>(&month, fix, &mut report, p)?;
        }
        Ok(report)
    }

    /// Checks (and with `fix`, repairs) one climber's logbook. Logbooks are
    /// listed per climber only, so they are checked one climber at a time.
    pub fn repair_logbook(&self, climber: &str, fix: bool) -> DomainResult<RepairReport> {
        let mut report = RepairReport {
            climber: Some(climber.to_owned()),
            fixed: fix,
            ..Default::default()
        };
        self.check::<Tick>(&ticks_list(climber), fix, &mut report, &Silent)?;
        Ok(report)
    }
}
