//! Where the room's media is shown and heard: video elements the page placed (a
//! CloudRoom video object from CreatVideoObj, or any element given to attachVideo),
//! each showing one member's camera (this session's own: the local preview) or its
//! shared screen (CreatScreenShareObj, attachScreen), and one audio player per other
//! member.

use wasm_bindgen::prelude::*;
use web_sys::{HtmlAudioElement, HtmlMediaElement, MediaStream, RtcTrackEvent};

use super::{Media, MediaRef};
use crate::interop::error_message;

/// One video element and the member it shows: its camera, or its shared screen.
struct Video {
    element: HtmlMediaElement,
    uid: String,
    screen: bool,
}

#[derive(Default)]
pub struct Sinks {
    videos: Vec<Video>,
    /// One audio player per received stream (by stream id).
    players: Vec<(String, HtmlAudioElement)>,
    /// The methods of the video objects (owned: released with the state).
    pub methods: Vec<Closure<dyn FnMut(JsValue, JsValue) -> JsValue>>,
    /// Takes the rejections of promises nobody waits for (`play()` interrupted by a new
    /// source, `replaceTrack`), so they are not unhandled rejections on the page.
    ignore: Option<Closure<dyn FnMut(JsValue)>>,
}

/// Lets `p` settle with nobody waiting (a rejection is not an error of the page).
pub fn quietly(part: &MediaRef, p: js_sys::Promise) {
    let mut inner = part.state.borrow_mut();
    let ignore = inner.sinks.ignore.get_or_insert_with(|| Closure::<dyn FnMut(JsValue)>::new(|_| {}));
    let _ = p.catch(ignore);
}

impl Sinks {
    /// The room's media is gone: elements keep their place, without a stream.
    pub fn clear_streams(&mut self) {
        for v in &self.videos {
            v.element.set_src_object(None);
        }
        for (_, p) in self.players.drain(..) {
            p.set_src_object(None);
        }
    }
}

/// What `uid`'s video elements should show (its camera, or its `screen`).
fn stream_of(media: &Media, uid: &str, screen: bool) -> Option<MediaStream> {
    if uid == media.me {
        // The local preview: the camera's (or the screen's) track alone.
        let local = if screen { media.screen.local.as_ref() } else { media.cam.as_ref() };
        let track = local.and_then(|c| c.track.clone())?;
        let s = MediaStream::new().ok()?;
        s.add_track(&track);
        return Some(s);
    }
    let m = media.members.iter().find(|m| m.uid == uid)?;
    if screen {
        m.screen.clone()
    } else {
        m.stream.clone()
    }
}

/// Shows `uid`'s streams in its video elements.
pub fn show(media: &mut Media, uid: &str) {
    let streams = [stream_of(media, uid, false), stream_of(media, uid, true)];
    let sinks = &mut media.sinks;
    let ignore = sinks.ignore.get_or_insert_with(|| Closure::<dyn FnMut(JsValue)>::new(|_| {}));
    for v in sinks.videos.iter().filter(|v| v.uid == uid) {
        let stream = streams[usize::from(v.screen)].as_ref();
        v.element.set_src_object(stream);
        if let Ok(p) = v.element.play() {
            let _ = p.catch(ignore);
        }
    }
}

/// The local camera opened or closed.
pub fn local_changed(part: &MediaRef) {
    let mut inner = part.state.borrow_mut();
    let me = inner.me.clone();
    show(&mut inner, &me);
}

/// A member's track arrived (its stream id names the member: `MediaTrack.stream`).
pub fn on_track(part: &MediaRef, e: &RtcTrackEvent) {
    let Ok(stream) = e.streams().get(0).dyn_into::<MediaStream>() else { return };
    let id = stream.id();
    let mut inner = part.state.borrow_mut();
    // A member's shared screen: shown by screen objects only.
    if let Some(m) = inner.members.iter_mut().find(|m| !m.screen_id.is_empty() && m.screen_id == id) {
        m.screen = Some(Clone::clone(&stream));
        let uid = m.uid.clone();
        show(&mut inner, &uid);
        return;
    }
    // Which member a received track is of (the energy reading finds it by its line).
    let track_id = e.track().id();
    let owners = &mut inner.devices.track_streams;
    owners.retain(|(t, _)| *t != track_id);
    owners.push((track_id, id.clone()));
    let member = inner.member_of_stream(&id);
    member.stream = Some(Clone::clone(&stream)); // the stream itself, not a JavaScript clone of it
    let uid = member.uid.clone();
    // A member whose media came back (a new connection of its own) may arrive as a new
    // stream under the same id: its player follows.
    if let Some((_, player)) = inner.sinks.players.iter().find(|(s, _)| *s == id) {
        if player.src_object().as_ref() != Some(&stream) {
            player.set_src_object(Some(&stream));
        }
    }
    if e.track().kind() == "audio" && !inner.sinks.players.iter().any(|(s, _)| *s == id) {
        if let Ok(player) = HtmlAudioElement::new() {
            player.set_autoplay(true);
            player.set_src_object(Some(&stream));
            match player.play() {
                Ok(p) => {
                    let ignore = inner.sinks.ignore.get_or_insert_with(|| Closure::<dyn FnMut(JsValue)>::new(|_| {}));
                    let _ = p.catch(ignore);
                }
                Err(e) => web_sys::console::warn_1(
                    &["lineup: cannot play ", &uid, "'s audio: ", &error_message(&e)].concat().into(),
                ),
            }
            if let Some(p) = inner.devices.audio.route(&player) {
                let ignore = inner.sinks.ignore.get_or_insert_with(|| Closure::<dyn FnMut(JsValue)>::new(|_| {}));
                let _ = p.catch(ignore);
            }
            inner.sinks.players.push((id.clone(), player));
        }
    }
    if !uid.is_empty() {
        show(&mut inner, &uid);
    }
}

/// Shows `uid`'s camera in `element` ("" to show nothing).
pub fn attach(part: &MediaRef, element: HtmlMediaElement, uid: String) {
    place(part, element, uid, false);
}

/// Shows `uid`'s shared screen in `element` ("" to show nothing).
pub fn attach_screen(part: &MediaRef, element: HtmlMediaElement, uid: String) {
    place(part, element, uid, true);
}

fn place(part: &MediaRef, element: HtmlMediaElement, uid: String, screen: bool) {
    let mut inner = part.state.borrow_mut();
    let sinks = &mut inner.sinks;
    sinks.videos.retain(|v| v.element != element);
    if uid.is_empty() {
        element.set_src_object(None);
        return;
    }
    sinks.videos.push(Video { element, uid: uid.clone(), screen });
    show(&mut inner, &uid);
}

/// Plays every member's audio on the chosen speaker (after SetAudioCfg).
pub fn reroute(part: &MediaRef) {
    let mut inner = part.state.borrow_mut();
    let switches: Vec<js_sys::Promise> =
        inner.sinks.players.iter().filter_map(|(_, p)| inner.devices.audio.route(p)).collect();
    let ignore = inner.sinks.ignore.get_or_insert_with(|| Closure::<dyn FnMut(JsValue)>::new(|_| {}));
    for p in switches {
        let _ = p.catch(ignore);
    }
}
