//! [`UpdateState`]: where the client stands in the account's update sequences, as a
//! [`SessionData`](crate::SessionData) keeps it between runs.

use std::collections::BTreeMap;

use ferrogram_tl::enums;

/// The client's position in the account's update sequences
/// (<https://core.telegram.org/api/updates#fetching-state>): the common message box (`pts`), the
/// secondary sequence (`qts`), the `Updates` sequence (`seq`, `date`) and one `pts` per channel
/// or supergroup the client has seen updates of.
///
/// Stored in the session so that a restarted client fetches what happened since with
/// `updates.getDifference` ([`ClientConfig::catch_up`](crate::ClientConfig::catch_up)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateState {
    /// The common message box's `pts` (private chats and basic groups).
    pub pts: i32,
    /// The secondary event sequence (secret chats, some bot events).
    pub qts: i32,
    /// The date of the last applied `Updates` (Unix seconds).
    pub date: i32,
    /// The `Updates` sequence number.
    pub seq: i32,
    /// Each channel's or supergroup's `pts`, by channel id.
    pub channels: BTreeMap<i64, i32>,
}

impl UpdateState {
    /// The state `updates.getState` answered.
    pub fn from_tl(state: &enums::updates::State) -> Self {
        let enums::updates::State::State(state) = state;
        UpdateState { pts: state.pts, qts: state.qts, date: state.date, seq: state.seq, channels: BTreeMap::new() }
    }

    /// Replaces the common part (pts, qts, date, seq) with `state`'s, keeping the channels.
    pub(crate) fn set_common(&mut self, state: &enums::updates::State) {
        let channels = std::mem::take(&mut self.channels);
        *self = UpdateState { channels, ..UpdateState::from_tl(state) };
    }
}
