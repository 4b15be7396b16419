//! Acting as a user from the server side, for tests of other people's code: a message "from"
//! any account, sent through the same `messages.sendMessage` a client calls, so the recipients'
//! sessions get the very updates a real sender would cause.
//!
//! The server acts through an auth key of its own per user, derived from its secret and the user
//! id (so the same key after a restart, never more than one per user). The key has no session,
//! so nothing is pushed to it; the user's real devices get the sender's side of the updates.

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_tl::{enums, functions, types, Deserializable, Serializable};
use sha2::{Digest, Sha256};

use super::{unix_now, Shared};
use crate::context::{CallContext, RpcError};
use crate::store::StoreError;

/// Whom [`LocalServer::send_message_as`](super::LocalServer::send_message_as) sends to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The sender's own Saved Messages.
    SavedMessages,
    /// A user, by id.
    User(i64),
    /// A basic group the sender is in, by id.
    Chat(i64),
}

/// Why a message could not be sent as a user.
#[derive(Debug, thiserror::Error)]
pub enum SendAsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `messages.sendMessage` refused (the recipient is unknown, the text too long, ...).
    #[error("messages.sendMessage answered {0}")]
    Rpc(RpcError),
    /// The answer did not say which message was made.
    #[error("the answer names no new message")]
    NoMessageId,
}

/// Sends `text` as `from_user` to `to`; returns the new message's id in the sender's box.
pub(crate) fn send_message_as(shared: &Shared, from_user: i64, to: &Recipient, text: &str) -> Result<i32, SendAsError> {
    let now = unix_now().as_secs() as i64;
    let key = acting_key(shared, from_user);
    let dc = shared.api.config().dcs.first().map_or(1, |d| d.id);
    shared.api.register_auth_key(&key, dc, None, now)?;
    shared.api.store().bind_auth_key(key.id(), Some(from_user))?;
    let peer: enums::InputPeer = match to {
        Recipient::SavedMessages => types::InputPeerSelf {}.into(),
        Recipient::User(id) => {
            types::InputPeerUser { user_id: *id, access_hash: shared.api.access_hash(from_user, *id) }.into()
        }
        Recipient::Chat(id) => types::InputPeerChat { chat_id: *id }.into(),
    };
    let mut random_id = [0u8; 8];
    crate::api::os_random().fill(&mut random_id);
    let request = send_request(peer, text, i64::from_le_bytes(random_id));
    let ctx = CallContext {
        dc_id: dc,
        auth_key_id: key.id(),
        session_id: 0,
        layer: ferrogram_tl::LAYER,
        api_id: None,
        user_id: Some(from_user),
        now,
    };
    let mut pushes = Vec::new();
    let answer = shared.api.call_with_pushes(&ctx, &request.to_bytes(), &mut pushes).map_err(SendAsError::Rpc)?;
    super::pushes::deliver(shared, pushes.into_iter().map(|p| (p.auth_key_id, p.updates)));
    message_id(&answer).ok_or(SendAsError::NoMessageId)
}

/// The server's own key for acting as `user_id`: the same one every time.
fn acting_key(shared: &Shared, user_id: i64) -> AuthKey {
    let mut bytes = [0u8; 256];
    for (i, chunk) in bytes.chunks_mut(32).enumerate() {
        let block = Sha256::new()
            .chain_update(b"ferrogram acting key")
            .chain_update(shared.api.store().peer_secret())
            .chain_update(user_id.to_le_bytes())
            .chain_update([i as u8])
            .finalize();
        chunk.copy_from_slice(&block);
    }
    AuthKey::from_bytes(bytes)
}

fn message_id(answer: &[u8]) -> Option<i32> {
    match enums::Updates::from_bytes_exact(answer).ok()? {
        enums::Updates::UpdateShortSentMessage(sent) => Some(sent.id),
        enums::Updates::Updates(updates) => updates.updates.iter().find_map(|u| match u {
            enums::Update::NewMessage(new) => match &new.message {
                enums::Message::Message(m) => Some(m.id),
                _ => None,
            },
            _ => None,
        }),
        _ => None,
    }
}

fn send_request(peer: enums::InputPeer, text: &str, random_id: i64) -> functions::messages::SendMessage {
    functions::messages::SendMessage {
        peer,
        message: text.to_owned(),
        random_id,
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        reply_to: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
}
