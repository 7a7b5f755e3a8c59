//! Any bytes as the body of each REST request type: parsed, or refused with a short
//! message that says what is wrong (no panic, no unbounded echo).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lineup_protocol::rest::{self, AppCreateRequest, AppSettingsBody, ForwardRequest, LoginRequest, QueueFields, TokenRequest};

fn check<T: serde::de::DeserializeOwned>(data: &[u8]) {
    if let Err(msg) = rest::parse_body::<T>(data) {
        assert!(msg.starts_with("bad JSON body: ") || msg.starts_with("the request body is empty"), "{msg}");
        assert!(msg.chars().count() <= 600, "the error echoes too much: {} chars", msg.len());
    }
}

fuzz_target!(|data: &[u8]| {
    check::<LoginRequest>(data);
    check::<TokenRequest>(data);
    check::<QueueFields>(data);
    check::<AppSettingsBody>(data);
    check::<ForwardRequest>(data);
    check::<AppCreateRequest>(data);
});
