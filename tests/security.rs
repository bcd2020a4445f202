//! The security suite: attacks as data, against the built component served by the
//! host over real HTTP. Each file is one family of attack; each table row says
//! what is sent and what must come back, so a new attack is a new row.
//! docs/security.md lists every attack with its expected answer and its test.

mod common;

#[path = "security/support.rs"]
mod support;

#[path = "security/bodies.rs"]
mod bodies;
#[path = "security/headers.rs"]
mod headers;
#[path = "security/input.rs"]
mod input;
#[path = "security/races.rs"]
mod races;
#[path = "security/scopes.rs"]
mod scopes;
#[path = "security/tokens.rs"]
mod tokens;
