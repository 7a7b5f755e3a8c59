//! Frames as the SDK reads and writes them. A server frame is a reply (`seq`, `err`,
//! `msg`, `data`) or a notice (`name`, `data`); a request is the page's op object with
//! `seq` added. Op and notice names come from the shared protocol crate.

use js_sys::Object;
use lineup_client::{Incoming, OpHead};
use lineup_protocol::ws::{NoticeName, OpName};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::Js;
use crate::interop::{get, get_str, get_u32, parse, set, stringify};

/// Reads one text frame.
pub fn read(text: &str) -> Option<Incoming<Js>> {
    let v = parse(text)?;
    let data = Js(get(&v, "data"));
    match get_str(&v, "type")?.as_str() {
        "reply" => Some(Incoming::Reply {
            seq: get(&v, "seq").as_f64()? as u64,
            err: get_u32(&v, "err").unwrap_or(0),
            msg: get_str(&v, "msg").unwrap_or_default(),
            data,
        }),
        "notice" => Some(Incoming::Notice { name: get_str(&v, "name")?, data }),
        _ => None,
    }
}

/// Checks a page's op object: its op name and the queue it names.
pub fn check(op: &JsValue) -> Result<OpHead, String> {
    let name = get_str(op, "op").ok_or("a request is an object with an \"op\" name, e.g. {op: \"Ping\"}")?;
    if OpName::parse(&name).is_none() {
        return Err(["unknown op \"", &name, "\""].concat());
    }
    Ok(OpHead { que_id: get_u32(op, "queID"), op: name })
}

/// The frame text of `op` with `seq` first.
pub fn frame(seq: u64, op: &JsValue) -> Option<String> {
    let frame: JsValue = Object::new().into();
    set(&frame, "seq", seq as f64);
    let frame: JsValue = Object::assign(frame.unchecked_ref::<Object>(), op.unchecked_ref::<Object>()).into();
    set(&frame, "seq", seq as f64);
    stringify(&frame)
}

/// A notice's name as the protocol's [`NoticeName`]. A notice this SDK does not know
/// (a newer server) is still passed to the page under its own name, with a warning.
pub fn notice_name(name: &str) -> Option<NoticeName> {
    let known = NoticeName::parse(name);
    if known.is_none() {
        web_sys::console::warn_1(&["lineup: notice ", name, " is newer than this SDK; passed on as is"].concat().into());
    }
    known
}
