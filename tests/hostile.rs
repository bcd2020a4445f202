//! Hostile HTTP (placeholder while the matrix is written).
