//! What a venue's routes add up to: due for strip, grade distribution, setter
//! statistics. Each reads a bounded number of routes.

use super::*;
use std::collections::BTreeMap;

impl Climbing<'_> {
    /// The venue's current routes (set or closed), up to [`MAX_AGGREGATE_ROUTES`];
    /// the flag says whether all were read.
    pub(super) fn current_routes(&self, venue_id: &str) -> DomainResult<(Vec<GymRoute>, bool)> {
        validate::id("venue_id", venue_id)?;
        self.store.require::<Venue>(venue_id)?;
        let scan = self.store.scan(
            &current_routes_list(venue_id),
            None,
            usize::MAX,
            MAX_AGGREGATE_ROUTES,
            CHUNK,
            &|r: &GymRoute| r.venue_id == venue_id && r.status != RouteStatus::Stripped,
        )?;
        Ok((scan.items, scan.next.is_none()))
    }

    /// Current routes of a venue whose planned strip date is on or before `on_or_before`
    /// (default today), earliest first, at most `limit`.
    pub fn routes_due_for_strip(
        &self,
        venue_id: &str,
        on_or_before: Option<&str>,
        limit: usize,
    ) -> DomainResult<DueForStrip> {
        let day = match on_or_before {
            Some(d) => date("on_or_before", d)?,
            None => self.today(),
        };
        let (routes, complete) = self.current_routes(venue_id)?;
        let scanned_routes = routes.len();
        let mut due: Vec<GymRoute> = routes
            .into_iter()
            .filter(|r| r.strip_on.as_deref().is_some_and(|s| s <= day.as_str()))
            .collect();
        crate::ordering::sort_by(&mut due, |a, b| {
            (&a.strip_on, &a.wall_id, &a.set_on).cmp(&(&b.strip_on, &b.wall_id, &b.set_on))
        });
        let total_due = due.len();
        due.truncate(limit);
        Ok(DueForStrip {
            venue_id: venue_id.to_owned(),
            on_or_before: day,
            routes: due,
            total_due,
            scanned_routes,
            complete,
        })
    }

    /// The venue's current routes counted per discipline and grade.
    pub fn venue_grade_distribution(
        &self,
        venue_id: &str,
        discipline: Option<GymDiscipline>,
    ) -> DomainResult<GradeDistribution> {
        let (routes, complete) = self.current_routes(venue_id)?;
        let mut groups: BTreeMap<GymDiscipline, BTreeMap<(String, String), GradeCount>> =
            BTreeMap::new();
        let mut total_routes = 0;
        for r in routes
            .iter()
            .filter(|r| discipline.is_none_or(|d| d == r.discipline))
        {
            total_routes += 1;
            let entry = groups
                .entry(r.discipline)
                .or_default()
                .entry((r.grade_system.clone(), r.grade.clone()))
                .or_insert_with(|| GradeCount {
                    grade: r.grade.clone(),
                    grade_system: r.grade_system.clone(),
                    score: r.score(),
                    count: 0,
                    closed: 0,
                });
            entry.count += 1;
            if r.status == RouteStatus::Closed {
                entry.closed += 1;
            }
        }
        let disciplines = groups
            .into_iter()
            .map(|(discipline, grades)| {
                let mut grades: Vec<GradeCount> = grades.into_values().collect();
                crate::ordering::sort_by(&mut grades, |a, b| match (a.score, b.score) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => (&a.grade_system, &a.grade).cmp(&(&b.grade_system, &b.grade)),
                });
                DisciplineGrades {
                    discipline,
                    routes: grades.iter().map(|g| g.count).sum(),
                    grades,
                }
            })
            .collect();
        Ok(GradeDistribution {
            venue_id: venue_id.to_owned(),
            total_routes,
            disciplines,
            complete,
        })
    }

    /// Routes set per setter at a venue between `from` and `to` (inclusive; default
    /// the last twelve months up to today), read month by month.
    pub fn setter_stats(
        &self,
        venue_id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> DomainResult<SetterStats> {
        validate::id("venue_id", venue_id)?;
        let to = match to {
            Some(d) => date("to", d)?,
            None => self.today(),
        };
        let from = match from {
            Some(d) => date("from", d)?,
            None => months_before(&to, 11),
        };
        if from > to {
            return invalid(format!(
                "from {from} is after to {to}; give from on or before to"
            ));
        }
        let months = months(&from, &to);
        if months.len() > MAX_STATS_MONTHS {
            return invalid(format!(
                "from {from} to {to} spans more than {MAX_STATS_MONTHS} months; ask for a shorter range (several calls for longer periods)"
            ));
        }
        self.store.require::<Venue>(venue_id)?;
        let mut routes: Vec<GymRoute> = Vec::new();
        let mut complete = true;
        for month in &months {
            let budget = MAX_AGGREGATE_ROUTES - routes.len();
            if budget == 0 {
                complete = false;
                break;
            }
            let scan = self.store.scan(
                &month_routes_list(venue_id, month),
                None,
                usize::MAX,
                budget,
                CHUNK,
                &|r: &GymRoute| {
                    r.venue_id == venue_id
                        && r.set_on.starts_with(month.as_str())
                        && r.set_on >= from
                        && r.set_on <= to
                },
            )?;
            if scan.next.is_some() {
                complete = false;
            }
            routes.extend(scan.items);
        }
        let mut per: BTreeMap<String, BTreeMap<GymDiscipline, usize>> = BTreeMap::new();
        let mut unattributed_routes = 0;
        for r in &routes {
            if r.setter_ids.is_empty() {
                unattributed_routes += 1;
            }
            for s in &r.setter_ids {
                *per.entry(s.clone())
                    .or_default()
                    .entry(r.discipline)
                    .or_default() += 1;
            }
        }
        let ids: Vec<String> = per.keys().cloned().collect();
        let setters: Vec<Setter> = self.store.get_many(&ids)?;
        let mut stats: Vec<SetterStat> = per
            .into_iter()
            .map(|(setter_id, by)| {
                let setter = setters.iter().find(|s| s.id == setter_id);
                SetterStat {
                    name: setter.map(|s| s.name.clone()),
                    active: setter.map(|s| s.active),
                    routes: by.values().sum(),
                    by_discipline: by
                        .into_iter()
                        .map(|(discipline, routes)| DisciplineCount { discipline, routes })
                        .collect(),
                    setter_id,
                }
            })
            .collect();
        crate::ordering::sort_by(&mut stats, |a, b| {
            b.routes.cmp(&a.routes).then(a.setter_id.cmp(&b.setter_id))
        });
        Ok(SetterStats {
            venue_id: venue_id.to_owned(),
            from,
            to,
            total_routes: routes.len(),
            unattributed_routes,
            setters: stats,
            complete,
        })
    }
}
