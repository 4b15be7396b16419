//! Login codes in the store: issued, read, superseded, counted and verified.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{CodeKind, CodeState, Context, LoginCode, Store, StoreError};

pub(super) const CODE_COLUMNS: &str =
    "phone_code_hash, phone, phone_as_sent, code, kind, dc, created, expires, attempts, \
     state, verified";

impl Store {
    /// Stores a new active code; every other active code of the same phone becomes superseded.
    pub fn insert_code(&self, code: &LoginCode) -> Result<(), StoreError> {
        self.write("insert login code", |tx| {
            tx.execute(
                "UPDATE login_codes SET state = 'superseded' WHERE phone = ?1 AND state = 'active'",
                [&code.phone],
            )
            .during("supersede login codes")?;
            tx.execute(
                &format!(
                    "INSERT INTO login_codes ({CODE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                ),
                params![
                    code.phone_code_hash,
                    code.phone,
                    code.phone_as_sent,
                    code.code,
                    code.kind.as_str(),
                    code.dc,
                    code.created,
                    code.expires,
                    code.attempts,
                    code.state.as_str(),
                    code.verified,
                ],
            )
            .during("insert login code")?;
            Ok(())
        })
    }

    /// The code with this `phone_code_hash`.
    pub fn code(&self, phone_code_hash: &str) -> Result<Option<LoginCode>, StoreError> {
        self.lock()
            .query_row(
                &format!("SELECT {CODE_COLUMNS} FROM login_codes WHERE phone_code_hash = ?1"),
                [phone_code_hash],
                code_row,
            )
            .optional()
            .during("read login code")?
            .transpose()
    }

    /// Sets a code's state.
    pub fn set_code_state(&self, phone_code_hash: &str, state: CodeState) -> Result<(), StoreError> {
        self.write("set login code state", |tx| set_code_state(tx, phone_code_hash, state))
    }

    /// Marks a code as entered correctly for a number that has no account yet.
    pub fn mark_code_verified(&self, phone_code_hash: &str) -> Result<(), StoreError> {
        self.write("mark code verified", |tx| {
            tx.execute("UPDATE login_codes SET verified = 1 WHERE phone_code_hash = ?1", [phone_code_hash])
                .during("mark code verified")?;
            Ok(())
        })
    }

    /// The most recent codes, newest first.
    pub fn recent_codes(&self, limit: usize) -> Result<Vec<LoginCode>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!("SELECT {CODE_COLUMNS} FROM login_codes ORDER BY created DESC, rowid DESC LIMIT ?1"))
            .during("list login codes")?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map([limit], code_row).during("list login codes")?;
        rows.map(|r| r.during("list login codes").and_then(|x| x)).collect()
    }
}

pub(super) fn set_code_state(tx: &Connection, phone_code_hash: &str, state: CodeState) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE login_codes SET state = ?2 WHERE phone_code_hash = ?1",
        params![phone_code_hash, state.as_str()],
    )
    .during("set login code state")?;
    Ok(())
}

pub(super) fn code_row(r: &Row<'_>) -> rusqlite::Result<Result<LoginCode, StoreError>> {
    let kind: String = r.get(4)?;
    let state: String = r.get(9)?;
    let Some(kind) = CodeKind::parse(&kind) else {
        return Ok(Err(StoreError::Corrupt { table: "login_codes", column: "kind", value: kind }));
    };
    let Some(state) = CodeState::parse(&state) else {
        return Ok(Err(StoreError::Corrupt { table: "login_codes", column: "state", value: state }));
    };
    Ok(Ok(LoginCode {
        phone_code_hash: r.get(0)?,
        phone: r.get(1)?,
        phone_as_sent: r.get(2)?,
        code: r.get(3)?,
        kind,
        dc: r.get(5)?,
        created: r.get(6)?,
        expires: r.get(7)?,
        attempts: r.get(8)?,
        state,
        verified: r.get(10)?,
    }))
}
