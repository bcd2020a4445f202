//! Gym routes: create, change (index entries move with the route), strip, delete
//! and list with filters.

use super::*;
use crate::climbing::grades::GradeSystem;
use crate::climbing::progress::{self, Progress, Silent};
use crate::store::index::Position;

impl Climbing<'_> {
    // ---- gym routes ---------------------------------------------------------------

    pub(super) fn route_wall(&self, wall_id: &str) -> DomainResult<Wall> {
        self.live_parent(
            "wall_id",
            wall_id,
            "find it with list_walls or create it with create_wall first",
        )
    }

    /// Checks that `setter_ids` are setters of `venue_id` not being deleted.
    pub(super) fn route_setters(&self, venue_id: &str, setter_ids: &[String]) -> DomainResult<()> {
        if setter_ids.len() > MAX_ROUTE_SETTERS {
            return invalid(format!(
                "setter_ids lists {} setters; credit at most {MAX_ROUTE_SETTERS}",
                setter_ids.len()
            ));
        }
        for id in setter_ids {
            let setter: Setter = self.live_parent(
                "setter_ids",
                id,
                "find the venue's setters with list_setters or add one with create_setter",
            )?;
            if setter.venue_id != venue_id {
                return invalid(format!(
                    "{} sets at another venue ({}), not at this route's venue ({venue_id}); credit setters of the route's venue (list_setters) or add the setter there with create_setter",
                    setter.label(),
                    setter.venue_id
                ));
            }
        }
        Ok(())
    }

    /// That the wall and setters of `route` still stand (after a write).
    pub(super) fn route_parents_stand(&self, route: &GymRoute) -> DomainResult<()> {
        self.route_wall(&route.wall_id)?;
        self.route_setters(&route.venue_id, &route.setter_ids)
    }

    pub fn create_gym_route(&self, new: NewGymRoute) -> DomainResult<GymRoute> {
        let grade = grade_text(&new.grade)?;
        let system = grade_system(&new.grade_system)?;
        let set_on = date("set_on", &new.set_on)?;
        let strip_on = new
            .strip_on
            .as_deref()
            .map(|d| date("strip_on", d))
            .transpose()?;
        check_dates(&set_on, strip_on.as_deref())?;
        let name = short_text("name", new.name)?;
        let notes = notes(new.notes)?;
        let setter_ids = dedup(&new.setter_ids);
        let wall = self.route_wall(&new.wall_id)?;
        check_discipline(&wall, new.discipline)?;
        self.route_setters(&wall.venue_id, &setter_ids)?;
        let template = GymRoute {
            id: String::new(),
            version: 1,
            venue_id: wall.venue_id.clone(),
            wall_id: wall.id.clone(),
            name,
            hold_colour: new.hold_colour,
            grade,
            grade_system: system,
            discipline: new.discipline,
            setter_ids,
            set_on,
            strip_on,
            stripped_on: None,
            status: RouteStatus::Set,
            notes,
            audit: self.audit_new(),
        };
        self.store.create(
            |id| GymRoute {
                id,
                ..template.clone()
            },
            |route| self.route_parents_stand(route),
        )
    }

    pub fn get_gym_route(&self, id: &str) -> DomainResult<GymRoute> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    /// `route` with `changes` applied and checked (reads the wall and new setters).
    pub(super) fn changed_route(
        &self,
        route: &GymRoute,
        changes: &GymRouteChanges,
        today: &str,
    ) -> DomainResult<GymRoute> {
        let mut next = route.clone();
        if let Some(g) = &changes.grade {
            next.grade = grade_text(g)?;
        }
        if let Some(s) = &changes.grade_system {
            next.grade_system = grade_system(s)?;
        }
        if let Some(d) = &changes.set_on {
            next.set_on = date("set_on", d)?;
        }
        if let Some(d) = &changes.strip_on {
            next.strip_on = Some(date("strip_on", d)?);
        }
        if let Some(n) = short_text("name", changes.name.clone())? {
            next.name = Some(n);
        }
        if let Some(n) = notes(changes.notes.clone())? {
            next.notes = Some(n);
        }
        next.hold_colour = changes.hold_colour.unwrap_or(next.hold_colour);
        next.discipline = changes.discipline.unwrap_or(next.discipline);
        if let Some(ids) = &changes.setter_ids {
            next.setter_ids = dedup(ids);
        }
        if changes.stripped_on.is_some() && changes.status != Some(RouteStatus::Stripped) {
            return invalid(
                "stripped_on goes with status stripped; to strip the route send both, or use strip_gym_routes",
            );
        }
        if let Some(status) = changes.status {
            check_transition(route, status)?;
            // Stripping sets stripped_on; on a stripped route it can be corrected.
            if status == RouteStatus::Stripped
                && (route.status != RouteStatus::Stripped || changes.stripped_on.is_some())
            {
                let on = match &changes.stripped_on {
                    Some(d) => date("stripped_on", d)?,
                    None => today.to_owned(),
                };
                next.stripped_on = Some(on);
            }
            next.status = status;
        }
        check_dates(&next.set_on, next.strip_on.as_deref())?;
        if let Some(stripped) = next.stripped_on.as_deref() {
            if stripped < next.set_on.as_str() {
                return invalid(format!(
                    "stripped_on {stripped} is before set_on {}: a route is stripped on or after the day it is set",
                    next.set_on
                ));
            }
        }
        let wall_id = changes.wall_id.as_deref().unwrap_or(&route.wall_id);
        let wall = self.route_wall(wall_id)?;
        if wall.venue_id != route.venue_id {
            return invalid(format!(
                "wall \"{}\" ({}) is at another venue; a route moves only between walls of its own venue. Create a new route at the other venue instead",
                wall.name, wall.id
            ));
        }
        if wall.id != route.wall_id || next.discipline != route.discipline {
            check_discipline(&wall, next.discipline)?;
        }
        next.wall_id = wall.id;
        let added: Vec<String> = next
            .setter_ids
            .iter()
            .filter(|s| !route.setter_ids.contains(s))
            .cloned()
            .collect();
        if next.setter_ids.len() > MAX_ROUTE_SETTERS {
            return invalid(format!(
                "setter_ids lists {} setters; credit at most {MAX_ROUTE_SETTERS}",
                next.setter_ids.len()
            ));
        }
        self.route_setters(&route.venue_id, &added)?;
        Ok(next)
    }

    /// Writes `route` changed by `change` through the record lifecycle (index
    /// entries move with it), putting it back if a new wall or setter it now names
    /// was deleted meanwhile.
    pub(super) fn rewrite_route(
        &self,
        id: &str,
        expected_version: Option<u64>,
        change: impl Fn(&GymRoute) -> DomainResult<Option<GymRoute>>,
    ) -> DomainResult<(GymRoute, bool)> {
        validate::id("id", id)?;
        self.store.rewrite(
            id,
            expected_version,
            |current: &GymRoute| {
                Ok(change(current)?.map(|mut next| {
                    self.touch(&mut next.audit);
                    next
                }))
            },
            |before, after| {
                let new_parents = after.wall_id != before.wall_id
                    || after
                        .setter_ids
                        .iter()
                        .any(|s| !before.setter_ids.contains(s));
                if new_parents {
                    self.route_parents_stand(after)?;
                }
                Ok(())
            },
        )
    }

    pub fn update_gym_route(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: GymRouteChanges,
    ) -> DomainResult<GymRoute> {
        let today = self.today();
        let (route, _) = self.rewrite_route(id, expected_version, |current| {
            self.changed_route(current, &changes, &today).map(Some)
        })?;
        Ok(route)
    }

    /// What deleting a gym route would remove: the credit of its setters (their
    /// statistics count it) and, once stripped, the record that it was on the wall.
    pub fn gym_route_delete_loss(
        &self,
        id: &str,
    ) -> DomainResult<crate::climbing::losses::DeleteLoss> {
        validate::id("id", id)?;
        let route: GymRoute = self.store.require(id)?;
        let mut losses = Vec::new();
        if !route.setter_ids.is_empty() {
            let mut names = Vec::new();
            for setter_id in &route.setter_ids {
                let name = self.store.get::<Setter>(setter_id)?.map(|s| s.name);
                names.push(format!("\"{}\"", name.as_deref().unwrap_or(setter_id)));
            }
            losses.push(format!(
                "the setting credit of {} (setter statistics count it)",
                names.join(", ")
            ));
        }
        if let Some(stripped_on) = &route.stripped_on {
            losses.push(format!(
                "the record that it was on the wall from {} to {stripped_on}",
                route.set_on
            ));
        }
        Ok(crate::climbing::losses::DeleteLoss {
            label: format!("the {}", route.label()),
            version: route.version,
            losses,
        })
    }

    /// Deletes a gym route (its history goes too; to take it down, strip it).
    pub fn delete_gym_route(
        &self,
        id: &str,
        expected_version: Option<u64>,
    ) -> DomainResult<GymRoute> {
        validate::id("id", id)?;
        self.store
            .delete_listed(id, expected_version, |_: &GymRoute| Ok(()), |_| Ok(()))
    }

    /// Checks a route query and returns the grade range as scores.
    pub(super) fn query_range(&self, q: &RouteQuery) -> DomainResult<(Option<f64>, Option<f64>)> {
        match &q.scope {
            RouteScope::Wall(w) => validate::id("wall_id", w)?,
            RouteScope::Venue(v) => validate::id("venue_id", v)?,
        }
        if let Some(s) = &q.setter_id {
            validate::id("setter_id", s)?;
        }
        if q.min_grade.is_none() && q.max_grade.is_none() {
            return Ok((None, None));
        }
        let Some(system) = q.grade_system.as_deref() else {
            return invalid(
                "min_grade and max_grade need grade_system, the system they are written in (e.g. vscale for V4, french for 6b+)",
            );
        };
        let system = grade_system(system)?;
        let bound = |field: &str, text: &Option<String>| -> DomainResult<Option<f64>> {
            match text {
                None => Ok(None),
                Some(t) => grade_score(&system, t).map(Some).ok_or_else(|| {
                    DomainError::Invalid(format!(
                        "{field} \"{t}\" is not a grade the server can read in the {system} system; check the grade and grade_system (e.g. V4 with vscale, 6b+ with french)"
                    ))
                }),
            }
        };
        let (min, max) = (
            bound("min_grade", &q.min_grade)?,
            bound("max_grade", &q.max_grade)?,
        );
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                return invalid("min_grade is harder than max_grade; swap them");
            }
        }
        Ok((min, max))
    }

    /// A page of gym routes matching `q`. Filtered lists read at most
    /// [`FILTER_SCAN_ENTRIES`] index entries per call, so a page may hold fewer than
    /// `limit` routes (even none) while a next position is returned.
    pub fn list_gym_routes(
        &self,
        q: &RouteQuery,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<GymRoute>, Option<Position>)> {
        let (min, max) = self.query_range(q)?;
        // Scores only compare within a discipline: a V-scale range never matches a
        // French route whose score happens to fall inside it.
        let kind = q
            .grade_system
            .as_deref()
            .and_then(GradeSystem::parse_name)
            .map(GradeSystem::discipline);
        let keep = |r: &GymRoute| -> bool {
            let in_scope = match &q.scope {
                RouteScope::Wall(w) => &r.wall_id == w,
                RouteScope::Venue(v) => &r.venue_id == v,
            };
            let same_kind =
                GradeSystem::parse_name(&r.grade_system).map(GradeSystem::discipline) == kind;
            let in_range = if min.is_some() || max.is_some() {
                match r.score().filter(|_| same_kind) {
                    Some(s) => min.is_none_or(|m| s >= m) && max.is_none_or(|m| s <= m),
                    None => false,
                }
            } else {
                true
            };
            in_scope
                && in_range
                && q.status.accepts(r.status)
                && q.discipline.is_none_or(|d| d == r.discipline)
                && q.hold_colour.is_none_or(|c| c == r.hold_colour)
                && q.setter_id
                    .as_ref()
                    .is_none_or(|s| r.setter_ids.contains(s))
        };
        let chunk = if q.is_filtered() { CHUNK } else { limit };
        let scan = self.store.scan(
            &q.list_name(),
            from,
            limit,
            FILTER_SCAN_ENTRIES,
            chunk,
            &keep,
        )?;
        Ok((scan.items, scan.next))
    }

    /// Marks routes stripped (on `stripped_on`, default today). Every route is
    /// checked first, so a refusal changes nothing; routes already stripped are left
    /// as they are.
    pub fn strip_gym_routes(
        &self,
        ids: &[String],
        stripped_on: Option<&str>,
    ) -> DomainResult<Vec<StripOutcome>> {
        self.strip_gym_routes_reporting(ids, stripped_on, &Silent)
    }

    /// [`Climbing::strip_gym_routes`], reporting each route to `progress`, noting
    /// the routes left unchanged, and stopping between routes when it asks to
    /// (each route is rewritten whole; the rest stay as they were).
    pub fn strip_gym_routes_reporting(
        &self,
        ids: &[String],
        stripped_on: Option<&str>,
        progress: &dyn Progress,
    ) -> DomainResult<Vec<StripOutcome>> {
        let ids = dedup(ids);
        if ids.is_empty() || ids.len() > MAX_STRIP_BATCH {
            return invalid(format!(
                "ids lists {} routes; strip 1 to {MAX_STRIP_BATCH} routes per call",
                ids.len()
            ));
        }
        for id in &ids {
            validate::id("ids", id)?;
        }
        let on = match stripped_on {
            Some(d) => date("stripped_on", d)?,
            None => self.today(),
        };
        let routes: Vec<GymRoute> = self.store.get_many(&ids)?;
        if routes.len() != ids.len() {
            let missing: Vec<&str> = ids
                .iter()
                .filter(|id| !routes.iter().any(|r| &r.id == *id))
                .map(String::as_str)
                .collect();
            return invalid(format!(
                "no gym route with id {}; nothing was stripped. Check the ids with list_gym_routes",
                missing.join(", ")
            ));
        }
        for r in &routes {
            if r.status != RouteStatus::Stripped && on < r.set_on {
                return invalid(format!(
                    "{} was set on {}, after stripped_on {on}; nothing was stripped. Give a stripped_on on or after every route's set_on",
                    r.label(),
                    r.set_on
                ));
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        let total = ids.len();
        for (i, id) in ids.iter().enumerate() {
            if progress.stop() {
                break;
            }
            let (route, changed) = self.rewrite_route(id, None, |current| {
                if current.status == RouteStatus::Stripped {
                    return Ok(None);
                }
                if on < current.set_on {
                    return invalid(format!(
                        "{} was set on {}, after stripped_on {on}",
                        current.label(),
                        current.set_on
                    ));
                }
                let mut next = current.clone();
                next.status = RouteStatus::Stripped;
                next.stripped_on = Some(on.clone());
                Ok(Some(next))
            })?;
            if !changed {
                progress
                    .note(&|| format!("{} left unchanged: it was already stripped", route.label()));
            }
            out.push(StripOutcome {
                id: id.clone(),
                changed,
                route,
            });
            let done = i + 1;
            if progress::due(done, total) {
                progress.report(done, total, &|| {
                    format!("stripped {done} of {total} routes")
                });
            }
        }
        Ok(out)
    }
}
