//! The admin channel of a running server: JSON lines over TCP (loopback by default), each
//! request an object with the server's `token` and a `command`, each answer one line
//! `{"ok": true, ...}` or `{"ok": false, "error": "..."}`. It lets scripts in any language (and
//! `ferrogram admin`) make users, read codes and inject faults into a server they did not start
//! in-process. Users are named by phone number (`+` optional), ids are strings (64-bit ids are
//! not safe as JSON numbers in JavaScript).
//!
//! Commands: `create_user {phone, first_name, last_name?, username?, password?}`,
//! `create_bot {name}`, `codes {limit?}`, `fail_method {method, error, code?, times?, phone?}`,
//! `withhold_updates {phone, count}`, `drop_connections {phone}`, `clear_faults`,
//! `send_message {from, to, text}` (`from` a phone; `to` a phone, `@username`, `me` or
//! `chat:ID`), `flood_messages {from, to, count}` (phones; `count` messages stored and pushed as
//! fast as the receiver takes them, answered once all are pushed: see
//! [`LocalServer::flood_messages`](super::LocalServer::flood_messages)).
//!
//! Bounded like the rest of the shell: at most [`MAX_ADMIN_CONNECTIONS`] at once, lines of at
//! most [`MAX_LINE_BYTES`], closed after [`IDLE_TIMEOUT`] without a request.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use super::{unix_now, Shared};
use crate::context::RpcError;
use crate::AdminUser;

/// Admin connections served at once; more are closed at once.
pub const MAX_ADMIN_CONNECTIONS: usize = 16;
/// Longest request line.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// An admin connection with no request for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Serves admin connections until `stopped` turns true.
pub(super) async fn admin_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    token: Arc<str>,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_ADMIN_CONNECTIONS));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, "admin connection refused: too many at once");
                    continue;
                };
                let (shared, token) = (shared.clone(), token.clone());
                tasks.spawn(async move {
                    let _slot = slot;
                    if let Err(error) = serve(stream, &shared, &token).await {
                        tracing::debug!(%peer, %error, "admin connection closed");
                    }
                });
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = stopped.changed() => break,
        }
    }
    tasks.shutdown().await;
}

async fn serve(stream: TcpStream, shared: &Arc<Shared>, token: &str) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = tokio::time::timeout(IDLE_TIMEOUT, read_line(&mut lines, &mut line)).await;
        let answer = match read {
            Err(_) => return Ok(()),
            Ok(Err(error)) => return Err(error),
            Ok(Ok(LineRead::Eof)) => return Ok(()),
            Ok(Ok(LineRead::TooLong)) => {
                let answer = failure(format!("request longer than {MAX_LINE_BYTES} bytes"));
                write.write_all(format!("{answer}\n").as_bytes()).await?;
                return Ok(());
            }
            Ok(Ok(LineRead::Line)) => answer(shared, token, &line).await,
        };
        write.write_all(format!("{answer}\n").as_bytes()).await?;
    }
}

enum LineRead {
    Line,
    Eof,
    TooLong,
}

/// Reads one `\n`-ended line into `line`, refusing one over [`MAX_LINE_BYTES`].
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<LineRead> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if line.is_empty() { LineRead::Eof } else { LineRead::Line });
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..end], Some(end + 1)),
            None => (available, None),
        };
        if line.len() + chunk.len() > MAX_LINE_BYTES {
            return Ok(LineRead::TooLong);
        }
        line.extend_from_slice(chunk);
        let used = done.unwrap_or(chunk.len());
        reader.consume(used);
        if done.is_some() {
            return Ok(LineRead::Line);
        }
    }
}

async fn answer(shared: &Arc<Shared>, token: &str, line: &[u8]) -> Value {
    let request: Value = match serde_json::from_slice(line) {
        Ok(request @ Value::Object(_)) => request,
        Ok(_) => return failure("a request is a JSON object"),
        Err(e) => return failure(format!("not JSON: {e}")),
    };
    let given = request["token"].as_str().unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        return failure("wrong or missing token");
    }
    if request["command"] == "flood_messages" {
        return match flood(shared, &request).await {
            Ok(mut answer) => {
                answer["ok"] = json!(true);
                answer
            }
            Err(error) => failure(error),
        };
    }
    let shared = shared.clone();
    // The store is synchronous, and creating a user with a password runs PBKDF2.
    match tokio::task::spawn_blocking(move || run(&shared, &request)).await {
        Ok(Ok(mut answer)) => {
            answer["ok"] = json!(true);
            answer
        }
        Ok(Err(error)) => failure(error),
        Err(error) => failure(format!("the command failed: {error}")),
    }
}

fn failure(error: impl std::fmt::Display) -> Value {
    json!({ "ok": false, "error": error.to_string() })
}

/// Runs one admin command.
fn run(shared: &Shared, request: &Value) -> Result<Value, String> {
    let text = |name: &str| request[name].as_str().map(str::to_owned);
    let required = |name: &str| text(name).ok_or_else(|| format!("missing string field {name:?}"));
    let count = |name: &str, default: u64| match &request[name] {
        Value::Null => Ok(default),
        value => value.as_u64().filter(|n| *n <= u64::from(u32::MAX)).ok_or_else(|| format!("{name:?} is no count")),
    };
    let now = unix_now().as_secs() as i64;
    let api = &shared.api;
    match request["command"].as_str().unwrap_or_default() {
        "create_user" => {
            let user = AdminUser {
                phone: required("phone")?,
                first_name: required("first_name")?,
                last_name: text("last_name").unwrap_or_default(),
                username: text("username"),
                password: text("password"),
                ..AdminUser::default()
            };
            let user = api.create_user(&user, now).map_err(|e| e.to_string())?;
            Ok(json!({ "user": { "id": user.id.to_string(), "phone": user.phone, "first_name": user.first_name } }))
        }
        "create_bot" => {
            let token = api.create_bot(&required("name")?, now).map_err(|e| e.to_string())?;
            Ok(json!({ "token": token }))
        }
        "codes" => {
            let limit = count("limit", 20)?.min(1000) as usize;
            let codes = api.recent_codes(limit).map_err(|e| e.to_string())?;
            let codes: Vec<Value> =
                codes.iter().map(|c| json!({ "phone": c.phone_as_sent, "code": c.code, "dc": c.dc })).collect();
            Ok(json!({ "codes": codes }))
        }
        "fail_method" => {
            let method = required("method")?;
            if shared.layers.our_schema().result_type(&method).is_none() {
                return Err(format!("no method {method:?} in layer {}", ferrogram_tl::LAYER));
            }
            let name = required("error")?;
            let code = match &request["code"] {
                Value::Null => default_code(&name),
                value => value.as_i64().and_then(|c| i32::try_from(c).ok()).ok_or("\"code\" is no error code")?,
            };
            let user = text("phone").map(|phone| user_id(shared, &phone)).transpose()?;
            let times = count("times", 1)? as u32;
            shared.faults.fail_method(&method, RpcError::new(code, &name), times, user);
            Ok(json!({}))
        }
        "withhold_updates" => {
            let user = user_id(shared, &required("phone")?)?;
            let keys = shared.withhold_updates(user, count("count", 1)? as u32).map_err(|e| e.to_string())?;
            Ok(json!({ "devices": keys }))
        }
        "drop_connections" => {
            let user = user_id(shared, &required("phone")?)?;
            let closed = shared.drop_connections(user).map_err(|e| e.to_string())?;
            Ok(json!({ "closed": closed }))
        }
        "send_message" => {
            let from = user_id(shared, &required("from")?)?;
            let to = recipient(shared, &required("to")?)?;
            let id =
                super::acting::send_message_as(shared, from, &to, &required("text")?).map_err(|e| e.to_string())?;
            Ok(json!({ "message_id": id }))
        }
        "clear_faults" => {
            shared.faults.clear();
            Ok(json!({}))
        }
        "" => Err("missing \"command\"".into()),
        other => Err(format!("unknown command {other:?}")),
    }
}

/// `flood_messages {from, to, count}`: see [`LocalServer::flood_messages`](super::LocalServer::flood_messages).
/// Answers once every push is queued.
async fn flood(shared: &Arc<Shared>, request: &Value) -> Result<Value, String> {
    let phone = |name: &str| request[name].as_str().ok_or_else(|| format!("missing string field {name:?}"));
    let count =
        request["count"].as_u64().and_then(|n| u32::try_from(n).ok()).ok_or("\"count\" is no count of messages")?;
    let (from, to) = {
        let (from, to) = (phone("from")?.to_owned(), phone("to")?.to_owned());
        let lookup = shared.clone();
        tokio::task::spawn_blocking(move || Ok::<_, String>((user_id(&lookup, &from)?, user_id(&lookup, &to)?)))
            .await
            .map_err(|e| e.to_string())??
    };
    let report = super::flood::flood_messages(shared, from, to, count).await.map_err(|e| e.to_string())?;
    Ok(json!({
        "messages": report.messages,
        "first_id": report.first_id,
        "first_pts": report.first_pts,
        "last_pts": report.last_pts,
        "devices": report.devices,
        "pushed": report.pushed,
        "too_long": report.too_long,
        "paused": report.paused,
        "storing_ms": report.storing.as_millis() as u64,
        "pushing_ms": report.pushing.as_millis() as u64,
    }))
}

/// The error code Telegram uses with an error of this name.
fn default_code(name: &str) -> i32 {
    if name.starts_with("FLOOD_WAIT_") || name.starts_with("SLOWMODE_WAIT_") {
        420
    } else if name.ends_with("_MIGRATE") || name.contains("_MIGRATE_") {
        303
    } else if name == "INTERNAL" || name.ends_with("_FAILED") {
        500
    } else if name.starts_with("AUTH_KEY_") || name == "SESSION_REVOKED" {
        401
    } else {
        400
    }
}

/// A recipient as the admin channel names it: a phone, `@username`, `me` or `chat:ID`.
fn recipient(shared: &Shared, to: &str) -> Result<super::acting::Recipient, String> {
    use super::acting::Recipient;
    if to == "me" {
        return Ok(Recipient::SavedMessages);
    }
    if let Some(id) = to.strip_prefix("chat:") {
        return id.parse().map(Recipient::Chat).map_err(|_| format!("{to:?}: no chat id"));
    }
    if let Some(username) = to.strip_prefix('@') {
        return match shared.api.store().user_by_username(username) {
            Ok(Some(user)) => Ok(Recipient::User(user.id)),
            Ok(None) => Err(format!("no user @{username}")),
            Err(e) => Err(e.to_string()),
        };
    }
    user_id(shared, to).map(Recipient::User)
}

fn user_id(shared: &Shared, phone: &str) -> Result<i64, String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match shared.api.store().user_by_phone(&digits) {
        Ok(Some(user)) => Ok(user.id),
        Ok(None) => Err(format!("no user with phone {phone}")),
        Err(e) => Err(e.to_string()),
    }
}
