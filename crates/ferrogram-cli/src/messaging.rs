//! `ferrogram send` and `ferrogram history`: a chat's messages from the command line, as JSON
//! lines of the shape `listen` prints for a message:
//! `{"id", "peer": {"type", "id"}, "sender_id", "text", "date", "edit_date", "out", "reply_to"}`
//! (64-bit ids as decimal strings unless `--long-numbers`).
//!
//! Also what every messaging command shares: connecting a session that must be signed in, and
//! the library's and the server's errors worded for people.

use std::io::Write as _;

use anyhow::Context as _;
use ferrogram::{ApiError, Client, InputMessage, PeerRef};
use serde_json::Value as Json;

use crate::account::{longs, require_key};
use crate::listen::message_json;
use crate::peer_arg::{parse_limit, parse_peer};
use crate::target::ClientArgs;

/// The longest text Telegram sends, in UTF-16 code units.
const MAX_TEXT_UNITS: usize = 4096;

/// Options of `ferrogram send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Who gets it: `me`, @username, +phone, or a numeric id of a chat the session has seen
    /// (`-ID` for a basic group).
    #[arg(value_parser = parse_peer, allow_negative_numbers = true)]
    pub peer: PeerRef,
    /// The text (at most 4096 characters; put `--` before a text that starts with `-`).
    pub text: String,
    /// Read TEXT as Markdown (`**bold**`, `_italic_`, `` `code` ``, `[link](url)`).
    #[arg(long, conflicts_with = "html")]
    pub markdown: bool,
    /// Read TEXT as HTML (`<b>`, `<i>`, `<code>`, `<a href>`, ...).
    #[arg(long)]
    pub html: bool,
    /// Reply to the message with this id (in the same chat).
    #[arg(long, value_name = "ID")]
    pub reply_to: Option<i32>,
    /// Send without a notification sound.
    #[arg(long)]
    pub silent: bool,
    /// Write 64-bit ids as JSON numbers instead of decimal strings.
    #[arg(long)]
    pub long_numbers: bool,
}

/// Options of `ferrogram history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Whose chat: `me`, @username, +phone, or a numeric id of a chat the session has seen
    /// (`-ID` for a basic group).
    #[arg(value_parser = parse_peer, allow_negative_numbers = true)]
    pub peer: PeerRef,
    /// How many messages, at most.
    #[arg(long, value_name = "N", default_value = "20", value_parser = parse_limit)]
    pub limit: usize,
    /// Oldest first (from the start of the chat) instead of newest first.
    #[arg(long)]
    pub reverse: bool,
    /// Start past this message id: older ones (newer ones with --reverse).
    #[arg(long, value_name = "ID")]
    pub offset_id: Option<i32>,
    /// Write 64-bit ids as JSON numbers instead of decimal strings.
    #[arg(long)]
    pub long_numbers: bool,
}

/// Sends TEXT to PEER and prints the sent message as one JSON line.
pub async fn send(args: SendArgs) -> anyhow::Result<()> {
    require_key(&args.client)?;
    let (text, entities) = if args.markdown {
        ferrogram::formatting::parse_markdown(&args.text)
    } else if args.html {
        ferrogram::formatting::parse_html(&args.text)
    } else {
        (args.text.clone(), Vec::new())
    };
    let units = text.encode_utf16().count();
    let message = InputMessage::new(text).entities(entities).reply_to(args.reply_to).silent(args.silent);
    let opened = args.client.open()?;
    let client = &opened.client;
    let result = async {
        connect_signed_in(client).await?;
        let sent = client.send_message(args.peer.clone(), message).await.map_err(|e| {
            let words = match e.rpc().map(|rpc| rpc.name.as_str()) {
                Some("MESSAGE_EMPTY") => {
                    Some("the message is empty: give some text (not only spaces or markup)".to_owned())
                }
                Some("MESSAGE_TOO_LONG") => Some(format!(
                    "the message is too long: {units} characters where Telegram takes at most {MAX_TEXT_UNITS} \
                     (counted in UTF-16 units, as Telegram counts them)"
                )),
                _ => None,
            };
            match words {
                Some(words) => anyhow::anyhow!(words),
                None => worded(e, &args.peer),
            }
        })?;
        print_line(&message_json(&sent, longs(args.long_numbers)))
    }
    .await;
    opened.finish(result).await
}

/// Prints PEER's messages, one JSON line each, in the order iterated.
pub async fn history(args: HistoryArgs) -> anyhow::Result<()> {
    require_key(&args.client)?;
    let opened = args.client.open()?;
    let client = &opened.client;
    let result = async {
        connect_signed_in(client).await?;
        let mut messages = client.iter_messages(args.peer.clone()).limit(args.limit).reverse(args.reverse);
        if let Some(id) = args.offset_id {
            messages = messages.offset_id(id);
        }
        let longs = longs(args.long_numbers);
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| worded(e, &args.peer))?;
            print_line(&message_json(&message, longs))?;
        }
        Ok(())
    }
    .await;
    opened.finish(result).await
}

/// Connects, and fails with "not signed in" unless the session is signed in.
pub async fn connect_signed_in(client: &Client) -> anyhow::Result<()> {
    client.connect().await.context("connecting")?;
    if !client.is_authorized().await.context("asking whether the session is signed in")? {
        anyhow::bail!("not signed in (run `ferrogram login`)");
    }
    Ok(())
}

/// A library error about `peer` (what the caller named) in words for people.
pub fn worded(error: ApiError, peer: &PeerRef) -> anyhow::Error {
    let peer = named(peer);
    match &error {
        ApiError::UsernameNotFound(name) => anyhow::anyhow!("no user @{name}"),
        ApiError::PhoneNotFound(phone) => {
            anyhow::anyhow!("no user +{phone} (nobody has that number, or its owner does not show it to you)")
        }
        ApiError::UnknownPeer(_) => anyhow::anyhow!(
            "{peer}: this session has not seen that chat; name it by @username or +phone, \
             or list the dialogs first (`ferrogram dialogs`)"
        ),
        ApiError::NotSignedIn => anyhow::anyhow!("not signed in (run `ferrogram login`)"),
        _ => match error.rpc().map(|rpc| (rpc.code, rpc.name.as_str())) {
            Some((_, "PEER_ID_INVALID" | "USER_ID_INVALID")) => {
                anyhow::anyhow!("{peer}: the server does not know this chat for this account")
            }
            Some((401, _)) => anyhow::anyhow!("not signed in (run `ferrogram login`)"),
            _ => anyhow::Error::new(error),
        },
    }
}

/// A peer as the command line names it (`@ann`, `+1555…`, `me`, or a marked id).
fn named(peer: &PeerRef) -> String {
    match peer {
        PeerRef::Peer(peer) => peer.marked_id().to_string(),
        other => other.to_string(),
    }
}

/// Writes one JSON line to standard output, flushed (a reader sees each line as it comes).
pub fn print_line(value: &Json) -> anyhow::Result<()> {
    let line = serde_json::to_string(value)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).context("writing to standard output")
}
