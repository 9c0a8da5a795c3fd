//! Small reusable console components.
