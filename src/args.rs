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

/// An optional object of a customer's attributes: names to text, integers or
/// true/false (`undefined` or `null`: absent).
pub fn opt_attributes(v: &JsValue, name: &str) -> Result<Option<lineup_protocol::Attributes>, Failure> {
    use lineup_protocol::AttrValue;
    let Some(entries) = entries(v, name)? else { return Ok(None) };
    let mut out = lineup_protocol::Attributes::new();
    for (key, value) in entries {
        let value = if let Some(s) = value.as_string() {
            AttrValue::Text(s)
        } else if let Some(b) = value.as_bool() {
            AttrValue::Flag(b)
        } else if let Some(n) = value.as_f64().filter(|n| n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0) {
            AttrValue::Number(n as i64)
        } else {
            return Err(wrong(&format!("{name}.{key}"), "text, an integer or true/false"));
        };
        out.insert(key, value);
    }
    Ok(Some(out))
}

/// An optional object of skill names to levels 0–10 (`undefined` or `null`: absent).
pub fn opt_skills(v: &JsValue, name: &str) -> Result<Option<std::collections::BTreeMap<String, u8>>, Failure> {
    let Some(entries) = entries(v, name)? else { return Ok(None) };
    let mut out = std::collections::BTreeMap::new();
    for (key, value) in entries {
        let level = value.as_f64().filter(|n| n.fract() == 0.0 && (0.0..=10.0).contains(n));
        let level = level.ok_or_else(|| wrong(&format!("{name}.{key}"), "a level from 0 to 10"))?;
        out.insert(key, level as u8);
    }
    Ok(Some(out))
}

/// A plain object's own entries (`undefined` or `null`: none given).
fn entries(v: &JsValue, name: &str) -> Result<Option<Vec<(String, JsValue)>>, Failure> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    if !v.is_object() || js_sys::Array::is_array(v) {
        return Err(wrong(name, "an object"));
    }
    let pairs = js_sys::Object::entries(v.unchecked_ref());
    let out = pairs
        .iter()
        .map(|pair| {
            let pair: js_sys::Array = pair.unchecked_into();
            (pair.get(0).as_string().unwrap_or_default(), pair.get(1))
        })
        .collect();
    Ok(Some(out))
}
