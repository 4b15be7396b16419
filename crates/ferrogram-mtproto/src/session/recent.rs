//! A bounded memory of recently received msg_ids, to drop replays and duplicates.

use std::collections::{HashSet, VecDeque};

/// How many ids are remembered. Ids at or below the highest forgotten one count as seen too, so
/// forgetting never reopens a door for a replay.
const CAPACITY: usize = 4096;

#[derive(Debug, Default, Clone)]
pub(crate) struct RecentIds {
    set: HashSet<i64>,
    order: VecDeque<i64>,
    floor: i64,
}

impl RecentIds {
    /// Records `msg_id`; false if it was seen before (or is below what was forgotten).
    pub(crate) fn insert(&mut self, msg_id: i64) -> bool {
        if (self.floor != 0 && msg_id <= self.floor) || !self.set.insert(msg_id) {
            return false;
        }
        self.order.push_back(msg_id);
        if self.order.len() > CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
                self.floor = self.floor.max(old);
            }
        }
        true
    }

    pub(crate) fn contains(&self, msg_id: i64) -> bool {
        (self.floor != 0 && msg_id <= self.floor) || self.set.contains(&msg_id)
    }
}
