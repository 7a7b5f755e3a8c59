//! CloudRoom's cloud mixer (cloud recording) on Lineup's call recording: the room's
//! call is recorded from `CreateCloudMixer` to `DestroyCloudMixer` (or the call's end)
//! when the app records on demand (`recordOnDemand`), and every page in the room hears
//! each step. The recording is Lineup's: one WebM with a track per party's microphone
//! and camera; the mixer configuration (layout, sizes, file names, live push) is kept
//! for the getters but does not shape the file.
//!
//! - `CreateCloudMixer(cfg)` → the mixer id at once; a refusal →
//!   `CreateCloudMixerFailed(ID, sdkErr)`.
//! - `DestroyCloudMixer(ID)`, `UpdateCloudMixerContent(ID, cfg)` → Promises of
//!   `{errCode, errDesc}`.
//! - notices → `CloudMixerStateChanged(ID, state, exParam, operUserID)` (2 running,
//!   4 stopping, 0 over) and `CloudMixerOutputInfoChanged(ID, outputInfo)` (2 the file
//!   is closed, then 7 it is available; 3 no file was kept).
//! - the older `StartSvrMixer` / `StopSvrMixer` / `GetSvrMixerState` generation on the
//!   same requests, with its `SvrMixerStateChanged`, `SvrRecordStateChanged` and
//!   `SvrMixerOutputInfo`.

use js_sys::{Array, Object, Promise};
use lineup_protocol::codes;
use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;

use super::{fire, run, with_classic};
use crate::args::text;
use crate::interop::{get, object, random_hex, set};

/// A mixer this page knows of: its own, or one the room told it about.
pub(super) struct Mixer {
    id: String,
    meet: u32,
    owner: String,
    cfg: JsValue,
    state: u8,
}

/// CloudRoom's output state after "closed" when the file is at the server (its cloud
/// uploads first; Lineup's file is there at once).
const OUTPUT_AVAILABLE: u32 = 7;

fn answer(code: u32, desc: &str) -> JsValue {
    let o = object(&[("errDesc", desc)]);
    set(&o, "errCode", code);
    o
}

fn resolved() -> JsValue {
    Promise::resolve(&answer(codes::NOERR, "success")).into()
}

/// Starts recording the room entered; the id now, the outcome in the callbacks.
#[wasm_bindgen(js_name = CRVideo_CreateCloudMixer)]
pub fn create_cloud_mixer(cfg: JsValue) -> String {
    let id = random_hex::<16>();
    let meet = with_classic(|c| c.meeting);
    let me = with_classic(|c| c.me.0.clone());
    with_classic(|c| c.mixers.push(Mixer { id: id.clone(), meet, owner: me, cfg, state: 0 }));
    let mixer = id.clone();
    run(Op::CreateCloudMixer { meet_id: meet, mixer_id: id.clone() }, move |r| {
        if let Err(code) = r {
            with_classic(|c| c.mixers.retain(|m| m.id != mixer));
            fire("CreateCloudMixerFailed", &[mixer.into(), code.into()]);
        }
    });
    id
}

/// Stops a recording: resolves `{errCode: 0, errDesc: "success"}` or rejects
/// `{errCode, errDesc}`.
#[wasm_bindgen(js_name = CRVideo_DestroyCloudMixer)]
pub fn destroy_cloud_mixer(id: JsValue) -> Promise {
    destroy(text(&id))
}

fn destroy(id: String) -> Promise {
    Promise::new(&mut |resolve, reject| {
        run(Op::DestroyCloudMixer { mixer_id: id.clone() }, move |r| {
            let _ = match r {
                Ok(_) => resolve.call1(&JsValue::NULL, &answer(codes::NOERR, "success")),
                Err(code) => reject.call1(&JsValue::NULL, &answer(code, describe(code))),
            };
        });
    })
}

/// CloudRoom's `errDesc` for a refused recording request (the code says which; the
/// server's own words are in the protocol's reply, not repeated here).
fn describe(code: u32) -> &'static str {
    match code {
        codes::SDK_RECORDSTARTED => "the room is already being recorded",
        codes::SEVICE_NOTENABLED => "recording is not enabled",
        _ => "the recording request was refused",
    }
}

/// Keeps the new configuration (it does not change Lineup's file) and tells this page
/// `CloudMixerInfoChanged(ID)`.
#[wasm_bindgen(js_name = CRVideo_UpdateCloudMixerContent)]
pub fn update_cloud_mixer_content(id: JsValue, cfg: JsValue) -> Promise {
    let id = text(&id);
    let known = with_classic(|c| match c.mixers.iter_mut().find(|m| m.id == id) {
        Some(m) => {
            if cfg.is_object() {
                let _ = Object::assign(m.cfg.unchecked_ref::<Object>(), cfg.unchecked_ref::<Object>());
            }
            true
        }
        None => false,
    });
    if !known {
        return Promise::reject(&answer(codes::MEETPARAM_ERR, "no such mixer"));
    }
    wasm_bindgen_futures::spawn_local(async move { fire("CloudMixerInfoChanged", &[id.into()]) });
    resolved().into()
}

fn info(m: &Mixer) -> JsValue {
    let o = object(&[("ID", &m.id), ("owner", &m.owner)]);
    set(&o, "cfg", m.cfg.clone());
    set(&o, "state", u32::from(m.state));
    o
}

/// `{ID, owner, cfg, state}`, or null.
#[wasm_bindgen(js_name = CRVideo_GetCloudMixerInfo)]
pub fn get_cloud_mixer_info(id: JsValue) -> JsValue {
    let id = text(&id);
    with_classic(|c| c.mixers.iter().find(|m| m.id == id).map_or(JsValue::NULL, info))
}

/// The room's running mixers.
#[wasm_bindgen(js_name = CRVideo_GetAllCloudMixerInfo)]
pub fn get_all_cloud_mixer_info() -> Array {
    with_classic(|c| c.mixers.iter().filter(|m| m.meet == c.meeting && m.state != 0).map(info).collect())
}

// ---- the older generation ----

/// Starts recording the room entered: a Promise of `{errCode}`.
#[wasm_bindgen(js_name = CRVideo_StartSvrMixer)]
pub fn start_svr_mixer(cfgs: JsValue) -> Promise {
    let id = random_hex::<16>();
    let meet = with_classic(|c| c.meeting);
    let me = with_classic(|c| c.me.0.clone());
    with_classic(|c| c.mixers.push(Mixer { id: id.clone(), meet, owner: me, cfg: cfgs, state: 0 }));
    Promise::new(&mut |resolve, reject| {
        let mixer = id.clone();
        run(Op::CreateCloudMixer { meet_id: meet, mixer_id: id.clone() }, move |r| {
            let _ = match r {
                Ok(_) => resolve.call1(&JsValue::NULL, &answer(codes::NOERR, "success")),
                Err(code) => {
                    with_classic(|c| c.mixers.retain(|m| m.id != mixer));
                    reject.call1(&JsValue::NULL, &answer(code, describe(code)))
                }
            };
        });
    })
}

/// Stops the room's recording this page started (resolves when there is none).
#[wasm_bindgen(js_name = CRVideo_StopSvrMixer)]
pub fn stop_svr_mixer() -> Promise {
    let me = with_classic(|c| c.me.0.clone());
    let running = with_classic(|c| c.mixers.iter().find(|m| m.meet == c.meeting && m.state != 0 && m.owner == me).map(|m| m.id.clone()));
    match running {
        Some(id) => destroy(id),
        None => resolved().into(),
    }
}

/// The configuration does not shape Lineup's file: resolves `{errCode: 0}`.
#[wasm_bindgen(js_name = CRVideo_UpdateSvrMixerContent)]
pub fn update_svr_mixer_content() -> Promise {
    resolved().into()
}

/// The state of the room's recording (0 none, 2 running, 4 stopping).
#[wasm_bindgen(js_name = CRVideo_GetSvrMixerState)]
pub fn get_svr_mixer_state() -> u32 {
    with_classic(|c| c.mixers.iter().find(|m| m.meet == c.meeting && m.state != 0).map_or(0, |m| u32::from(m.state)))
}

// ---- the room's notices ----

/// `CloudMixerStateChanged` from the server: kept, then told in both generations' words.
pub(super) fn on_state(d: JsValue) {
    let id = text(&get(&d, "mixerID"));
    let state = get(&d, "state").as_f64().unwrap_or(0.0) as u8;
    let meet = get(&d, "meetID").as_f64().unwrap_or(0.0) as u32;
    let oper = text(&get(&d, "operUserID"));
    let cfg = with_classic(|c| {
        let cfg = match c.mixers.iter_mut().find(|m| m.id == id) {
            Some(m) => {
                m.state = state;
                m.cfg.clone()
            }
            None => {
                let owner = if oper.is_empty() { "CRMCU".to_string() } else { oper.clone() };
                let cfg: JsValue = Object::new().into();
                c.mixers.push(Mixer { id: id.clone(), meet, owner, cfg: cfg.clone(), state });
                cfg
            }
        };
        if state == 0 {
            c.mixers.retain(|m| m.id != id);
        }
        cfg
    });
    let ex_param = match state {
        0 => {
            let o = object(&[("errDesc", "")]);
            set(&o, "err", codes::NOERR);
            o
        }
        2 => cfg,
        _ => Object::new().into(),
    };
    // CloudRoom names the server "CRMCU" when no member acted.
    let oper: JsValue = if oper.is_empty() { "CRMCU".into() } else { oper.into() };
    let state = JsValue::from(u32::from(state));
    let no_err = JsValue::from(codes::NOERR);
    fire("CloudMixerStateChanged", &[id.into(), state.clone(), ex_param, oper.clone()]);
    fire("SvrMixerStateChanged", &[state.clone(), no_err.clone(), oper]);
    fire("SvrRecordStateChanged", &[state, no_err]);
}

/// `CloudMixerOutputInfoChanged` from the server: CloudRoom's outputInfo (with the
/// mixer id as `id`); a closed file is then also told as available (7).
pub(super) fn on_output(d: JsValue) {
    let id = get(&d, "mixerID");
    let out: JsValue = Object::new().into();
    set(&out, "id", id.clone());
    for key in ["state", "svrFilePathName", "startTime", "duration", "fileSize", "errDesc"] {
        let v = get(&d, key);
        if !v.is_undefined() {
            set(&out, key, v);
        }
    }
    let state = get(&d, "state").as_f64().unwrap_or(0.0) as u32;
    set(&out, "errCode", if state == 3 { codes::INNER_ERR } else { codes::NOERR });
    fire("CloudMixerOutputInfoChanged", &[id.clone(), out.clone()]);
    // The older generation's file notice.
    let svr: JsValue = Object::new().into();
    for (to, from) in [("errCode", "errCode"), ("state", "state"), ("duration", "duration"), ("fileSize", "fileSize"), ("fileName", "svrFilePathName"), ("id", "id")] {
        set(&svr, to, get(&out, from));
    }
    fire("SvrMixerOutputInfo", &[svr]);
    if state == 2 {
        let available = Object::assign(&Object::new(), out.unchecked_ref::<Object>());
        set(&available, "state", OUTPUT_AVAILABLE);
        fire("CloudMixerOutputInfoChanged", &[id, available.into()]);
    }
}
