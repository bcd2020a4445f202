//! Gym tools.

pub static TOOLS: &[super::ToolSpec] = &[];
