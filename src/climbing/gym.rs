//! Indoor venues: walls, setters and gym routes.
