//! Any text a client sends as a WebSocket frame: parsed, or answered with an error reply
//! that is short (never echoing the input at length), and that serializes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lineup_protocol::{ws, ServerFrame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match ws::parse_client_frame(text) {
        Ok(frame) => {
            // What parsed serializes back and parses to the same thing.
            let again = serde_json::to_string(&frame).expect("a parsed frame serializes");
            assert_eq!(ws::parse_client_frame(&again).ok(), Some(frame));
        }
        Err(reply) => {
            assert_eq!(reply.err, lineup_protocol::codes::ERR_DATA);
            assert!(reply.msg.chars().count() <= 600, "an error reply echoes too much: {} chars", reply.msg.len());
            serde_json::to_string(&ServerFrame::Reply(reply)).expect("an error reply serializes");
        }
    }
});
