//! What a tool is, apart from its code: name, title, description, the scope a
//! caller needs and the hints clients get. One [`ToolMeta`] per tool; its
//! constructors fix the scope and the annotations together, so a tool that
//! deletes cannot be announced as read-only or be callable with `climb:read`.

use crate::identity::Scope;

/// MCP tool annotations: hints for clients about what a tool does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct ToolMeta {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub scope: Scope,
    pub annotations: Annotations,
}

impl ToolMeta {
    const fn new(
        name: &'static str,
        title: &'static str,
        description: &'static str,
        scope: Scope,
        (read_only, destructive, idempotent): (bool, bool, bool),
    ) -> Self {
        Self {
            name,
            title,
            description,
            scope,
            annotations: Annotations {
                read_only,
                destructive,
                idempotent,
            },
        }
    }

    /// Reads and changes nothing: `climb:read`, read-only.
    pub const fn read(name: &'static str, title: &'static str, description: &'static str) -> Self {
        Self::new(name, title, description, Scope::Read, (true, false, true))
    }

    /// Adds something new; calling it twice adds it twice: `climb:write`, not
    /// destructive, not idempotent.
    pub const fn create(
        name: &'static str,
        title: &'static str,
        description: &'static str,
    ) -> Self {
        Self::new(
            name,
            title,
            description,
            Scope::Write,
            (false, false, false),
        )
    }

    /// Changes what is there (overwriting it), a new version each time:
    /// `climb:write`, destructive, not idempotent.
    pub const fn update(
        name: &'static str,
        title: &'static str,
        description: &'static str,
    ) -> Self {
        Self::new(name, title, description, Scope::Write, (false, true, false))
    }

    /// Removes (or finally retires) something; a second call finds it gone:
    /// `climb:write`, destructive, idempotent.
    pub const fn delete(
        name: &'static str,
        title: &'static str,
        description: &'static str,
    ) -> Self {
        Self::new(name, title, description, Scope::Write, (false, true, true))
    }

    /// Checks or repairs the store, bringing it to what it should be, so a
    /// second call changes nothing more: `admin`, not destructive, idempotent.
    pub const fn maintenance(
        name: &'static str,
        title: &'static str,
        description: &'static str,
    ) -> Self {
        Self::new(name, title, description, Scope::Admin, (false, false, true))
    }

    /// The meta of one of the catalog's own tools as the component keeps it:
    /// `tools/list` serves their entries from `definitions.json`, generated
    /// natively with this text, so inside the component the title and description
    /// would be a second copy nothing reads (12 KB). Extension tools, described
    /// per request, keep theirs.
    pub const fn catalogued(self) -> Self {
        #[cfg(target_arch = "wasm32")]
        return Self {
            title: "",
            description: "",
            ..self
        };
        #[cfg(not(target_arch = "wasm32"))]
        self
    }

    /// The same tool for `admin` tokens only (tokens are the admin's business).
    pub const fn admin(self) -> Self {
        Self {
            scope: Scope::Admin,
            ..self
        }
    }
}
