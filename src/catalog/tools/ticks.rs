//! Ticks tools.

pub static TOOLS: &[super::ToolSpec] = &[];
