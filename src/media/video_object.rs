//! CloudRoom's video object (CreatVideoObj): a `<video>` element showing one member's
//! camera, inside a box with the member's nickname label, and CloudRoom's methods
//! (setVideo, getVideo, clear, handler, id, width, height, setNickNameStyle,
//! setNickNameContent, setVisibleNickName, getVisibleNickName, savePic,
//! dblClickFullScreen, destroy). The screen-share object (CreatScreenShareObj) is the same
//! object showing the member's shared screen.
//!
//! With options (`CreatVideoObj({poster, style})`, RTCSDKV2) it is CloudRoom's object:
//! the page places `handler()`. Without (WebIE) it is the `<video>` element itself,
//! which the page places directly, with the methods that do not clash with an
//! element's own properties (all but `id`, `width`, `height`).

use std::cell::Cell;

use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{Document, HtmlCanvasElement, HtmlElement, HtmlVideoElement};

use super::sinks::{attach, attach_screen};
use super::MediaRef;
use crate::args::text;
use crate::interop::get;

/// Sets each own property of `css` (`{left: '10px', …}`) on `element`'s style.
fn set_style(element: &HtmlElement, css: &JsValue) {
    if !css.is_object() {
        return;
    }
    let style = element.style();
    let css_object: &js_sys::Object = css.unchecked_ref();
    for key in js_sys::Object::keys(css_object).iter() {
        let _ = Reflect::set(&style, &key, &JsValue::from(text(&get(css, &text(&key)))));
    }
}

/// The current frame of `video` as a PNG data URL ("" before the first frame).
fn picture(document: &Document, video: &HtmlVideoElement) -> String {
    let (w, h) = (video.video_width(), video.video_height());
    let Some(canvas) = document.create_element("canvas").ok().and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
    else {
        return String::new();
    };
    if w == 0 || h == 0 {
        return String::new();
    }
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx =
        canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok());
    match ctx {
        Some(ctx) if ctx.draw_image_with_html_video_element(video, 0.0, 0.0).is_ok() => {
            canvas.to_data_url().unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// Puts `frame` in full screen, or leaves full screen when something is.
fn toggle_full_screen(part: &MediaRef, frame: &HtmlElement) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let call = |target: &JsValue, name: &str| {
        let f = Reflect::get(target, &name.into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(p) = f.and_then(|f| f.call0(target).ok()).and_then(|p| p.dyn_into::<js_sys::Promise>().ok()) {
            // A refusal (no user gesture) is not the page's error.
            super::sinks::quietly(part, p);
        }
    };
    let current = Reflect::get(&document, &"fullscreenElement".into()).unwrap_or(JsValue::NULL);
    if current.is_null() || current.is_undefined() {
        call(frame, "requestFullscreen");
    } else {
        call(&document, "exitFullscreen");
    }
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

fn element<T: JsCast>(document: &Document, tag: &str) -> Option<T> {
    document.create_element(tag).ok()?.dyn_into::<T>().ok()
}

/// A video object for the page to place (see `CRVideo_CreatVideoObj`), showing a
/// member's camera or (`screen`) its shared screen; `nickname_of` names the member it
/// shows (the label, until the page sets its own content).
pub fn video_object(part: &MediaRef, opts: &JsValue, nickname_of: fn(&str) -> String, screen: bool) -> JsValue {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return JsValue::NULL };
    let (Some(video), Some(frame), Some(label)) = (
        element::<HtmlVideoElement>(&document, "video"),
        element::<HtmlElement>(&document, "div"),
        element::<HtmlElement>(&document, "span"),
    ) else {
        return JsValue::NULL;
    };
    let _ = video.set_attribute("autoplay", "");
    let _ = video.set_attribute("playsinline", "");
    video.set_muted(true);
    let poster = text(&get(opts, "poster"));
    video.set_poster(&poster);
    let _ = video.style().set_property("width", "100%");
    let _ = video.style().set_property("height", "100%");
    set_style(&video, &get(opts, "style"));
    let _ = frame.style().set_property("position", "relative");
    let _ = frame.style().set_property("width", "100%");
    let _ = frame.style().set_property("height", "100%");
    for (k, v) in [
        ("position", "absolute"),
        ("left", "20px"),
        ("top", "20px"),
        ("padding", "0 10px"),
        ("line-height", "30px"),
        ("color", "#fff"),
        ("font-size", "12px"),
        ("z-index", "2"),
        ("background-color", "rgba(0, 0, 0, .5)"),
        ("border-radius", "15px"),
        ("display", "none"),
    ] {
        let _ = label.style().set_property(k, v);
    }
    let _ = frame.append_child(&video);
    let _ = frame.append_child(&label);
    let id = ["crvideo-", &NEXT_ID.with(|n| n.replace(n.get() + 1)).to_string()].concat();
    frame.set_id(&id);

    let weak = Rc::downgrade(part);
    let shown = Rc::new(std::cell::RefCell::new(String::new()));
    // The page's own label content, once it set one (then setVideo leaves the label alone).
    let own_label = Rc::new(Cell::new(false));
    let mut methods: Vec<(&str, Closure<dyn FnMut(JsValue, JsValue) -> JsValue>)> = Vec::new();
    let (v, s, w, l, own) = (video.clone(), shown.clone(), weak.clone(), label.clone(), own_label.clone());
    methods.push((
        "setVideo",
        Closure::new(move |uid: JsValue, _video_id: JsValue| {
            if let Some(part) = w.upgrade() {
                let uid = text(&uid);
                if !own.get() {
                    let nick = if uid.is_empty() { String::new() } else { nickname_of(&uid) };
                    l.set_text_content(Some(&nick));
                    let _ = l.style().set_property("display", if nick.is_empty() { "none" } else { "block" });
                }
                *s.borrow_mut() = uid.clone();
                if screen {
                    attach_screen(&part, v.clone().unchecked_into(), uid);
                } else {
                    attach(&part, v.clone().unchecked_into(), uid);
                }
            }
            JsValue::UNDEFINED
        }),
    ));
    let s = shown.clone();
    methods.push(("getVideo", Closure::new(move |_: JsValue, _: JsValue| JsValue::from(s.borrow().as_str()))));
    let (v, s, w) = (video.clone(), shown, weak.clone());
    methods.push((
        "clear",
        Closure::new(move |_: JsValue, _: JsValue| {
            if let Some(part) = w.upgrade() {
                s.borrow_mut().clear();
                attach(&part, v.clone().unchecked_into(), String::new());
                v.load();
            }
            JsValue::UNDEFINED
        }),
    ));
    let (v, f, w) = (video.clone(), frame.clone(), weak.clone());
    methods.push((
        "destroy",
        Closure::new(move |_: JsValue, _: JsValue| {
            // Shows nothing more and leaves the page (the object's methods stay with the
            // session).
            if let Some(part) = w.upgrade() {
                attach(&part, v.clone().unchecked_into(), String::new());
            }
            f.remove();
            v.remove();
            JsValue::UNDEFINED
        }),
    ));
    let f = frame.clone();
    methods.push(("handler", Closure::new(move |_: JsValue, _: JsValue| f.clone().into())));
    methods.push(("id", Closure::new(move |_: JsValue, _: JsValue| JsValue::from(id.as_str()))));
    let v = video.clone();
    methods.push(("width", Closure::new(move |_: JsValue, _: JsValue| JsValue::from(v.video_width()))));
    let v = video.clone();
    methods.push(("height", Closure::new(move |_: JsValue, _: JsValue| JsValue::from(v.video_height()))));
    let l = label.clone();
    methods.push((
        "setNickNameStyle",
        Closure::new(move |css: JsValue, _: JsValue| {
            set_style(&l, &css);
            JsValue::UNDEFINED
        }),
    ));
    let l = label.clone();
    methods.push((
        "setNickNameContent",
        Closure::new(move |content: JsValue, _: JsValue| {
            // Text only, never markup: a nickname comes from another user.
            own_label.set(true);
            l.set_text_content(Some(&text(&content)));
            let _ = l.style().set_property("display", "block");
            JsValue::UNDEFINED
        }),
    ));
    let l = label.clone();
    methods.push((
        "setVisibleNickName",
        Closure::new(move |visible: JsValue, _: JsValue| {
            let _ = l.style().set_property("display", if visible.is_truthy() { "block" } else { "none" });
            JsValue::UNDEFINED
        }),
    ));
    let l = label;
    methods.push((
        "getVisibleNickName",
        Closure::new(move |_: JsValue, _: JsValue| {
            JsValue::from(l.style().get_property_value("display").ok().as_deref() != Some("none"))
        }),
    ));
    let f = frame.clone();
    let full = Rc::new(Cell::new(false));
    let on = full.clone();
    methods.push((
        "dblClickFullScreen",
        Closure::new(move |enable: JsValue, _: JsValue| {
            on.set(enable.is_truthy());
            JsValue::UNDEFINED
        }),
    ));
    // The double-click listener (owned with the methods): full screen and back.
    let w = weak.clone();
    let listener = Closure::<dyn FnMut(JsValue, JsValue) -> JsValue>::new(move |_: JsValue, _: JsValue| {
        if let (true, Some(part)) = (full.get(), w.upgrade()) {
            toggle_full_screen(&part, &f);
        }
        JsValue::UNDEFINED
    });
    let _ = frame.add_event_listener_with_callback("dblclick", listener.as_ref().unchecked_ref());
    part.state.borrow_mut().sinks.methods.push(listener);
    let v = video.clone();
    methods.push(("savePic", Closure::new(move |_: JsValue, _: JsValue| JsValue::from(picture(&document, &v)))));

    let element = !opts.is_object();
    let object: JsValue = if element { video.into() } else { js_sys::Object::new().into() };
    let mut inner = part.state.borrow_mut();
    for (name, f) in methods {
        if !(element && matches!(name, "id" | "width" | "height")) {
            let _ = Reflect::set(&object, &name.into(), f.as_ref());
        }
        inner.sinks.methods.push(f);
    }
    object
}
