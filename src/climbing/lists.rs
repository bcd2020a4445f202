//! The lists the domain pages through, and the scope each one's cursors are bound to.
//!
//! A cursor is sealed with the scope of the list it walks ([`crate::store::cursor`]),
//! so a cursor of one list is refused on another. The scopes are the names of the
//! domain's index lists (or of its searches); they live here, beside the list
//! methods, so no layer above builds storage names. They must never change:
//! cursors handed out before keep decoding.

use super::area::children_list;
use super::climb::climbs_list;
use super::gym::{self, RouteQuery};
use super::history::history_list;
use super::media::media_list;
use super::orphans::DELETED_LIST;
use super::tick::ticks_list;

/// A list of the domain, as its list methods read it.
#[derive(Debug, Clone, Copy)]
pub enum List<'a> {
    /// The sub-areas of an area, or the top-level areas (`list_areas`).
    Areas(Option<&'a str>),
    /// The climbs of an area and its subtree (`list_climbs`, `list_subtree_climbs`).
    Climbs(&'a str),
    /// The history of an area, climb or token (`history`).
    History(&'a str),
    /// The media of an area or climb (`list_media`).
    Media(&'a str),
    /// A climber's logbook (`list_ticks`, by the climber's subject).
    Ticks(&'a str),
    /// Every venue (`list_venues`).
    Venues,
    /// A venue's walls (`list_walls`).
    Walls(&'a str),
    /// A venue's setters (`list_setters`).
    Setters(&'a str),
    /// Gym routes matching a query (`list_gym_routes`).
    GymRoutes(&'a RouteQuery),
    /// Areas whose name matches a query (`search_areas`).
    SearchAreas(&'a str),
    /// Climbs whose name matches a query (`search_climbs`).
    SearchClimbs(&'a str),
    /// Deleted areas and climbs (`find_orphans`).
    Tombstones,
}

impl List<'_> {
    /// The scope the list's cursors are sealed with.
    pub fn cursor_scope(&self) -> String {
        match self {
            List::Areas(parent) => children_list(*parent),
            List::Climbs(area) => climbs_list(area),
            List::History(entity) => history_list(entity),
            List::Media(entity) => media_list(entity),
            List::Ticks(climber) => ticks_list(climber),
            List::Venues => gym::venues_list(),
            List::Walls(venue) => gym::walls_list(venue),
            List::Setters(venue) => gym::setters_list(venue),
            List::GymRoutes(query) => query.list_name(),
            List::SearchAreas(query) => format!("search-areas:{query}"),
            List::SearchClimbs(query) => format!("search-climbs:{query}"),
            List::Tombstones => DELETED_LIST.to_owned(),
        }
    }
}
