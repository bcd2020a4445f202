//! The logbook's operations: log, read, change, delete and list ticks, and the
//! statistics over them.

use super::*;
use crate::climbing::progress::{Progress, Silent};
use crate::store::index::{IndexList, Position};
use crate::store::{Store, StoreError, Stored};

impl Climbing<'_> {
    pub(super) fn target(
        &self,
        climb_id: Option<&str>,
        gym_route_id: Option<&str>,
    ) -> DomainResult<Target> {
        match (climb_id, gym_route_id) {
            (Some(id), None) => {
                validate::id("climb_id", id)?;
                let climb: Climb = self.store.get(id)?.ok_or_else(|| {
                    DomainError::Invalid(format!(
                        "climb_id \"{id}\" is not an existing climb; find it with list_climbs or search, or create it first"
                    ))
                })?;
                Ok(Target::Climb(climb))
            }
            (None, Some(id)) => {
                validate::id("gym_route_id", id)?;
                let route: GymRoute = self.store.get(id)?.ok_or_else(|| {
                    DomainError::Invalid(format!(
                        "gym_route_id \"{id}\" is not an existing gym route; find it with the gym route tools"
                    ))
                })?;
                Ok(Target::Gym(route))
            }
            (Some(_), Some(_)) => invalid(
                "give either climb_id or gym_route_id, not both: one tick records one ascent",
            ),
            (None, None) => invalid(
                "say what you climbed: give climb_id (an outdoor climb) or gym_route_id (a gym route)",
            ),
        }
    }

    pub fn log_tick(&self, new: NewTick) -> DomainResult<Tick> {
        // Everything is checked before anything is written.
        let now = self.store.platform().now_ms();
        let date = match &new.date {
            Some(d) => check_date("date", d, now)?,
            None => date_of(now, 0),
        };
        check_combination(new.style, new.attempt)?;
        check_stars(new.stars)?;
        let notes = check_notes(new.notes)?;
        let target = self.target(new.climb_id.as_deref(), new.gym_route_id.as_deref())?;
        target.check_style(new.style)?;
        // Index first, record second (see the module documentation).
        self.store.create(
            |id| Tick {
                id,
                version: 1,
                climber: self.actor.clone(),
                climb_id: new.climb_id.clone(),
                gym_route_id: new.gym_route_id.clone(),
                name: target.name(),
                date: date.clone(),
                style: new.style,
                attempt: new.attempt,
                stars: new.stars,
                notes: notes.clone(),
                grade: target.grade(new.style),
                audit: self.audit_new(),
            },
            |_| Ok::<(), DomainError>(()),
        )
    }

    pub fn get_tick(&self, id: &str) -> DomainResult<Tick> {
        validate::id("id", id)?;
        match self.store.get::<Tick>(id)? {
            Some(t) if t.climber == self.actor => Ok(t),
            _ => Err(not_yours(id)),
        }
    }

    pub fn update_tick(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: TickChanges,
    ) -> DomainResult<Tick> {
        let current = self.get_tick(id)?;
        let now = self.store.platform().now_ms();
        let date = changes
            .date
            .as_deref()
            .map(|d| check_date("date", d, now))
            .transpose()?;
        check_stars(changes.stars)?;
        let notes = match &changes.notes {
            Some(n) if n.trim().is_empty() => Some(None),
            Some(n) => Some(check_notes(Some(n.clone()))?),
            None => None,
        };
        let style = changes.style.unwrap_or(current.style);
        check_combination(style, changes.attempt.unwrap_or(current.attempt))?;
        // A new style must still fit what was climbed (when it still exists).
        if changes.style.is_some_and(|s| s != current.style) {
            let target = match (&current.climb_id, &current.gym_route_id) {
                (Some(c), _) => self.store.get::<Climb>(c)?.map(Target::Climb),
                (_, Some(g)) => self.store.get::<GymRoute>(g)?.map(Target::Gym),
                _ => None,
            };
            if let Some(t) = target {
                t.check_style(style)?;
            }
        }
        self.store.update(id, expected_version, |tick: &mut Tick| {
            if tick.climber != self.actor {
                return Err(not_yours(id));
            }
            let style = changes.style.unwrap_or(tick.style);
            let attempt = changes.attempt.unwrap_or(tick.attempt);
            // Re-checked on the record being written: another change may have won.
            check_combination(style, attempt)?;
            tick.style = style;
            tick.attempt = attempt;
            if let Some(d) = &date {
                tick.date = d.clone();
            }
            if changes.stars.is_some() {
                tick.stars = changes.stars;
            }
            if let Some(n) = &notes {
                tick.notes = n.clone();
            }
            self.touch(&mut tick.audit);
            Ok(())
        })
    }

    /// Deletes a tick of the caller's: the record first, then its index entry.
    pub fn delete_tick(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Tick> {
        validate::id("id", id)?;
        let deleted = self.store.delete_listed(
            id,
            None,
            |tick: &Tick| {
                // Whose it is before anything else: to anyone else it does not exist.
                if tick.climber != self.actor {
                    return Err(not_yours(id));
                }
                Ok(Store::check_version(tick, expected_version)?)
            },
            |_| Ok(()),
        );
        match deleted {
            Err(DomainError::Store(StoreError::NotFound { .. })) => Err(not_yours(id)),
            other => other,
        }
    }

    /// A page of the caller's ticks, in the order they were logged.
    pub fn list_ticks(
        &self,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Stored<Tick>>, Option<Position>)> {
        let list = IndexList::new(self.store.kv(), ticks_list(&self.actor));
        let slice = list.slice(from, limit)?;
        let mut ticks = Vec::with_capacity(slice.ids.len());
        for tick in self.store.get_many_stored::<Tick>(&slice.ids)? {
            // Only the climber's own ticks, whatever the list holds; the tick goes
            // out as stored.
            if tick.string_field("climber")? == self.actor {
                ticks.push(tick);
            }
        }
        Ok((ticks, slice.next))
    }

    /// Statistics over the caller's logbook (at most [`STATS_TICK_LIMIT`] ticks, read
    /// page by page). The pyramids use `route_system` and `boulder_system`, or by
    /// default the system the climber's ticks use most.
    pub fn logbook_stats(
        &self,
        route_system: Option<GradeSystem>,
        boulder_system: Option<GradeSystem>,
    ) -> DomainResult<LogbookStats> {
        self.logbook_stats_reporting(route_system, boulder_system, &Silent)
    }

    /// [`Climbing::logbook_stats`], reporting each page of ticks read to
    /// `progress` (out of the most it reads, [`STATS_TICK_LIMIT`]: the logbook's
    /// length is not stored), and stopping between pages when it asks to.
    pub fn logbook_stats_reporting(
        &self,
        route_system: Option<GradeSystem>,
        boulder_system: Option<GradeSystem>,
        progress: &dyn Progress,
    ) -> DomainResult<LogbookStats> {
        for (field, system, kind) in [
            ("route_system", route_system, GradeKind::Route),
            ("boulder_system", boulder_system, GradeKind::Boulder),
        ] {
            if let Some(s) = system.filter(|s| s.discipline() != kind) {
                return invalid(format!(
                    "{field} {} is a {} system: use a {} system ({})",
                    s.as_str(),
                    s.discipline().as_str(),
                    kind.as_str(),
                    grades::systems()
                        .iter()
                        .filter(|s| s.discipline() == kind)
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        let list = IndexList::new(self.store.kv(), ticks_list(&self.actor));
        let mut ticks = Vec::new();
        let mut from: Option<Position> = None;
        let mut read = 0;
        let truncated = loop {
            let take = validate::MAX_PAGE.min(STATS_TICK_LIMIT - read);
            let slice = list.slice(from.as_ref(), take)?;
            read += slice.ids.len();
            let page: Vec<Tick> = self.store.get_many(&slice.ids)?;
            ticks.extend(page.into_iter().filter(|t| t.climber == self.actor));
            let done = read;
            progress.report(done, STATS_TICK_LIMIT, &|| {
                format!("read {done} ticks (at most {STATS_TICK_LIMIT})")
            });
            match slice.next {
                None => break false,
                Some(_) if read >= STATS_TICK_LIMIT => {
                    progress.note(&|| {
                        format!("the logbook holds more than {STATS_TICK_LIMIT} ticks: the statistics cover the first {STATS_TICK_LIMIT} (truncated: true)")
                    });
                    break true;
                }
                // The client went away: nobody reads the statistics.
                Some(_) if progress.stop() => break true,
                next => from = next,
            }
        };
        Ok(stats(&ticks, route_system, boulder_system, truncated))
    }
}
