//! Names of peers for `dialogs` and `resolve`: the peer cache knows ids, access hashes and
//! usernames, not names, so they are asked of the server (`users.getUsers`,
//! `messages.getChats`, `channels.getChannels`), a bounded batch at a time.

use std::collections::HashMap;

use anyhow::Context as _;
use ferrogram::{Client, Peer};
use ferrogram_tl::{enums, functions, types};

/// The most peers of one kind asked in one call.
pub const BATCH: usize = 100;

/// What the server says about a user, group or channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerInfo {
    /// The access hash that names it for this account (none for basic groups).
    pub access_hash: Option<i64>,
    /// A user's first and last name, a group's or channel's title.
    pub name: Option<String>,
    /// The username, without `@`.
    pub username: Option<String>,
}

/// The info of each of `peers` the server tells (at most [`BATCH`] of them: callers with more
/// ask again). Peers this account cannot name (not in the peer cache) are left out.
pub async fn describe(client: &Client, peers: &[Peer]) -> anyhow::Result<HashMap<Peer, PeerInfo>> {
    let mut users = Vec::new();
    let mut chats = Vec::new();
    let mut channels = Vec::new();
    for peer in peers.iter().take(BATCH) {
        match peer {
            Peer::Chat(id) => chats.push(*id),
            Peer::User(_) | Peer::Channel(_) => match client.resolve_peer(*peer).await {
                Ok(enums::InputPeer::InputPeerSelf(_)) => users.push(types::InputUserSelf {}.into()),
                Ok(enums::InputPeer::User(u)) => {
                    users.push(types::InputUser { user_id: u.user_id, access_hash: u.access_hash }.into())
                }
                Ok(enums::InputPeer::Channel(c)) => {
                    channels.push(types::InputChannel { channel_id: c.channel_id, access_hash: c.access_hash }.into())
                }
                // Not nameable (never seen, or seen only as a min constructor): no name to show.
                _ => {}
            },
        }
    }
    let mut found = HashMap::new();
    if !users.is_empty() {
        let answer = client.invoke(&functions::users::GetUsers { id: users }).await.context("users.getUsers")?;
        found.extend(answer.iter().filter_map(user_info));
    }
    if !chats.is_empty() {
        let answer = client.invoke(&functions::messages::GetChats { id: chats }).await.context("messages.getChats")?;
        found.extend(chats_of(answer).iter().filter_map(chat_info));
    }
    if !channels.is_empty() {
        let request = functions::channels::GetChannels { id: channels };
        let answer = client.invoke(&request).await.context("channels.getChannels")?;
        found.extend(chats_of(answer).iter().filter_map(chat_info));
    }
    Ok(found)
}

fn chats_of(answer: enums::messages::Chats) -> Vec<enums::Chat> {
    match answer {
        enums::messages::Chats::Chats(c) => c.chats,
        enums::messages::Chats::Slice(c) => c.chats,
    }
}

/// A user's info: the name as "first last" (either may be missing).
fn user_info(user: &enums::User) -> Option<(Peer, PeerInfo)> {
    let enums::User::User(user) = user else { return None };
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let info = PeerInfo {
        access_hash: user.access_hash,
        name: (!name.is_empty()).then_some(name),
        username: user.username.clone(),
    };
    Some((Peer::User(user.id), info))
}

fn chat_info(chat: &enums::Chat) -> Option<(Peer, PeerInfo)> {
    let (peer, access_hash, title, username) = match chat {
        enums::Chat::Chat(c) => (Peer::Chat(c.id), None, &c.title, None),
        enums::Chat::Forbidden(c) => (Peer::Chat(c.id), None, &c.title, None),
        enums::Chat::Channel(c) => (Peer::Channel(c.id), c.access_hash, &c.title, c.username.clone()),
        enums::Chat::ChannelForbidden(c) => (Peer::Channel(c.id), Some(c.access_hash), &c.title, None),
        _ => return None,
    };
    Some((peer, PeerInfo { access_hash, name: Some(title.clone()), username }))
}
