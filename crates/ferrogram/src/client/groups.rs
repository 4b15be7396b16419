//! Basic groups: [`Client::create_group`], [`Client::add_member`], [`Client::remove_member`]
//! (<https://core.telegram.org/api/channel>, the "basic groups" part).

use ferrogram_tl::{enums, functions};

use super::{ApiError, Client};
use crate::peers::PeerRef;
use crate::updates::Peer;

impl Client {
    /// Creates a basic group titled `title` with the account and `users` in it; returns the
    /// group (name it in later calls as this [`Peer`] or its id).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let group = client.create_group("Weekend", ["@ann", "+15550001234"]).await?;
    /// client.send_message(group, "hello, both").await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_group<U: Into<PeerRef>>(
        &self,
        title: &str,
        users: impl IntoIterator<Item = U>,
    ) -> Result<Peer, ApiError> {
        let mut inputs = Vec::new();
        for user in users {
            inputs.push(self.resolve_user(user).await?);
        }
        let request = functions::messages::CreateChat { users: inputs, title: title.to_string(), ttl_period: None };
        let enums::messages::InvitedUsers::InvitedUsers(invited) = self.invoke(&request).await?;
        chat_of(&invited.updates).ok_or(ApiError::UnexpectedAnswer("the new group"))
    }

    /// Adds `user` to the basic group `chat` (the new member sees the history from now on).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client, group: ferrogram::Peer) -> Result<(), ferrogram::ApiError> {
    /// client.add_member(group, "@bob").await?;
    /// # Ok(()) }
    /// ```
    pub async fn add_member(&self, chat: impl Into<PeerRef>, user: impl Into<PeerRef>) -> Result<(), ApiError> {
        let chat_id = self.chat_id(chat.into()).await?;
        let user_id = self.resolve_user(user).await?;
        self.invoke(&functions::messages::AddChatUser { chat_id, user_id, fwd_limit: 0 }).await?;
        Ok(())
    }

    /// Removes `user` from the basic group `chat` (`"me"` leaves it).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client, group: ferrogram::Peer) -> Result<(), ferrogram::ApiError> {
    /// client.remove_member(group, "@bob").await?;
    /// client.remove_member(group, "me").await?; // leave
    /// # Ok(()) }
    /// ```
    pub async fn remove_member(&self, chat: impl Into<PeerRef>, user: impl Into<PeerRef>) -> Result<(), ApiError> {
        let chat_id = self.chat_id(chat.into()).await?;
        let user_id = self.resolve_user(user).await?;
        let request = functions::messages::DeleteChatUser { revoke_history: false, chat_id, user_id };
        self.invoke(&request).await?;
        Ok(())
    }

    /// The id of the basic group `chat` names.
    async fn chat_id(&self, chat: PeerRef) -> Result<i64, ApiError> {
        match self.resolve_peer(chat.clone()).await? {
            enums::InputPeer::Chat(c) => Ok(c.chat_id),
            _ => Err(ApiError::WrongKind { peer: chat, expected: "a basic group" }),
        }
    }
}

/// The group an `Updates` about a new group names: its chat, or its service message's peer.
fn chat_of(updates: &enums::Updates) -> Option<Peer> {
    let (list, chats): (&[enums::Update], &[enums::Chat]) = match updates {
        enums::Updates::Updates(u) => (&u.updates, &u.chats),
        enums::Updates::Combined(u) => (&u.updates, &u.chats),
        _ => (&[], &[]),
    };
    let from_chats = chats.iter().find_map(|c| match c {
        enums::Chat::Chat(c) => Some(Peer::Chat(c.id)),
        _ => None,
    });
    from_chats.or_else(|| {
        list.iter().find_map(|u| match u {
            enums::Update::NewMessage(u) => match &u.message {
                enums::Message::Service(m) => Some(Peer::from_tl(&m.peer_id)),
                _ => None,
            },
            _ => None,
        })
    })
}
