//! Lineup's browser SDK: the queue client in WebAssembly.
//!
//! One Rust core talks to lineup-server: `fetch` for login, one WebSocket for
//! everything live. The decisions — pairing replies with requests, heartbeats,
//! reconnecting with backoff and resuming within the hold time, LineOff, token expiry —
//! are `lineup-client`'s sans-IO session, tested natively on a virtual clock; this crate
//! drives it with the socket and one timer, keeps the state that CloudRoom's synchronous
//! getters read, and tells the page only what matters. Requests are `lineup-protocol`
//! ops, written to the page's JS objects with serde-wasm-bindgen.
//!
//! Two surfaces sit on the core, each built into its own wasm (features `modern` and
//! `classic`; both by default, for the tests) so that a page downloads only its own:
//! the modern Promise/event API ([`LineupCore`], wrapped by `js/src/index.js`) and
//! CloudRoom's `CRVideo_*` functions and `.callback` hooks ([`crvideo`], installed by
//! the loader `js/src/crvideo.js`).
//!
//! # Layout
//!
//! - `api`, `api_ops`, `api_media` (modern): the `#[wasm_bindgen]` class: the session,
//!   the getters, one typed method per op, audio and video.
//! - `crvideo` (classic): the `CRVideo_*` exports and the callbacks they fire.
//! - `args`: page arguments, coerced (CRVideo) or checked (modern).
//! - `core`: the driver of the sans-IO session: socket, timer, cache, answers, events.
//! - `login`: the REST login over the server addresses (owned fetch callbacks).
//! - `media`: the room's audio and video: the peer connection to the media server,
//!   devices, statuses, video elements and audio players. It sees the session only
//!   through a `media::Link` (send an op and hear its reply; the page's event sink):
//!   the seam along which it can become a part loaded on its own.
//! - `connection`: the WebSocket (an owned handle: dropping it closes the socket).
//! - `cache`: what the server told us (queues, statuses, queuing info, serving queues).
//! - `wire`: frames as the SDK reads and writes them (raw JSON data, `seq` added).
//! - `interop`: conversions between Rust values and JS values, errors as JS `Error`s.
//! - `small_map`: a sorted-vector map (smaller in wasm than `BTreeMap`).

// A single-surface build leaves some shared helpers unused.
#![cfg_attr(not(all(feature = "modern", feature = "classic")), allow(dead_code, unused_imports))]

#[cfg(feature = "modern")]
mod api;
#[cfg(feature = "modern")]
mod api_media;
#[cfg(feature = "modern")]
mod api_ops;
mod args;
mod cache;
mod connection;
mod core;
#[cfg(feature = "classic")]
pub mod crvideo;
mod interop;
mod login;
mod media;
mod small_map;
mod wire;

#[cfg(feature = "modern")]
pub use api::LineupCore;

/// The allocator: lol_alloc's free list, far smaller in wasm than the default dlmalloc.
/// Sound here: the SDK's wasm has no threads (no atomics target feature).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
