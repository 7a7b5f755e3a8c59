//! Lineup's wire format: the JSON the queue server and its clients exchange.
//!
//! Shared by the server and the browser SDK (native and wasm32); serde only, no IO.
//! `PROTOCOL.md` at the repository root documents every message with an example.
//!
//! # Layout
//!
//! - [`types`]: the shapes CloudRoom pages know (QueueInfo, QueStatus, QueuingInfo,
//!   QueUser, SessionInfo) and Lineup's additions (statistics, agents).
//! - [`ws`]: WebSocket frames: requests with `seq` and `op`, replies, notices.
//! - [`rest`]: REST bodies: login, tokens, queue administration, app settings.
//! - [`codes`]: the numeric error codes (CloudRoom's `sdkErr` plus Lineup additions).
//! - [`fields`]: error texts that name the wrong field and its rule, with short echoes.

pub mod codes;
pub mod fields;
pub mod rest;
pub mod types;
pub mod ws;

pub use codes::ErrorCode;
pub use types::*;
pub use ws::{ClientFrame, Notice, Op, Reply, RequestHead, ServerFrame};
