//! The microphones and speakers of this browser, as CloudRoom lists them
//! (GetAudioMicNames `{micID, micName}`, GetAudioSpkNames `{speakerID, speakerName}`,
//! from 1; 0 is the browser's default) and chooses them (Get/SetAudioCfg `{micID,
//! speakerID}`): the microphone for the next OpenMic, the speaker for the members' audio.

use js_sys::{Array, Function, Promise, Reflect};
use lineup_client::Failure;
use wasm_bindgen::prelude::*;
use web_sys::HtmlAudioElement;

use super::devices::{bad, number_in, Camera};
use crate::interop::{get, object, set};

#[derive(Default)]
pub struct AudioDevices {
    pub mics: Vec<Camera>,
    pub speakers: Vec<Camera>,
    /// The chosen microphone and speaker (their place in the list from 1; 0: the default).
    pub mic: u32,
    pub speaker: u32,
}

fn names(list: &[Camera], id: &str, name: &str) -> Array {
    list.iter()
        .enumerate()
        .map(|(i, d)| {
            let o = object(&[(name, &d.label)]);
            set(&o, id, i as u32 + 1);
            o
        })
        .collect()
}

fn chosen(list: &[Camera], n: u32) -> Option<&Camera> {
    n.checked_sub(1).and_then(|i| list.get(i as usize)).filter(|d| !d.device_id.is_empty())
}

impl AudioDevices {
    pub fn mic_names(&self) -> Array {
        names(&self.mics, "micID", "micName")
    }

    pub fn speaker_names(&self) -> Array {
        names(&self.speakers, "speakerID", "speakerName")
    }

    /// CloudRoom AudioCfg: `{micID, speakerID}`.
    pub fn cfg_object(&self) -> JsValue {
        let o = object(&[]);
        set(&o, "micID", self.mic);
        set(&o, "speakerID", self.speaker);
        o
    }

    /// Takes `{micID, speakerID}` (either may be absent); a wrong one is refused by name
    /// and changes nothing.
    pub fn set_cfg(&mut self, cfg: &JsValue) -> Result<(), Failure> {
        if !cfg.is_object() {
            return Err(bad("cfg", "an object {micID, speakerID}"));
        }
        let mic = number_in(&get(cfg, "micID"), "micID", 0, self.mics.len() as u32)?;
        let speaker = number_in(&get(cfg, "speakerID"), "speakerID", 0, self.speakers.len() as u32)?;
        self.mic = mic.unwrap_or(self.mic);
        self.speaker = speaker.unwrap_or(self.speaker);
        Ok(())
    }

    /// What getUserMedia is asked for the microphone.
    pub fn mic_constraints(&self) -> JsValue {
        match chosen(&self.mics, self.mic) {
            Some(mic) => {
                let exact = object(&[("exact", &mic.device_id)]);
                let c = object(&[]);
                set(&c, "deviceId", exact);
                c
            }
            None => JsValue::TRUE,
        }
    }

    /// Plays `player` on the chosen speaker (where the browser can choose one); the
    /// promise of the switch, if one was asked.
    pub fn route(&self, player: &HtmlAudioElement) -> Option<Promise> {
        let device = chosen(&self.speakers, self.speaker).map_or("", |d| d.device_id.as_str());
        let set_sink = Reflect::get(player, &"setSinkId".into()).ok()?.dyn_into::<Function>().ok()?;
        set_sink.call1(player, &device.into()).ok()?.dyn_into::<Promise>().ok()
    }
}
