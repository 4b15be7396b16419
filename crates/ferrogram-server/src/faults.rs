//! Faults a test injects into a running server, to meet on purpose what production only shows
//! now and then: a method failing with `FLOOD_WAIT_X`, a `*_MIGRATE_X` or `INTERNAL`; updates
//! that never arrive (a real gap, which the client must notice and recover with
//! `updates.getDifference`); a dropped connection
//! ([`LocalServer::drop_connections`](crate::net::LocalServer::drop_connections)).
//!
//! Faults are kept in memory, bounded ([`MAX_METHOD_FAULTS`] method faults, as many keys with
//! withheld updates), and each is used up by the calls or updates it hits.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::context::RpcError;

/// Most method faults waiting at once; adding one more drops the oldest.
pub const MAX_METHOD_FAULTS: usize = 1024;

/// One method's injected failure.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MethodFault {
    method: String,
    error: RpcError,
    remaining: u32,
    user_id: Option<i64>,
}

/// The faults waiting to hit (see the module docs). Shared by the server's connections.
#[derive(Debug, Default)]
pub struct Faults {
    methods: Mutex<Vec<MethodFault>>,
    /// Updates still to withhold, by auth key.
    withheld: Mutex<HashMap<i64, u32>>,
}

impl Faults {
    /// The next `times` calls of `method` (its TL name, e.g. `"messages.sendMessage"`), by
    /// `user_id` only or by anyone, fail with `error` instead of running (nothing of them is
    /// done or recorded, as when Telegram refuses a call up front).
    pub fn fail_method(&self, method: &str, error: RpcError, times: u32, user_id: Option<i64>) {
        if times == 0 {
            return;
        }
        let mut methods = lock(&self.methods);
        if methods.len() >= MAX_METHOD_FAULTS {
            methods.remove(0);
        }
        methods.push(MethodFault { method: method.to_owned(), error, remaining: times, user_id });
    }

    /// The next `count` updates pushed to the client of auth key `auth_key_id` are not sent
    /// (`0` cancels). They stay in the account's update log, so the client sees a gap in `pts`
    /// (or `seq`) at the next update it gets and recovers them with `updates.getDifference`.
    /// [`LocalServer::withhold_updates`](crate::net::LocalServer::withhold_updates) does it for
    /// every device of an account.
    pub fn withhold_updates_of_key(&self, auth_key_id: i64, count: u32) {
        let mut withheld = lock(&self.withheld);
        if count == 0 {
            withheld.remove(&auth_key_id);
        } else if withheld.len() < MAX_METHOD_FAULTS || withheld.contains_key(&auth_key_id) {
            *withheld.entry(auth_key_id).or_default() += count;
        }
    }

    /// Updates still to withhold from the client of `auth_key_id`.
    pub fn withheld_updates(&self, auth_key_id: i64) -> u32 {
        lock(&self.withheld).get(&auth_key_id).copied().unwrap_or(0)
    }

    /// Drops every waiting fault.
    pub fn clear(&self) {
        lock(&self.methods).clear();
        lock(&self.withheld).clear();
    }

    /// The error a call of `method` is to fail with, if a fault waits for it (and uses it up).
    /// `user_id` tells who calls; it is only asked when a fault for one user waits for `method`.
    pub(crate) fn take_method_fault(&self, method: &str, user_id: impl FnOnce() -> Option<i64>) -> Option<RpcError> {
        let mut methods = lock(&self.methods);
        if !methods.iter().any(|f| f.method == method) {
            return None;
        }
        let caller = if methods.iter().any(|f| f.method == method && f.user_id.is_some()) { user_id() } else { None };
        let index = methods.iter().position(|f| f.method == method && (f.user_id.is_none() || f.user_id == caller))?;
        let fault = &mut methods[index];
        let error = fault.error.clone();
        fault.remaining -= 1;
        if fault.remaining == 0 {
            methods.remove(index);
        }
        Some(error)
    }

    /// Whether an update for the client of `auth_key_id` is to be withheld (and counts it).
    pub(crate) fn take_withheld(&self, auth_key_id: i64) -> bool {
        let mut withheld = lock(&self.withheld);
        let Some(left) = withheld.get_mut(&auth_key_id) else { return false };
        *left = left.saturating_sub(1);
        if *left == 0 {
            withheld.remove(&auth_key_id);
        }
        true
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_fault_hits_its_count_of_calls_then_is_gone() {
        let faults = Faults::default();
        faults.fail_method("messages.sendMessage", RpcError::new(420, "FLOOD_WAIT_3"), 2, None);
        assert_eq!(faults.take_method_fault("messages.getHistory", || None), None);
        let hit = faults.take_method_fault("messages.sendMessage", || Some(7)).expect("first");
        assert_eq!((hit.code, hit.message().as_str()), (420, "FLOOD_WAIT_3"));
        assert!(faults.take_method_fault("messages.sendMessage", || None).is_some());
        assert_eq!(faults.take_method_fault("messages.sendMessage", || None), None);
    }

    #[test]
    fn a_users_fault_hits_only_that_user() {
        let faults = Faults::default();
        faults.fail_method("help.getConfig", RpcError::new(500, "INTERNAL"), 1, Some(1));
        assert_eq!(faults.take_method_fault("help.getConfig", || Some(2)), None);
        assert_eq!(faults.take_method_fault("help.getConfig", || None), None);
        assert!(faults.take_method_fault("help.getConfig", || Some(1)).is_some());
    }

    #[test]
    fn withheld_updates_are_counted_down_per_key() {
        let faults = Faults::default();
        faults.withhold_updates_of_key(5, 2);
        assert!(!faults.take_withheld(6));
        assert!(faults.take_withheld(5) && faults.take_withheld(5));
        assert!(!faults.take_withheld(5));
    }

    #[test]
    fn method_faults_are_bounded() {
        let faults = Faults::default();
        for i in 0..MAX_METHOD_FAULTS + 10 {
            faults.fail_method(&format!("m{i}"), RpcError::new(500, "INTERNAL"), 1, None);
        }
        assert_eq!(lock(&faults.methods).len(), MAX_METHOD_FAULTS);
        assert_eq!(faults.take_method_fault("m0", || None), None, "the oldest went");
    }
}
