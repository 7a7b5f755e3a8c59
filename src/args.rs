//! Page arguments, read two ways. The CloudRoom surface coerces as CloudRoom's own
//! script does (a UID may come as a number, a missing cookie is ""); the modern API is
//! strict and refuses a wrong type with an error that names the parameter.

use lineup_client::Failure;
use lineup_protocol::codes;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// JavaScript's `String(v)`.
    #[wasm_bindgen(js_name = String)]
    fn js_string(v: &JsValue) -> String;
    /// JavaScript's `Number(v)`.
    #[wasm_bindgen(js_name = Number)]
    fn js_number(v: &JsValue) -> f64;
}

/// `v` as text: a string as is, `undefined`/`null` as "", anything else as `String(v)`.
pub fn text(v: &JsValue) -> String {
    match v.as_string() {
        Some(s) => s,
        None if v.is_undefined() || v.is_null() => String::new(),
        None => js_string(v),
    }
}

/// `v` as a number (`Number(v)`; NaN as 0).
pub fn number(v: &JsValue) -> f64 {
    let n = js_number(v);
    if n.is_nan() {
        0.0
    } else {
        n
    }
}

/// `v` as an id (a non-negative integer; anything else as 0, which no queue or room has).
pub fn id(v: &JsValue) -> u32 {
    let n = number(v);
    if n >= 0.0 && n <= f64::from(u32::MAX) {
        n as u32
    } else {
        0
    }
}

/// A cookie as CloudRoom hands it back: as given, `""` when missing.
pub fn cookie(v: &JsValue) -> JsValue {
    if v.is_undefined() || v.is_null() {
        JsValue::from_str("")
    } else {
        v.clone()
    }
}

fn wrong(name: &str, what: &str) -> Failure {
    (codes::MEETPARAM_ERR, format!("{name} must be {what}"))
}

/// A required string parameter.
pub fn want_str(v: &JsValue, name: &str) -> Result<String, Failure> {
    v.as_string().ok_or_else(|| wrong(name, "a string"))
}

/// An optional string parameter (`undefined` or `null`: absent).
pub fn opt_str(v: &JsValue, name: &str) -> Result<Option<String>, Failure> {
    if v.is_undefined() || v.is_null() {
        Ok(None)
    } else {
        want_str(v, name).map(Some)
    }
}

/// A required non-negative integer parameter no larger than `max`.
pub fn want_uint(v: &JsValue, name: &str, max: u32) -> Result<u32, Failure> {
    v.as_f64()
        .filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(max))
        .map(|n| n as u32)
        .ok_or_else(|| wrong(name, "a non-negative integer"))
}

/// An optional non-negative integer parameter.
pub fn opt_uint(v: &JsValue, name: &str, max: u32) -> Result<Option<u32>, Failure> {
    if v.is_undefined() || v.is_null() {
        Ok(None)
    } else {
        want_uint(v, name, max).map(Some)
    }
}
