//! `ferrogram dialogs` and `ferrogram resolve`: the account's chat list and who a username or
//! phone number is, as JSON (64-bit ids and access hashes as decimal strings unless
//! `--long-numbers`).
//!
//! - a dialog line: `{"peer": {"type", "id"}, "name", "username", "top_message",
//!   "unread_count", "pinned"}`;
//! - a resolved peer: `{"type", "id", "access_hash", "name", "username"}`.

use anyhow::Context as _;
use ferrogram::{Dialog, Peer, PeerRef};
use ferrogram_tl_layers::Longs;
use serde_json::{json, Value as Json};

use crate::account::{longs, require_key};
use crate::listen::{long, peer_json};
use crate::messaging::{connect_signed_in, print_line, worded};
use crate::peer_arg::{parse_limit, parse_username};
use crate::peer_info::{describe, PeerInfo, BATCH};
use crate::target::ClientArgs;

/// Options of `ferrogram dialogs`.
#[derive(Debug, clap::Args)]
pub struct DialogsArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// How many dialogs, at most (default: all).
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    pub limit: Option<usize>,
    /// Write 64-bit ids as JSON numbers instead of decimal strings.
    #[arg(long)]
    pub long_numbers: bool,
}

/// Options of `ferrogram resolve`.
#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// A username (`@` optional) or a +phone number.
    #[arg(value_name = "USERNAME", value_parser = parse_username)]
    pub name: PeerRef,
    /// Write 64-bit ids and the access hash as JSON numbers instead of decimal strings.
    #[arg(long)]
    pub long_numbers: bool,
}

/// Prints the account's dialogs, pinned first then newest first, one JSON line each. Names are
/// looked up a batch of dialogs at a time, so memory stays bounded however many there are.
pub async fn dialogs(args: DialogsArgs) -> anyhow::Result<()> {
    require_key(&args.client)?;
    let opened = args.client.open()?;
    let client = &opened.client;
    let result = async {
        connect_signed_in(client).await?;
        let mut dialogs = client.iter_dialogs();
        if let Some(limit) = args.limit {
            dialogs = dialogs.limit(limit);
        }
        let longs = longs(args.long_numbers);
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let next = dialogs.next().await.transpose().context("listing the dialogs")?;
            let end = next.is_none();
            batch.extend(next);
            if batch.len() == BATCH || (end && !batch.is_empty()) {
                let peers: Vec<Peer> = batch.iter().map(|d: &Dialog| d.peer).collect();
                let infos = describe(client, &peers).await.context("looking up the dialogs' names")?;
                for dialog in batch.drain(..) {
                    print_line(&dialog_json(&dialog, infos.get(&dialog.peer), longs))?;
                }
            }
            if end {
                return Ok(());
            }
        }
    }
    .await;
    opened.finish(result).await
}

/// Prints who a username or phone number is, as one JSON object.
pub async fn resolve(args: ResolveArgs) -> anyhow::Result<()> {
    require_key(&args.client)?;
    let opened = args.client.open()?;
    let client = &opened.client;
    let result = async {
        connect_signed_in(client).await?;
        let found = match &args.name {
            PeerRef::Phone(phone) => client.resolve_phone(phone).await,
            PeerRef::Username(name) => client.resolve_username(name).await,
            other => anyhow::bail!("{other} is not a username or phone number"),
        };
        let peer = found.map_err(|e| worded(e, &args.name))?;
        let infos = describe(client, &[peer]).await.context("looking up its name")?;
        let mut info = infos.get(&peer).cloned().unwrap_or_default();
        if info.access_hash.is_none() {
            let cached = client.cached_peer(peer).context("reading the peer cache")?;
            info.access_hash = cached.and_then(|entry| entry.access_hash);
        }
        print_line(&resolved_json(peer, &info, longs(args.long_numbers)))
    }
    .await;
    opened.finish(result).await
}

fn dialog_json(dialog: &Dialog, info: Option<&PeerInfo>, longs: Longs) -> Json {
    json!({
        "peer": peer_json(&dialog.peer, longs),
        "name": info.and_then(|i| i.name.as_deref()),
        "username": info.and_then(|i| i.username.as_deref()),
        "top_message": dialog.raw.top_message,
        "unread_count": dialog.unread_count,
        "pinned": dialog.pinned,
    })
}

fn resolved_json(peer: Peer, info: &PeerInfo, longs: Longs) -> Json {
    let mut line = peer_json(&peer, longs);
    if let Some(object) = line.as_object_mut() {
        object.insert("access_hash".into(), info.access_hash.map_or(Json::Null, |hash| long(hash, longs)));
        object.insert("name".into(), json!(info.name));
        object.insert("username".into(), json!(info.username));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolved_peer_has_the_documented_shape() {
        let info = PeerInfo { access_hash: Some(-(1 << 62)), name: Some("Bea".into()), username: Some("bea".into()) };
        let line = resolved_json(Peer::User(1 << 40), &info, Longs::Strings);
        assert_eq!(
            line,
            json!({"type": "user", "id": (1i64 << 40).to_string(), "access_hash": (-(1i64 << 62)).to_string(),
                "name": "Bea", "username": "bea"})
        );
        let numbers = resolved_json(Peer::Chat(5), &PeerInfo::default(), Longs::Numbers);
        assert_eq!(numbers, json!({"type": "chat", "id": 5, "access_hash": null, "name": null, "username": null}));
    }
}
