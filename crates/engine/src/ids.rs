//! Identifiers of the things the engine tracks: sessions, queues, offers, services and
//! queuing tasks.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A user id or nickname: short strings are kept inline (no allocation), so a
/// customer's identity sits in its session record, not behind a pointer.
pub type Name = compact_str::CompactString;

/// A logged-in user (agent, customer or supervisor) of one app.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SessionId(pub u64);

/// A queue (`queID` on the wire). Unique across the whole server.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QueueId(pub u32);

/// An offer of one customer to one agent, waiting for accept or reject.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OfferId(pub u64);

/// A service: one agent serving one customer taken from a queue.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServiceId(pub u64);

/// One queuing attempt of a customer, from StartQueuing to its end (the ACD task of the
/// `callcenter.queue.state_changed` events).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TaskId(pub u64);

macro_rules! display_inner {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}
display_inner!(SessionId, QueueId, OfferId, ServiceId, TaskId);
