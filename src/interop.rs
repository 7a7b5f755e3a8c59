//! Conversions between Rust and JavaScript values, in one place. Data stays in JS
//! objects: frames are read with `JSON.parse` and written with `JSON.stringify`, so the
//! wasm carries no JSON parser of its own.

use js_sys::{Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

/// A field of a JS object.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

pub fn get_u32(obj: &JsValue, key: &str) -> Option<u32> {
    get(obj, key).as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX)).map(|n| n as u32)
}

pub fn set(obj: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// A new plain object with the given string fields.
pub fn object(fields: &[(&str, &str)]) -> JsValue {
    let o: JsValue = Object::new().into();
    for (k, v) in fields {
        set(&o, k, *v);
    }
    o
}

/// A shallow copy of a plain object (so a page cannot change the SDK's cache).
pub fn copy(v: &JsValue) -> JsValue {
    if v.is_object() {
        Object::assign(&Object::new(), v.unchecked_ref::<Object>()).into()
    } else {
        v.clone()
    }
}

pub fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

pub fn stringify(v: &JsValue) -> Option<String> {
    JSON::stringify(v).ok().and_then(|s| s.as_string())
}

/// A JS `Error` carrying the numeric code as `sdkErr` and `code`.
pub fn error(code: u32, msg: &str) -> JsValue {
    let e = js_sys::Error::new(msg);
    e.set_name("LineupError");
    set(&e, "sdkErr", code);
    set(&e, "code", code);
    e.into()
}

/// The message of a thrown JS `Error` (empty for anything else).
pub fn error_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default()
}

/// Calls a page callback; a callback that throws is reported, never propagated.
pub fn call_page(f: &js_sys::Function, name: &str, data: &JsValue) {
    if let Err(e) = f.call2(&JsValue::NULL, &JsValue::from_str(name), data) {
        let msg = error_message(&e);
        web_sys::console::error_1(&format!("lineup: the page's handler for {name} threw: {msg}").into());
    }
}

/// Milliseconds since the epoch (the browser clock).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// `N` random bytes from the browser's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut b);
    }
    b
}

/// `N` random bytes as hex digits (a CloudRoom mixer id is 16 bytes: 32 digits).
pub fn random_hex<const N: usize>() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * N);
    for b in random_bytes::<N>() {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}
