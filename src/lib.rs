//! Lineup browser SDK (placeholder).
//!
//! The WebAssembly SDK (CRVideo surface and modern API) is built in a later issue; the
//! crate exists now so the workspace has its final shape.
