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
//!
//! # Adding an op
//!
//! Write these; every other place is either derived or named by a failing build or test:
//!
//! 1. the `Op` variant in `ws.rs` (`wire_enum!` declares the enum and its wire names,
//!    `OpName`, together; `golden.rs` then names the op until `op_examples` has an
//!    example and `required_fields` its fields); a new reply data type goes in
//!    `xtask/src/types.rs`'s roots (its own types are declared with it). A notice
//!    likewise: its variant, and an example in `notice_examples` (the test names it
//!    until then);
//! 2. its `### \`Name\`` section in PROTOCOL.md, with a JSON example and a row of §8's
//!    table (`golden.rs` parses every example; `doc_sections.rs` checks them as the types);
//! 3. the server's arm in `crates/server/src/session_ops.rs` (the build names it) and the
//!    engine's rule, if it is a queue rule;
//! 4. the modern method (`src/api_ops.rs`) and the `CRVideo_` function (`src/crvideo`, plus
//!    the loader's `FUNCTIONS` and any `…Rslt` in both `CALLBACKS` lists), or why a
//!    surface has none: a row of `SURFACES` in `tests/ops.rs`, which fails until each
//!    exists and PROTOCOL.md has the section;
//! 5. the js/README rows of the CRVideo names (its test lists every export).

pub mod codes;
pub mod fields;
pub mod rest;
pub mod types;
pub mod ws;

pub use codes::ErrorCode;
pub use types::*;
pub use ws::{ClientFrame, Notice, Op, Reply, RequestHead, ServerFrame};
