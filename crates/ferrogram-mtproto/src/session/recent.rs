//! A bounded memory of recently received msg_ids, to drop replays and duplicates, as the
//! security guidelines describe it (<https://core.telegram.org/mtproto/security_guidelines#checking-msg-id>):
//! "the identifiers (msg_id) of the last N messages received from the other side must be stored,
//! and if a message comes in with a msg_id lower than all or equal to any of the stored values,
//! that message is to be ignored. Otherwise, the new message msg_id is added to the set, and, if
//! the number of stored msg_id values is greater than N, the oldest (i.e. the lowest) is
//! discarded."

use std::collections::BTreeSet;

/// How many ids are remembered unless a capacity is given.
pub(crate) const DEFAULT_CAPACITY: usize = 4096;

/// What [`RecentIds`] knows of a msg_id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Not seen, and not older than what is remembered: a new message.
    New,
    /// One of the remembered ids: a duplicate (or a replay).
    Duplicate,
    /// Lower than every remembered id while the memory is full: it may have been seen and
    /// forgotten, so it is refused rather than risk acting on a replay.
    TooOld,
}

#[derive(Debug, Clone)]
pub(crate) struct RecentIds {
    /// Sorted, so the lowest id is the one discarded and the one compared against.
    ids: BTreeSet<i64>,
    capacity: usize,
}

impl Default for RecentIds {
    fn default() -> Self {
        RecentIds::with_capacity(DEFAULT_CAPACITY)
    }
}

impl RecentIds {
    /// A memory of the last `capacity` ids (at least one).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        RecentIds { ids: BTreeSet::new(), capacity: capacity.max(1) }
    }

    /// What is known of `msg_id`, without recording it.
    pub(crate) fn check(&self, msg_id: i64) -> Seen {
        if self.ids.contains(&msg_id) {
            Seen::Duplicate
        } else if self.ids.len() >= self.capacity && self.ids.first().is_some_and(|&lowest| msg_id < lowest) {
            Seen::TooOld
        } else {
            Seen::New
        }
    }

    /// Records `msg_id`; false (and nothing recorded) unless it is [`Seen::New`].
    pub(crate) fn insert(&mut self, msg_id: i64) -> bool {
        if self.check(msg_id) != Seen::New {
            return false;
        }
        self.ids.insert(msg_id);
        if self.ids.len() > self.capacity {
            self.ids.pop_first();
        }
        true
    }

    /// Whether `msg_id` counts as received: remembered, or older than everything remembered.
    pub(crate) fn contains(&self, msg_id: i64) -> bool {
        self.check(msg_id) != Seen::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_is_forgotten_and_anything_below_it_refused_when_full() {
        let mut recent = RecentIds::with_capacity(3);
        for id in [10, 30, 20] {
            assert!(recent.insert(id));
        }
        assert_eq!(recent.check(20), Seen::Duplicate);
        assert_eq!(recent.check(5), Seen::TooOld);
        // Between the stored ids and unseen: new, and the lowest (10) is dropped.
        assert!(recent.insert(15));
        assert_eq!(recent.check(10), Seen::TooOld);
        assert_eq!(recent.check(16), Seen::New);
    }

    #[test]
    fn lower_ids_are_new_while_not_full() {
        let mut recent = RecentIds::with_capacity(3);
        assert!(recent.insert(10));
        assert_eq!(recent.check(5), Seen::New);
        assert!(!recent.insert(10));
    }
}
