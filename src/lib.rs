//! Lineup's browser SDK: the queue client in WebAssembly.
//!
//! One Rust core, [`LineupCore`], talks to lineup-server: `fetch` for login, one
//! WebSocket for everything live. The decisions — pairing replies with requests,
//! heartbeats, reconnecting with backoff and resuming within the hold time, LineOff,
//! token expiry — are `lineup-client`'s sans-IO session, tested natively on a virtual
//! clock; this crate drives it with the socket and one timer, keeps the state that
//! CloudRoom's synchronous getters read, and tells the page only what matters. Two JavaScript
//! surfaces sit on it (in `js/`): the CloudRoom drop-in (`CRVideo_*` globals and
//! `.callback` hooks) and a modern Promise/event API.
//!
//! # Layout
//!
//! - `api`: the `#[wasm_bindgen]` class: convert, call the core, convert back.
//! - `core`: the driver of the sans-IO session: socket, timer, cache, promises, events.
//! - `connection`: the WebSocket task (an owned handle: dropping it closes the socket).
//! - `cache`: what the server told us (queues, statuses, queuing info, serving queues).
//! - `wire`: frames as the SDK reads and writes them (raw JSON data, `seq` added).
//! - `interop`: conversions between Rust values and JS values, errors as JS `Error`s.
//! - `small_map`: a sorted-vector map (smaller in wasm than `BTreeMap`).

mod api;
mod api_ops;
mod args;
mod cache;
mod connection;
mod core;
pub mod crvideo;
mod interop;
mod login;
mod small_map;
mod wire;

pub use api::LineupCore;

/// The allocator: lol_alloc's free list, far smaller in wasm than the default dlmalloc.
/// Sound here: the SDK's wasm has no threads (no atomics target feature).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
