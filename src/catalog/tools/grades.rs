//! Grades tools.

pub static TOOLS: &[super::ToolSpec] = &[];
