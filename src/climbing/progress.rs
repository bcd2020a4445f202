//! How long domain work tells its caller how far it got, and learns that it
//! should stop. The domain knows nothing of the protocol: the catalog's request
//! context implements [`Progress`] and turns it into notifications.

/// The listener of one piece of long work.
pub trait Progress {
    /// `done` of `total` units are finished. `message` says what, and is built
    /// only when someone reads it.
    fn report(&self, done: usize, total: usize, message: &dyn Fn() -> String);
    /// Something a user would want to read about the work (what was skipped, and
    /// why); built only when someone reads it.
    fn note(&self, message: &dyn Fn() -> String);
    /// Whether the work should stop here: checked between steps, where stopping
    /// leaves every record whole.
    fn stop(&self) -> bool;
}

/// Nobody listens: nothing is reported and nothing stops the work.
pub struct Silent;

impl Progress for Silent {
    fn report(&self, _: usize, _: usize, _: &dyn Fn() -> String) {}
    fn note(&self, _: &dyn Fn() -> String) {}
    fn stop(&self) -> bool {
        false
    }
}

/// How many reports a piece of work sends at most: enough to show movement,
/// few enough that the events cost little next to the work.
const REPORTS: usize = 50;

/// Whether `done` of `total` is a step worth reporting: about every
/// `total / REPORTS` units, and the last one.
pub fn due(done: usize, total: usize) -> bool {
    done == total || done.is_multiple_of((total / REPORTS).max(1))
}
