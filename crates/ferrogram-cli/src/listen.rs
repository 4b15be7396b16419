//! `ferrogram listen`: the session's updates as JSON lines, one per event, flushed as they come.
//!
//! Each line is an object with an `"update"` kind and the fields of that kind; what the typed
//! event does not carry is in `"raw"`, the TL value as `ferrogram invoke` prints values:
//!
//! | `update`           | fields                                                        |
//! |--------------------|---------------------------------------------------------------|
//! | `new_message`      | `message`, `raw` (the TL `Message`, or `null` for short forms) |
//! | `message_edited`   | `message`, `raw`                                              |
//! | `messages_deleted` | `ids`, `channel_id` (or `null`)                               |
//! | `read_history`     | `peer`, `max_id`, `outgoing`                                  |
//! | `user_typing`      | `peer`, `user_id`, `action` (TL `SendMessageAction`)           |
//! | `user_status`      | `user_id`, `status` (TL `UserStatus`)                          |
//! | `too_long`         | (reload what you show)                                        |
//! | `other`            | `raw` (the TL `Update`)                                       |
//!
//! `message` is `{"id", "peer", "sender_id", "text", "date", "edit_date", "out", "reply_to"}`
//! and a `peer` is `{"type": "user" | "chat" | "channel", "id"}`. 64-bit ids (`peer.id`,
//! `sender_id`, `user_id`, `channel_id`, and every TL `long` in `raw`) are decimal strings
//! unless `--long-numbers`.

use std::io::Write as _;

use anyhow::Context as _;
use ferrogram::{Client, Message, Peer, SessionStore as _, SqliteSession, Update, UpdateState};
use ferrogram_tl::Serializable;
use ferrogram_tl_layers::{Layers, Longs, SchemaIndex};
use serde_json::{json, Value as Json};

use crate::account::{display_name, longs, require_key};
use crate::target::ClientArgs;

/// Options of `ferrogram listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Stop after this many updates (default: until interrupted).
    #[arg(long)]
    count: Option<u64>,
    /// Write 64-bit (`long`) values as JSON numbers instead of decimal strings.
    #[arg(long)]
    long_numbers: bool,
}

/// Prints the session's updates as JSON lines until interrupted or `--count` is reached.
/// Starts where the session's stored update state is (what happened since the last `listen`
/// comes first); a session with no state starts from now, which standard error says
/// ("listening ...") before any update is awaited.
pub async fn listen(args: ListenArgs) -> anyhow::Result<()> {
    require_key(&args.client)?;
    let layers = Layers::embedded().context("loading the schema")?;
    let opened = args.client.open()?;
    let result = run(&opened.client, &args, layers.our_schema()).await;
    opened.finish(result).await
}

async fn run(client: &Client, args: &ListenArgs, schema: &SchemaIndex) -> anyhow::Result<()> {
    client.connect().await.context("connecting")?;
    let me = match client.get_me().await {
        Ok(me) => me,
        Err(ferrogram::InvocationError::Rpc(e)) if e.code == 401 => {
            anyhow::bail!("not signed in (run `ferrogram login`)")
        }
        Err(e) => return Err(e).context("asking who the session is"),
    };
    if client.session_data().updates.is_none() {
        // Fix the starting point now, in the session, so that nothing that happens after the
        // "listening" line is missed (the client would otherwise take it at its first wait).
        let state = client.invoke(&ferrogram_tl::functions::updates::GetState {}).await.context("updates.getState")?;
        let mut data = client.session_data();
        data.updates = Some(UpdateState::from_tl(&state));
        SqliteSession::open(&args.client.session)
            .and_then(|file| file.store(&data))
            .context("storing the update state")?;
        client.connect().await.context("reloading the session")?;
    }
    eprintln!("listening for updates of {} (id {}); Ctrl-C stops", display_name(&me), me.id);
    let longs = longs(args.long_numbers);
    let mut printed = 0u64;
    while args.count.is_none_or(|count| printed < count) {
        let update = tokio::select! {
            update = client.next_update() => update.context("receiving updates")?,
            _ = tokio::signal::ctrl_c() => break,
        };
        let line = serde_json::to_string(&update_json(&update, schema, longs))?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").and_then(|()| out.flush()).context("writing to standard output")?;
        printed += 1;
    }
    Ok(())
}

/// The JSON line of one update (see the module docs for the shape).
pub fn update_json(update: &Update, schema: &SchemaIndex, longs: Longs) -> Json {
    let id = |id: i64| long(id, longs);
    match update {
        Update::NewMessage(m) | Update::MessageEdited(m) => {
            let kind = if matches!(update, Update::NewMessage(_)) { "new_message" } else { "message_edited" };
            let raw = m.raw.as_deref().map_or(Json::Null, |raw| tl_json(schema, "Message", raw, longs));
            json!({ "update": kind, "message": message_json(m, longs), "raw": raw })
        }
        Update::MessagesDeleted { ids, channel_id } => {
            json!({ "update": "messages_deleted", "ids": ids, "channel_id": channel_id.map(id) })
        }
        Update::ReadHistory { peer, max_id, outgoing } => json!({
            "update": "read_history", "peer": peer_json(peer, longs), "max_id": max_id, "outgoing": outgoing,
        }),
        Update::UserTyping { peer, user_id, action } => json!({
            "update": "user_typing", "peer": peer_json(peer, longs), "user_id": id(*user_id),
            "action": tl_json(schema, "SendMessageAction", action, longs),
        }),
        Update::UserStatus { user_id, status } => json!({
            "update": "user_status", "user_id": id(*user_id), "status": tl_json(schema, "UserStatus", status, longs),
        }),
        Update::TooLong => json!({ "update": "too_long" }),
        Update::Raw(raw) => json!({ "update": "other", "raw": tl_json(schema, "Update", raw.as_ref(), longs) }),
        // Kinds this command does not know yet: the session's next version may name them.
        _ => json!({ "update": "other", "raw": Json::Null }),
    }
}

/// A 64-bit value as JSON: a decimal string, or a number with `--long-numbers`.
pub(crate) fn long(value: i64, longs: Longs) -> Json {
    match longs {
        Longs::Numbers => json!(value),
        Longs::Strings => json!(value.to_string()),
    }
}

/// `{"type": "user" | "chat" | "channel", "id"}`.
pub(crate) fn peer_json(peer: &Peer, longs: Longs) -> Json {
    let kind = match peer {
        Peer::User(_) => "user",
        Peer::Chat(_) => "chat",
        Peer::Channel(_) => "channel",
    };
    json!({ "type": kind, "id": long(peer.id(), longs) })
}

/// `{"id", "peer", "sender_id", "text", "date", "edit_date", "out", "reply_to"}`: the line `history`
/// and `send` print, and the `message` of a `listen` line.
pub(crate) fn message_json(m: &Message, longs: Longs) -> Json {
    json!({
        "id": m.id,
        "peer": peer_json(&m.peer, longs),
        "sender_id": m.sender_id.map(|id| long(id, longs)),
        "text": m.text,
        "date": m.date,
        "edit_date": m.edit_date,
        "out": m.out,
        "reply_to": m.reply_to,
    })
}

/// A TL value of the boxed type `type_name` as JSON; a value the schema cannot read (a newer
/// layer's constructor) is `{"_": "unreadable", "error": ...}` rather than a lost line.
fn tl_json(schema: &SchemaIndex, type_name: &str, value: &impl Serializable, longs: Longs) -> Json {
    let read =
        schema.type_ref(type_name).and_then(|ty| ferrogram_tl_layers::decode_exact(schema, &ty, &value.to_bytes()));
    match read {
        Ok(value) => ferrogram_tl_layers::value_to_json_with(&value, longs),
        Err(error) => json!({ "_": "unreadable", "error": error.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_message_line_has_the_documented_shape() {
        use ferrogram_tl::Deserializable as _;
        let layers = Layers::embedded().unwrap();
        let schema = layers.our_schema();
        let ty = schema.type_ref("Message").unwrap();
        let tl = json!({"_": "message", "id": 7, "peer_id": {"_": "peerUser", "user_id": (1i64 << 60).to_string()},
            "message": "hi", "date": 100});
        let value = ferrogram_tl_layers::json_to_value(schema, &ty, &tl).unwrap();
        let bytes = ferrogram_tl_layers::encode_as(schema, &ty, &value).unwrap();
        let message = ferrogram_tl::enums::Message::from_bytes(&bytes).unwrap();
        let update = Update::NewMessage(Message::from_tl(&message, Some(5)).unwrap());
        let line = update_json(&update, layers.our_schema(), Longs::Strings);
        assert_eq!(line["update"], "new_message");
        assert_eq!(line["message"]["peer"], json!({ "type": "user", "id": (1i64 << 60).to_string() }));
        assert_eq!(line["message"]["sender_id"], json!((1i64 << 60).to_string()));
        assert_eq!(line["message"]["text"], "hi");
        assert_eq!(line["raw"]["_"], "message");
        assert_eq!(line["raw"]["peer_id"]["user_id"], json!((1i64 << 60).to_string()));
        let numbers = update_json(&update, layers.our_schema(), Longs::Numbers);
        assert_eq!(numbers["message"]["peer"]["id"], json!(1i64 << 60));
    }
}
