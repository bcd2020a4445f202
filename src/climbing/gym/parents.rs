//! Venues, walls and setters: the records gym routes hang on, created under a live
//! parent and deleted under a lease while nothing depends on them.

use super::*;
use crate::store::index::Position;

impl Climbing<'_> {
    pub(super) fn now(&self) -> u64 {
        self.store.platform().now_ms()
    }

    /// Today's date (UTC), YYYY-MM-DD.
    pub fn today(&self) -> String {
        date_of_ms(self.now())
    }

    /// An existing parent not being deleted; `hint` says where to find or make one.
    pub(super) fn live_parent<R: Guarded>(
        &self,
        field: &str,
        id: &str,
        hint: &str,
    ) -> DomainResult<R> {
        validate::id(field, id)?;
        let parent: R = self.store.get(id)?.ok_or_else(|| {
            DomainError::Invalid(format!(
                "{field} \"{id}\" is not an existing {}; {hint}",
                R::KIND
            ))
        })?;
        if parent.lease().is_some_and(|until| until > self.now()) {
            return invalid(format!(
                "{} is being deleted; nothing can be added to it. If the delete fails it will be usable again within a minute",
                parent.label()
            ));
        }
        Ok(parent)
    }

    /// Deletes a record others depend on through the guarded delete of the record
    /// lifecycle, under a lease of [`DELETE_LEASE_MS`].
    pub(super) fn delete_guarded<R: Guarded + Listed>(
        &self,
        id: &str,
        expected_version: Option<u64>,
        dependents: impl Fn(&R) -> DomainResult<()>,
    ) -> DomainResult<R> {
        validate::id("id", id)?;
        self.store.delete_guarded(
            id,
            expected_version,
            self.now() + DELETE_LEASE_MS,
            dependents,
        )
    }

    // ---- venues -------------------------------------------------------------------

    pub fn create_venue(&self, new: NewVenue) -> DomainResult<Venue> {
        let name = validate::name("name", &new.name)?;
        let city = short_text("city", new.city)?;
        let country = short_text("country", new.country)?;
        let location = validate::location("location", new.location)?;
        let website = website(new.website)?;
        let notes = notes(new.notes)?;
        self.store.create(
            |id| Venue {
                id,
                version: 1,
                name: name.clone(),
                city: city.clone(),
                country: country.clone(),
                location,
                website: website.clone(),
                notes: notes.clone(),
                deleting_until_ms: None,
                audit: self.audit_new(),
            },
            |_| Ok::<(), DomainError>(()),
        )
    }

    pub fn get_venue(&self, id: &str) -> DomainResult<Venue> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    pub fn update_venue(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: VenueChanges,
    ) -> DomainResult<Venue> {
        validate::id("id", id)?;
        let name = validate::optional_name("name", changes.name.as_deref())?;
        let city = short_text("city", changes.city)?;
        let country = short_text("country", changes.country)?;
        let location = validate::location("location", changes.location)?;
        let website = website(changes.website)?;
        let notes = notes(changes.notes)?;
        self.store.update(id, expected_version, |v: &mut Venue| {
            if let Some(n) = &name {
                v.name = n.clone();
            }
            v.city = city.clone().or(v.city.take());
            v.country = country.clone().or(v.country.take());
            v.location = location.or(v.location);
            v.website = website.clone().or(v.website.take());
            v.notes = notes.clone().or(v.notes.take());
            self.touch(&mut v.audit);
            Ok::<(), DomainError>(())
        })
    }

    pub fn list_venues(
        &self,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Venue>, Option<Position>)> {
        let scan = self
            .store
            .scan(&venues_list(), from, limit, limit, limit, &|_: &Venue| true)?;
        Ok((scan.items, scan.next))
    }

    /// Deletes a venue that has no walls and no setters left.
    pub fn delete_venue(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Venue> {
        let venue = self.delete_guarded(id, expected_version, |v: &Venue| {
            if let Some(w) = self.store.first_in(&walls_list(&v.id), &|w: &Wall| w.venue_id == v.id)? {
                return invalid(format!(
                    "{} still has walls (such as \"{}\", {}); delete its walls with delete_wall first (list them with list_walls)",
                    v.label(),
                    w.name,
                    w.id
                ));
            }
            if let Some(s) =
                self.store.first_in(&setters_list(&v.id), &|s: &Setter| s.venue_id == v.id)?
            {
                return invalid(format!(
                    "{} still has setters (such as \"{}\", {}); delete them with delete_setter first (list them with list_setters)",
                    v.label(),
                    s.name,
                    s.id
                ));
            }
            Ok(())
        })?;
        Ok(venue)
    }

    // ---- walls --------------------------------------------------------------------

    pub fn create_wall(&self, new: NewWall) -> DomainResult<Wall> {
        let name = validate::name("name", &new.name)?;
        let degrees = angle_degrees(new.angle_degrees)?;
        let height_m = height(new.height_m)?;
        let notes = notes(new.notes)?;
        let angle = new.angle.or(degrees.map(WallAngle::of_degrees));
        let venue: Venue = self.live_parent(
            "venue_id",
            &new.venue_id,
            "find it with list_venues or create it with create_venue first",
        )?;
        self.store.create(
            |id| Wall {
                id,
                version: 1,
                venue_id: venue.id.clone(),
                name: name.clone(),
                kind: new.kind,
                angle,
                angle_degrees: degrees,
                height_m,
                notes: notes.clone(),
                deleting_until_ms: None,
                audit: self.audit_new(),
            },
            |_| {
                self.live_parent::<Venue>("venue_id", &venue.id, "it was deleted meanwhile")
                    .map(|_| ())
            },
        )
    }

    pub fn get_wall(&self, id: &str) -> DomainResult<Wall> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    pub fn update_wall(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: WallChanges,
    ) -> DomainResult<Wall> {
        validate::id("id", id)?;
        let name = validate::optional_name("name", changes.name.as_deref())?;
        let degrees = angle_degrees(changes.angle_degrees)?;
        let height_m = height(changes.height_m)?;
        let notes = notes(changes.notes)?;
        self.store.update(id, expected_version, |w: &mut Wall| {
            if let Some(n) = &name {
                w.name = n.clone();
            }
            w.kind = changes.kind.unwrap_or(w.kind);
            if let Some(d) = degrees {
                w.angle_degrees = Some(d);
                if changes.angle.is_none() {
                    w.angle = Some(WallAngle::of_degrees(d));
                }
            }
            w.angle = changes.angle.or(w.angle);
            w.height_m = height_m.or(w.height_m);
            w.notes = notes.clone().or(w.notes.take());
            self.touch(&mut w.audit);
            Ok::<(), DomainError>(())
        })
    }

    pub fn list_walls(
        &self,
        venue_id: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Wall>, Option<Position>)> {
        validate::id("venue_id", venue_id)?;
        let scan = self.store.scan(
            &walls_list(venue_id),
            from,
            limit,
            limit,
            limit,
            &|w: &Wall| w.venue_id == venue_id,
        )?;
        Ok((scan.items, scan.next))
    }

    /// Deletes a wall with no routes left (stripped ones included).
    pub fn delete_wall(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Wall> {
        let wall = self.delete_guarded(id, expected_version, |w: &Wall| {
            if let Some(r) =
                self.store.first_in(&wall_routes_list(&w.id), &|r: &GymRoute| r.wall_id == w.id)?
            {
                return invalid(format!(
                    "{} still has routes (such as {}); delete them with delete_gym_route first, stripped ones too (list them with list_gym_routes, wall_id {} and status any)",
                    w.label(),
                    r.label(),
                    w.id
                ));
            }
            Ok(())
        })?;
        Ok(wall)
    }

    // ---- setters ------------------------------------------------------------------

    pub fn create_setter(&self, new: NewSetter) -> DomainResult<Setter> {
        let name = validate::name("name", &new.name)?;
        let venue: Venue = self.live_parent(
            "venue_id",
            &new.venue_id,
            "find it with list_venues or create it with create_venue first",
        )?;
        self.store.create(
            |id| Setter {
                id,
                version: 1,
                venue_id: venue.id.clone(),
                name: name.clone(),
                active: new.active.unwrap_or(true),
                deleting_until_ms: None,
                audit: self.audit_new(),
            },
            |_| {
                self.live_parent::<Venue>("venue_id", &venue.id, "it was deleted meanwhile")
                    .map(|_| ())
            },
        )
    }

    pub fn get_setter(&self, id: &str) -> DomainResult<Setter> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    pub fn update_setter(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: SetterChanges,
    ) -> DomainResult<Setter> {
        validate::id("id", id)?;
        let name = validate::optional_name("name", changes.name.as_deref())?;
        self.store.update(id, expected_version, |s: &mut Setter| {
            if let Some(n) = &name {
                s.name = n.clone();
            }
            s.active = changes.active.unwrap_or(s.active);
            self.touch(&mut s.audit);
            Ok::<(), DomainError>(())
        })
    }

    pub fn list_setters(
        &self,
        venue_id: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Setter>, Option<Position>)> {
        validate::id("venue_id", venue_id)?;
        let scan = self.store.scan(
            &setters_list(venue_id),
            from,
            limit,
            limit,
            limit,
            &|s: &Setter| s.venue_id == venue_id,
        )?;
        Ok((scan.items, scan.next))
    }

    /// Deletes a setter no route credits.
    pub fn delete_setter(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Setter> {
        let setter = self.delete_guarded(id, expected_version, |s: &Setter| {
            if let Some(r) = self.store.first_in(&setter_routes_list(&s.id), &|r: &GymRoute| {
                r.setter_ids.contains(&s.id)
            })? {
                return invalid(format!(
                    "{} is credited on routes (such as {}); mark the setter inactive with update_setter (active false) to keep the history, or take them off those routes with update_gym_route first",
                    s.label(),
                    r.label()
                ));
            }
            Ok(())
        })?;
        Ok(setter)
    }
}
