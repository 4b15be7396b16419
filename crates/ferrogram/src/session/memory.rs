//! [`MemorySession`]: a session kept in memory only.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{SessionData, SessionError, SessionStore};

/// A session held in memory: lost when the process ends. For tests and throwaway clients.
#[derive(Debug, Default)]
pub struct MemorySession {
    data: Mutex<SessionData>,
}

impl MemorySession {
    /// An empty session.
    pub fn new() -> Self {
        Self::default()
    }

    /// A session starting from `data`.
    pub fn from_data(data: SessionData) -> Self {
        MemorySession { data: Mutex::new(data) }
    }

    fn lock(&self) -> MutexGuard<'_, SessionData> {
        // The value is only ever replaced whole, so a panic elsewhere cannot leave it half
        // written: a poisoned lock still guards a consistent value.
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionStore for MemorySession {
    fn load(&self) -> Result<SessionData, SessionError> {
        Ok(self.lock().clone())
    }

    fn store(&self, data: &SessionData) -> Result<(), SessionError> {
        *self.lock() = data.clone();
        Ok(())
    }
}
