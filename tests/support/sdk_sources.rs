//! The SDK's Rust sources as text, for the native tests that check the exports against
//! the loader, the README and the protocol (`#[path]`-included).

/// The CloudRoom surface (`src/crvideo`), `mod.rs` first.
pub const CRVIDEO: [&str; 9] = [
    include_str!("../../src/crvideo/mod.rs"),
    include_str!("../../src/crvideo/members.rs"),
    include_str!("../../src/crvideo/unsupported.rs"),
    include_str!("../../src/crvideo/media.rs"),
    include_str!("../../src/crvideo/queue.rs"),
    include_str!("../../src/crvideo/meeting.rs"),
    include_str!("../../src/crvideo/events.rs"),
    include_str!("../../src/crvideo/user_status.rs"),
    include_str!("../../src/crvideo/mixer.rs"),
];

/// The modern API (`LineupCore`'s methods).
#[allow(dead_code)]
pub const MODERN: [&str; 5] = [
    include_str!("../../src/api.rs"),
    include_str!("../../src/api_ops.rs"),
    include_str!("../../src/api_media.rs"),
    include_str!("../../src/login.rs"),
    include_str!("../../src/connection.rs"),
];
