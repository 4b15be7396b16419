//! The store's one SQLite connection, lent to one user at a time.
//!
//! Most operations borrow the connection for a few statements, like a mutex. A request that must
//! be answered exactly once keeps it for longer: [`Slot::hold`] opens a write transaction and
//! parks the connection on the calling thread, so that the store methods a handler calls
//! meanwhile (on that same thread) find it there and run inside that one transaction, while other
//! threads wait for it as they would for a lock. Whatever the handler wrote and the answer
//! recorded beside it then commit or roll back together.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use rusqlite::Connection;

use super::{Context, StoreError};

/// Prepared statements kept per connection: every statement the store has, with room to spare.
const STATEMENT_CACHE: usize = 256;

/// Ids telling the stores of one process apart on a thread that holds a connection.
static NEXT_SLOT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Connections parked on this thread by [`Slot::hold`], by slot id.
    static HELD: RefCell<Vec<(u64, Connection)>> = const { RefCell::new(Vec::new()) };
    /// The slots this thread holds a transaction of, parked or lent out at the moment, with how
    /// that transaction guards its writes.
    static HOLDING: RefCell<Vec<(u64, Guard)>> = const { RefCell::new(Vec::new()) };
}

/// How the store's writes inside a held transaction undo themselves when they fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// Each write that may fail part-way is a savepoint, rolled back on its own.
    Savepoints,
    /// No savepoints (they cost a copy of every page a write touches first): a write that fails
    /// before changing anything needs no undo, and one that fails after changing something
    /// poisons the transaction, which must then be rolled back whole.
    Unguarded {
        /// A write failed part-way: what the transaction holds is not to be kept.
        poisoned: bool,
    },
}

/// The connection, or nothing while someone has it.
pub(crate) struct Slot {
    id: u64,
    conn: Mutex<Option<Connection>>,
    returned: Condvar,
}

/// Not `Send`: a lent connection goes back to the thread or slot it came from.
type NotSend = PhantomData<std::rc::Rc<()>>;

/// The connection while one caller uses it; it goes back when this is dropped.
pub(crate) struct Lent<'a> {
    slot: &'a Slot,
    conn: Option<Connection>,
    /// Taken from this thread's [`Slot::hold`] (goes back there), not from the slot.
    from_thread: bool,
    _not_send: NotSend,
}

/// A write transaction that keeps the connection on this thread until it is committed or
/// dropped (dropping rolls it back).
pub(crate) struct Held<'a> {
    slot: &'a Slot,
    _not_send: NotSend,
}

impl Slot {
    pub(crate) fn new(conn: Connection) -> Slot {
        // One call of the busier methods runs a dozen or more distinct statements; with
        // rusqlite's default cache of 16 they evicted each other and were parsed again and again.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Slot {
            id: NEXT_SLOT_ID.fetch_add(1, Ordering::Relaxed),
            conn: Mutex::new(Some(conn)),
            returned: Condvar::new(),
        }
    }

    /// The connection: this thread's held one, or the slot's once it is free.
    pub(crate) fn lend(&self) -> Lent<'_> {
        if let Some(conn) = take_held(self.id) {
            return Lent { slot: self, conn: Some(conn), from_thread: true, _not_send: PhantomData };
        }
        if HOLDING.with(|holding| holding.borrow().iter().any(|(id, _)| *id == self.id)) {
            // This thread's own transaction has the connection lent out already (a `Lent` kept
            // alive across another store call): waiting for it would wait forever.
            panic!("the store's connection is lent twice on the thread that holds its transaction");
        }
        // A panic while the connection was out cannot leave a transaction half-applied (rusqlite
        // and `Held` roll back on drop), so a poisoned lock still guards a good connection.
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = guard.take() {
                return Lent { slot: self, conn: Some(conn), from_thread: false, _not_send: PhantomData };
            }
            guard = self.returned.wait(guard).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Opens a write transaction (`BEGIN IMMEDIATE`: the write lock from the start) and keeps
    /// the connection on this thread until the returned [`Held`] is committed or dropped.
    pub(crate) fn hold(&self) -> Result<Held<'_>, StoreError> {
        self.hold_with(Guard::Savepoints)
    }

    /// [`Slot::hold`], with the writes inside it guarded as `guard` says.
    pub(crate) fn hold_with(&self, guard: Guard) -> Result<Held<'_>, StoreError> {
        let mut lent = self.lend();
        if lent.from_thread {
            // Nested holds would commit the outer transaction early; nothing here nests them.
            return Err(StoreError::Nested);
        }
        lent.execute_batch("BEGIN IMMEDIATE").during("begin a request's transaction")?;
        if let Some(conn) = lent.conn.take() {
            HELD.with(|held| held.borrow_mut().push((self.id, conn)));
            HOLDING.with(|holding| holding.borrow_mut().push((self.id, guard)));
        }
        Ok(Held { slot: self, _not_send: PhantomData })
    }

    /// How this thread's held transaction of this slot guards its writes (`None`: this thread
    /// holds none, and each write is a transaction of its own).
    pub(crate) fn guard_here(&self) -> Option<Guard> {
        HOLDING.with(|holding| holding.borrow().iter().find(|(id, _)| *id == self.id).map(|(_, guard)| *guard))
    }

    /// Marks this thread's unguarded transaction of this slot as not to be kept (see
    /// [`Guard::Unguarded`]); a guarded one needs no mark.
    pub(crate) fn poison_here(&self) {
        HOLDING.with(|holding| {
            for (id, guard) in holding.borrow_mut().iter_mut() {
                if *id == self.id {
                    if let Guard::Unguarded { poisoned } = guard {
                        *poisoned = true;
                    }
                }
            }
        });
    }
}

fn take_held(id: u64) -> Option<Connection> {
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        let index = held.iter().position(|(slot, _)| *slot == id)?;
        Some(held.swap_remove(index).1)
    })
}

impl Deref for Lent<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // `conn` is only `None` inside `hold` and `drop`, after which nobody derefs.
        self.conn.as_ref().unwrap_or_else(|| unreachable!("a lent connection is present until dropped"))
    }
}

impl DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("a lent connection is present until dropped"))
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.from_thread {
            HELD.with(|held| held.borrow_mut().push((self.slot.id, conn)));
        } else {
            *self.slot.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn);
            self.slot.returned.notify_one();
        }
    }
}

impl Held<'_> {
    /// The held connection, for statements of the transaction itself.
    pub(crate) fn conn(&self) -> Lent<'_> {
        self.slot.lend()
    }

    /// Whether a write failed part-way in this unguarded transaction, so that it must not be
    /// committed (see [`Guard::Unguarded`]).
    pub(crate) fn poisoned(&self) -> bool {
        matches!(self.slot.guard_here(), Some(Guard::Unguarded { poisoned: true }))
    }

    /// Marks this unguarded transaction as not to be kept (see [`Guard::Unguarded`]).
    pub(crate) fn poison(&self) {
        self.slot.poison_here();
    }

    /// Commits the transaction and hands the connection back to the slot.
    pub(crate) fn commit(self) -> Result<(), StoreError> {
        self.conn().execute_batch("COMMIT").during("commit a request's transaction")
        // Dropping `self` returns the connection (nothing is left to roll back).
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        HOLDING.with(|holding| holding.borrow_mut().retain(|(id, _)| *id != self.slot.id));
        let Some(conn) = take_held(self.slot.id) else { return };
        if !conn.is_autocommit() {
            // Not committed (an error or a panic on the way): nothing of it is kept.
            if let Err(error) = conn.execute_batch("ROLLBACK") {
                tracing::warn!(%error, "cannot roll back a request's transaction");
            }
        }
        *self.slot.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn);
        self.slot.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot() -> Slot {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        Slot::new(conn)
    }

    fn count(slot: &Slot) -> i64 {
        slot.lend().query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_held_connection_is_lent_on_its_thread_and_commits_once() {
        let slot = slot();
        let held = slot.hold().unwrap();
        slot.lend().execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert!(!slot.lend().is_autocommit(), "still inside the held transaction");
        held.commit().unwrap();
        assert!(slot.lend().is_autocommit());
        assert_eq!(count(&slot), 1);
    }

    #[test]
    fn dropping_a_held_transaction_rolls_it_back() {
        let slot = slot();
        {
            let _held = slot.hold().unwrap();
            slot.lend().execute("INSERT INTO t VALUES (1)", []).unwrap();
        }
        assert_eq!(count(&slot), 0);
        assert!(matches!(
            {
                let _outer = slot.hold().unwrap();
                slot.hold().map(|_| ())
            },
            Err(StoreError::Nested)
        ));
    }

    #[test]
    fn lending_twice_inside_a_held_transaction_panics_instead_of_waiting_forever() {
        let slot = slot();
        let held = slot.hold().unwrap();
        let lent = held.conn();
        let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(slot.lend())));
        assert!(again.is_err());
        drop(lent);
        slot.lend().execute("INSERT INTO t VALUES (1)", []).unwrap();
        held.commit().unwrap();
        assert_eq!(count(&slot), 1);
    }

    #[test]
    fn other_threads_wait_for_a_held_connection() {
        let slot = std::sync::Arc::new(slot());
        let held = slot.hold().unwrap();
        let other = {
            let slot = slot.clone();
            std::thread::spawn(move || count(&slot))
        };
        slot.lend().execute("INSERT INTO t VALUES (1)", []).unwrap();
        held.commit().unwrap();
        assert_eq!(other.join().unwrap(), 1, "the other thread read after the commit");
    }
}
