//! The climbing domain: areas (a tree) and the climbs in them, with their rules.
//!
//! Field names follow OpenBeta's open data model where one exists (`area_name` is
//! `name` here, coordinates are `lat`/`lng`, `left_right_index`, `fa`).

pub mod area;
pub mod bulk_import;
pub mod climb;
pub mod dates;
pub mod grades;
pub mod gym;
pub mod history;
pub mod import;
pub mod lists;
pub mod losses;
pub mod media;
pub mod orphans;
pub mod progress;
pub mod repair;
pub mod search;
pub mod stats;
pub mod subtree;
pub mod tick;
pub mod validate;

use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a domain operation was refused. Each message says what was wrong and how
/// to fix it, because a person or a model reads it and tries again.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainError {
    Invalid(String),
    Store(StoreError),
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainError::Invalid(msg) => f.write_str(msg),
            DomainError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl From<crate::platform::KvError> for DomainError {
    fn from(e: crate::platform::KvError) -> Self {
        DomainError::Store(StoreError::Kv(e))
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        DomainError::Store(e)
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

pub fn invalid<T>(msg: impl Into<String>) -> DomainResult<T> {
    Err(DomainError::Invalid(msg.into()))
}

/// Decimal degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LatLng {
    pub lat: f64,
    pub lng: f64,
}

/// Who did what, kept on every record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Audit {
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    pub created_by: String,
    pub updated_at: u64,
    pub updated_by: String,
}

/// The domain for one request: the store plus who is acting.
pub struct Climbing<'p> {
    pub store: Store<'p>,
    pub actor: String,
}

impl<'p> Climbing<'p> {
    pub fn new(store: Store<'p>, actor: impl Into<String>) -> Self {
        Self {
            store,
            actor: actor.into(),
        }
    }

    fn audit_new(&self) -> Audit {
        let now = self.store.platform().now_ms();
        Audit {
            created_at: now,
            created_by: self.actor.clone(),
            updated_at: now,
            updated_by: self.actor.clone(),
        }
    }

    fn touch(&self, audit: &mut Audit) {
        audit.updated_at = self.store.platform().now_ms();
        audit.updated_by = self.actor.clone();
    }
}

#[cfg(test)]
mod cut_off_tests;
#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;
