//! The session table: records stored by index, so finding one is arithmetic rather than
//! a hash probe, and the record of the next customer to be served can be fetched into
//! cache ahead of time (with a million customers waiting, that is most of the cost of
//! an assignment).

use std::ops::Index;

use serde::{Deserialize, Serialize};

use crate::ids::SessionId;
use crate::state::Session;

/// A slot: the session living there (if any) and the generation that tells a new
/// session from an ended one that used the same slot.
#[derive(Serialize, Deserialize)]
struct Slot {
    id: SessionId,
    session: Option<Session>,
}

/// Sessions by [`SessionId`] (`generation << 32 | index`).
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Sessions {
    slots: Vec<Slot>,
    free: Vec<u32>,
    len: usize,
}

fn index(id: SessionId) -> usize {
    (id.0 & 0xffff_ffff) as usize
}

impl Sessions {
    /// Stores a session and returns its new id (free slots are reused, newest first).
    pub fn insert(&mut self, session: Session) -> SessionId {
        self.len += 1;
        match self.free.pop() {
            Some(i) => {
                let slot = &mut self.slots[i as usize];
                let generation = (slot.id.0 >> 32) + 1;
                slot.id = SessionId(generation << 32 | u64::from(i));
                slot.session = Some(session);
                slot.id
            }
            None => {
                let id = SessionId(1 << 32 | self.slots.len() as u64);
                self.slots.push(Slot { id, session: Some(session) });
                id
            }
        }
    }

    pub fn get(&self, id: &SessionId) -> Option<&Session> {
        self.slots.get(index(*id)).filter(|s| s.id == *id).and_then(|s| s.session.as_ref())
    }

    pub fn get_mut(&mut self, id: &SessionId) -> Option<&mut Session> {
        self.slots.get_mut(index(*id)).filter(|s| s.id == *id).and_then(|s| s.session.as_mut())
    }

    pub fn remove(&mut self, id: &SessionId) -> Option<Session> {
        let slot = self.slots.get_mut(index(*id)).filter(|s| s.id == *id)?;
        let session = slot.session.take()?;
        self.free.push(index(*id) as u32);
        self.len -= 1;
        Some(session)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn iter(&self) -> impl Iterator<Item = (&SessionId, &Session)> {
        self.slots.iter().filter_map(|s| s.session.as_ref().map(|session| (&s.id, session)))
    }

    /// Asks the CPU to bring the session's record into cache (no effect on state).
    pub fn prefetch(&self, id: SessionId) {
        #[cfg(target_arch = "x86_64")]
        if let Some(slot) = self.slots.get(index(id)) {
            let start = slot as *const Slot as *const i8;
            for offset in (0..std::mem::size_of::<Slot>()).step_by(64) {
                // SAFETY: prefetching is a hint; the address is inside a live allocation
                // and prefetch instructions never fault.
                unsafe { std::arch::x86_64::_mm_prefetch(start.add(offset), std::arch::x86_64::_MM_HINT_T0) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = id;
    }
}

impl Index<&SessionId> for Sessions {
    type Output = Session;

    fn index(&self, id: &SessionId) -> &Session {
        self.get(id).expect("live session")
    }
}

impl<'a> IntoIterator for &'a Sessions {
    type Item = (&'a SessionId, &'a Session);
    type IntoIter = Box<dyn Iterator<Item = (&'a SessionId, &'a Session)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}
