//! Who a request acts as: the subject and the scopes its token grants.
//! Authentication produces a [`Caller`]; the catalog checks its scopes per method
//! and tool.

use climbing_contract::scope;

/// A permission a bearer token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Read climbing data.
    Read,
    /// Create, change and delete climbing data.
    Write,
    /// Tokens and maintenance.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => scope::READ,
            Scope::Write => scope::WRITE,
            Scope::Admin => scope::ADMIN,
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            scope::READ => Some(Scope::Read),
            scope::WRITE => Some(Scope::Write),
            scope::ADMIN => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Who a request acts as, after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub scopes: Vec<Scope>,
}

/// A caller lacks the scope an operation needs (answered 403 `insufficient_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingScope {
    pub scope: Scope,
    pub message: String,
}

impl Caller {
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Refuses unless the caller holds `scope`; `what` names the operation.
    pub fn require(&self, scope: Scope, what: &str) -> Result<(), MissingScope> {
        if self.may(scope) {
            return Ok(());
        }
        Err(MissingScope {
            scope,
            message: format!(
                "{what} needs the scope {}; ask for a token that grants it",
                scope.as_str()
            ),
        })
    }
}
