//! The store's schema, one block per version (`PRAGMA user_version`), applied in order by
//! [`Store::open_file`](super::Store::open_file) and friends.

pub(super) const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS server_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    rsa_key BLOB NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    access_hash INTEGER NOT NULL,
    phone TEXT UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    username TEXT UNIQUE,
    is_bot INTEGER NOT NULL DEFAULT 0,
    bot_token_secret TEXT,
    home_dc INTEGER NOT NULL,
    srp_salt1 BLOB,
    srp_salt2 BLOB,
    srp_verifier BLOB,
    password_hint TEXT,
    login_email TEXT,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_keys (
    id INTEGER PRIMARY KEY,
    auth_key BLOB NOT NULL,
    dc INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id),
    password_pending_user INTEGER REFERENCES users(id),
    layer INTEGER,
    api_id INTEGER,
    device_model TEXT,
    system_version TEXT,
    app_version TEXT,
    lang_code TEXT,
    expires INTEGER,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    auth_key_id INTEGER NOT NULL REFERENCES auth_keys(id) ON DELETE CASCADE,
    session_id INTEGER NOT NULL,
    created INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (auth_key_id, session_id)
);
CREATE TABLE IF NOT EXISTS login_codes (
    phone_code_hash TEXT PRIMARY KEY,
    phone TEXT NOT NULL,
    phone_as_sent TEXT NOT NULL,
    code TEXT NOT NULL,
    kind TEXT NOT NULL,
    dc INTEGER NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS login_codes_by_phone ON login_codes(phone, state);
CREATE INDEX IF NOT EXISTS login_codes_by_time ON login_codes(created);
CREATE TABLE IF NOT EXISTS flood_counters (
    counter_key TEXT PRIMARY KEY,
    window_end INTEGER NOT NULL,
    count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS exported_auths (
    user_id INTEGER NOT NULL REFERENCES users(id),
    bytes BLOB NOT NULL,
    dc INTEGER NOT NULL,
    created INTEGER NOT NULL
);
";

/// Version 2: recorded answers ([`Store::once`](super::Store::once)) and the indexes pruning reads by time.
pub(super) const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS answers (
    auth_key_id INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    msg_id INTEGER NOT NULL,
    msg_time INTEGER NOT NULL,
    result BLOB,
    error_code INTEGER,
    error_message TEXT,
    PRIMARY KEY (auth_key_id, session_id, msg_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answers_by_time ON answers(msg_time);
CREATE INDEX IF NOT EXISTS sessions_by_last_seen ON sessions(last_seen);
CREATE INDEX IF NOT EXISTS login_codes_by_expiry ON login_codes(expires);
CREATE INDEX IF NOT EXISTS auth_keys_signed_out ON auth_keys(created) WHERE user_id IS NULL;
";

/// Version 4: messages (one copy per owner), dialogs, `random_id`s, basic groups, and every
/// account's update state and log (see `updates.rs`).
pub(super) const SCHEMA_V4: &str = "
CREATE TABLE IF NOT EXISTS update_states (
    user_id INTEGER PRIMARY KEY,
    pts INTEGER NOT NULL,
    qts INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL DEFAULT 0,
    date INTEGER NOT NULL,
    next_message_id INTEGER NOT NULL,
    pruned_to INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS update_log (
    user_id INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    pts_count INTEGER NOT NULL,
    date INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (user_id, pts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    owner INTEGER NOT NULL,
    id INTEGER NOT NULL,
    peer INTEGER NOT NULL,
    from_id INTEGER NOT NULL,
    out INTEGER NOT NULL,
    date INTEGER NOT NULL,
    edit_date INTEGER,
    origin_user INTEGER NOT NULL,
    origin_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (owner, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_peer ON messages(owner, peer, id);
CREATE INDEX IF NOT EXISTS messages_by_origin ON messages(origin_user, origin_id);
CREATE TABLE IF NOT EXISTS dialogs (
    owner INTEGER NOT NULL,
    peer INTEGER NOT NULL,
    top_message INTEGER NOT NULL,
    top_date INTEGER NOT NULL,
    read_inbox_max_id INTEGER NOT NULL,
    read_outbox_max_id INTEGER NOT NULL,
    unread_count INTEGER NOT NULL,
    pinned INTEGER NOT NULL,
    PRIMARY KEY (owner, peer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dialogs_by_date ON dialogs(owner, top_date, top_message);
CREATE TABLE IF NOT EXISTS random_ids (
    user_id INTEGER NOT NULL,
    random_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, random_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chats (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    creator INTEGER NOT NULL,
    date INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_participants (
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    inviter_id INTEGER NOT NULL,
    date INTEGER NOT NULL,
    admin INTEGER NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX IF NOT EXISTS chat_participants_by_user ON chat_participants(user_id);
CREATE INDEX IF NOT EXISTS auth_keys_by_user ON auth_keys(user_id);
";

/// Version 3: peers (see `peers.rs`): the secret access hashes are derived from (random from
/// SQLite's CSPRNG, made once), contacts, profile texts and case-insensitively unique usernames.
/// Applied once, when a file older than version 3 is opened (`ALTER TABLE` is not idempotent).
pub(super) const SCHEMA_V3: &str = "
CREATE TABLE IF NOT EXISTS peer_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB NOT NULL CHECK (length(secret) = 32)
);
INSERT OR IGNORE INTO peer_secret (id, secret) VALUES (1, randomblob(32));
CREATE TABLE IF NOT EXISTS contacts (
    owner_id INTEGER NOT NULL REFERENCES users(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    added INTEGER NOT NULL,
    PRIMARY KEY (owner_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contacts_by_user ON contacts(user_id);
-- Usernames were unique only as written; of two that differ only in case, the older account
-- keeps its username.
UPDATE users SET username = NULL WHERE EXISTS (
    SELECT 1 FROM users older WHERE older.username = users.username COLLATE NOCASE AND older.id < users.id
);
CREATE UNIQUE INDEX IF NOT EXISTS users_by_username ON users(username COLLATE NOCASE);
ALTER TABLE users ADD COLUMN about TEXT;
";

/// Version 5: QR-login tokens (see `login_tokens.rs`). Idempotent (`IF NOT EXISTS`).
pub(super) const SCHEMA_V5: &str = "
CREATE TABLE IF NOT EXISTS login_tokens (
    token BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    auth_key_id INTEGER REFERENCES auth_keys(id) ON DELETE CASCADE,
    dc INTEGER NOT NULL,
    except_ids TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    accepted_by INTEGER REFERENCES users(id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS login_tokens_by_key ON login_tokens(auth_key_id, created);
CREATE INDEX IF NOT EXISTS login_tokens_by_expiry ON login_tokens(expires);
";

/// Version 6: recorded answers keyed by time first, and the senders' `random_id`s on their
/// copies of the messages instead of a table keyed by them (see `random_ids.rs`). Rows then go in at the end of one B-tree
/// (the calls of a batch touch a page or two of it, not one per auth key, each rewritten in the
/// WAL at every commit), and the pruning by time that version 2 indexed separately reads the
/// start of it. A request's time is its msg_id's, so a lookup still finds it by its key.
/// Recorded answers: applied once, when a file older than version 6 is opened.
pub(super) const SCHEMA_V6: &str = "
CREATE TABLE answers_by_time_first (
    msg_time INTEGER NOT NULL,
    auth_key_id INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    msg_id INTEGER NOT NULL,
    result BLOB,
    error_code INTEGER,
    error_message TEXT,
    PRIMARY KEY (msg_time, auth_key_id, session_id, msg_id)
) WITHOUT ROWID;
INSERT INTO answers_by_time_first (msg_time, auth_key_id, session_id, msg_id, result, error_code, error_message)
    SELECT msg_time, auth_key_id, session_id, msg_id, result, error_code, error_message FROM answers;
DROP TABLE answers;
ALTER TABLE answers_by_time_first RENAME TO answers;
ALTER TABLE messages ADD COLUMN random_id INTEGER;
UPDATE messages SET random_id = (
    SELECT r.random_id FROM random_ids r WHERE r.user_id = messages.owner AND r.message_id = messages.id
) WHERE out = 1;
DROP TABLE random_ids;
";
