//! The logbook: ticks and their statistics.
