//! Peers as one account sees them (<https://core.telegram.org/api/peers>): the `access_hash` a
//! viewer gets for each user, the input peers and input users a client names others with, and the
//! `user` constructor as the viewer may see it (<https://core.telegram.org/constructor/user>).
//!
//! Access hashes are derived, not stored: the first 8 bytes (little-endian) of
//! `SHA-256(peer_secret || viewer_id || user_id)` (ids little-endian), with the store's random
//! [`peer_secret`](crate::store::Store::peer_secret). Each account gets its own hash for each
//! user, so a hash one account learned names nobody for another: it answers `PEER_ID_INVALID` /
//! `USER_ID_INVALID` there, as Telegram does.

use ferrogram_tl::{enums, types};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::failure::{self, fail};
use super::Api;
use crate::context::RpcError;
use crate::store::UserRecord;

/// A peer an input peer resolved to: a user, a basic group or a channel, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PeerRef {
    /// A user (or bot).
    User(i64),
    /// A basic group (`chat`).
    Chat(i64),
    /// A channel or supergroup.
    #[allow(dead_code)] // No channel exists yet: nothing resolves to one.
    Channel(i64),
}

impl Api {
    /// The `access_hash` the account `viewer_id` gets (and must send back) for `user_id`.
    pub(crate) fn access_hash(&self, viewer_id: i64, user_id: i64) -> i64 {
        let digest = Sha256::new()
            .chain_update(self.store.peer_secret())
            .chain_update(viewer_id.to_le_bytes())
            .chain_update(user_id.to_le_bytes())
            .finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_le_bytes(first)
    }

    /// Whether `hash` is the one `viewer_id` got for `user_id` (compared in constant time).
    fn hash_is_valid(&self, viewer_id: i64, user_id: i64, hash: i64) -> bool {
        bool::from(self.access_hash(viewer_id, user_id).to_le_bytes().ct_eq(&hash.to_le_bytes()))
    }

    /// The user `user_id` if `hash` is valid for it from `viewer`. The viewer's own id is
    /// accepted with any hash: it names no one else, and the self user's hashes handed out by
    /// earlier versions of this server (a random stored one) keep working.
    fn user_by_hash(&self, viewer: &UserRecord, user_id: i64, hash: i64) -> Result<Option<UserRecord>, RpcError> {
        if user_id == viewer.id {
            return Ok(Some(viewer.clone()));
        }
        if !self.hash_is_valid(viewer.id, user_id, hash) {
            return Ok(None);
        }
        self.store.user(user_id).map_err(|e| failure::internal(&e))
    }

    /// The peer `peer` names for `viewer`: `inputPeerSelf` is the viewer; `inputPeerUser` needs
    /// the viewer's hash for that user (`PEER_ID_INVALID` otherwise, and for unknown users);
    /// `inputPeerChat` is taken as given (whether the viewer is a member is for the caller to
    /// check). No channels exist here: `CHANNEL_INVALID`.
    pub(crate) fn resolve_input_peer(&self, viewer: &UserRecord, peer: &enums::InputPeer) -> Result<PeerRef, RpcError> {
        match peer {
            enums::InputPeer::InputPeerSelf(_) => Ok(PeerRef::User(viewer.id)),
            enums::InputPeer::User(p) => match self.user_by_hash(viewer, p.user_id, p.access_hash)? {
                Some(user) => Ok(PeerRef::User(user.id)),
                None => Err(fail(&[], "PEER_ID_INVALID")),
            },
            enums::InputPeer::Chat(p) if p.chat_id > 0 => Ok(PeerRef::Chat(p.chat_id)),
            enums::InputPeer::Chat(_) => Err(fail(&[], "PEER_ID_INVALID")),
            enums::InputPeer::Channel(_) => Err(fail(&[], "CHANNEL_INVALID")),
            // A peer "from a message" is valid if the viewer can see that message in that chat;
            // this needs message visibility, which is not checked here yet.
            enums::InputPeer::UserFromMessage(_) => Err(fail(&[], "PEER_ID_INVALID")),
            enums::InputPeer::ChannelFromMessage(_) => Err(fail(&[], "CHANNEL_INVALID")),
            enums::InputPeer::Empty(_) => Err(fail(&[], "PEER_ID_INVALID")),
        }
    }

    /// The user `user` names for `viewer`: `inputUserSelf` is the viewer; `inputUser` needs the
    /// viewer's hash for that user. Anything else (a wrong hash, an unknown user,
    /// `inputUserEmpty`, a user "from a message", which needs message visibility) is
    /// `USER_ID_INVALID`.
    pub(crate) fn resolve_input_user(
        &self,
        viewer: &UserRecord,
        user: &enums::InputUser,
    ) -> Result<UserRecord, RpcError> {
        let found = match user {
            enums::InputUser::InputUserSelf(_) => Some(viewer.clone()),
            enums::InputUser::InputUser(u) => self.user_by_hash(viewer, u.user_id, u.access_hash)?,
            enums::InputUser::FromMessage(_) | enums::InputUser::Empty(_) => None,
        };
        found.ok_or_else(|| fail(&[], "USER_ID_INVALID"))
    }

    /// `user` as `viewer` sees it: `self` with the phone for the viewer itself; for others the
    /// viewer's `access_hash`, `contact` if the viewer has them in its contacts (then with the
    /// name the viewer saved), `mutual_contact` if both have each other, and the phone only if
    /// `user` has the viewer in its contacts (Telegram's default phone privacy, "My contacts") or
    /// the viewer saved `user` under that very number ("users who already have your number
    /// saved in the contacts will also see it", with the default "who can find me by my number:
    /// everybody"; so Telethon's `get_entity('+phone')` finds an imported contact).
    /// Every user's status is `userStatusRecently` (last activity is not tracked).
    pub(crate) fn user_view(&self, viewer: &UserRecord, user: &UserRecord) -> Result<enums::User, RpcError> {
        let internal = |e: crate::store::StoreError| failure::internal(&e);
        let is_self = viewer.id == user.id;
        let (saved, theirs) = if is_self {
            (None, false)
        } else {
            let saved = self.store.contact(viewer.id, user.id).map_err(internal)?;
            let theirs = self.store.contact(user.id, viewer.id).map_err(internal)?.is_some();
            (saved, theirs)
        };
        let (first_name, last_name) = match &saved {
            Some(c) if !c.first_name.is_empty() || !c.last_name.is_empty() => (&c.first_name, &c.last_name),
            _ => (&user.first_name, &user.last_name),
        };
        let contact = saved.is_some();
        Ok(types::User {
            is_self,
            contact,
            mutual_contact: contact && theirs,
            bot: user.is_bot,
            // A bot made by the admin command is a plain bot: no groups, no inline mode.
            bot_nochats: user.is_bot,
            id: user.id,
            access_hash: Some(self.access_hash(viewer.id, user.id)),
            first_name: Some(first_name.clone()),
            last_name: (!last_name.is_empty()).then(|| last_name.clone()),
            username: user.username.clone(),
            phone: if is_self || theirs || saved_number(saved.as_ref(), user) { user.phone.clone() } else { None },
            status: (!user.is_bot).then(|| types::UserStatusRecently { by_me: false }.into()),
            bot_info_version: user.is_bot.then_some(1),
            ..Default::default()
        }
        .into())
    }

    /// `auth.authorization` for a sign-in of `user`, with the user as it sees itself.
    pub(crate) fn authorization(&self, user: &UserRecord) -> Result<enums::auth::Authorization, RpcError> {
        Ok(types::auth::Authorization {
            setup_password_required: false,
            otherwise_relogin_days: None,
            tmp_sessions: None,
            future_auth_token: None,
            user: self.user_view(user, user)?,
        }
        .into())
    }
}

/// Whether `contact` (the viewer's saved contact for `user`, if any) holds `user`'s own number,
/// written as phone books write it.
fn saved_number(contact: Option<&crate::store::ContactRecord>, user: &UserRecord) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    match (contact, &user.phone) {
        (Some(c), Some(phone)) => !phone.is_empty() && digits(&c.phone) == *phone,
        _ => false,
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{os_random, AdminUser, ApiConfig};
    use crate::store::ContactRecord;

    fn api_with_two() -> (Api, UserRecord, UserRecord) {
        let api = Api::open(None, ApiConfig::local(4430), os_random()).unwrap();
        let make = |phone: &str, name: &str| {
            api.create_user(&AdminUser { phone: phone.into(), first_name: name.into(), ..Default::default() }, 1)
                .unwrap()
        };
        let ada = make("+15550001236", "Ada");
        let bob = make("+15550001239", "Bob");
        (api, ada, bob)
    }

    fn user(view: enums::User) -> types::User {
        match view {
            enums::User::User(u) => u,
            other => panic!("expected a user, got {other:?}"),
        }
    }

    #[test]
    fn hashes_depend_on_the_viewer_and_resolve_only_for_it() {
        let (api, ada, bob) = api_with_two();
        let for_ada = api.access_hash(ada.id, bob.id);
        assert_ne!(for_ada, api.access_hash(bob.id, bob.id));
        assert_eq!(for_ada, api.access_hash(ada.id, bob.id), "derived the same way every time");
        let peer = |hash| enums::InputPeer::from(types::InputPeerUser { user_id: bob.id, access_hash: hash });
        assert_eq!(api.resolve_input_peer(&ada, &peer(for_ada)).unwrap(), PeerRef::User(bob.id));
        // Bob's own hash (from his self user) names nobody for Ada.
        let bobs_own = api.access_hash(bob.id, bob.id);
        assert_eq!(api.resolve_input_peer(&ada, &peer(bobs_own)).unwrap_err().name, "PEER_ID_INVALID");
        let input = |hash| enums::InputUser::from(types::InputUser { user_id: bob.id, access_hash: hash });
        assert_eq!(api.resolve_input_user(&ada, &input(for_ada)).unwrap().id, bob.id);
        assert_eq!(api.resolve_input_user(&ada, &input(for_ada ^ 1)).unwrap_err().name, "USER_ID_INVALID");
        // An unknown id, even with the hash it would have, is no one.
        let ghost = types::InputPeerUser { user_id: 5, access_hash: api.access_hash(ada.id, 5) };
        assert_eq!(api.resolve_input_peer(&ada, &ghost.into()).unwrap_err().name, "PEER_ID_INVALID");
    }

    #[test]
    fn input_peers_of_every_kind() {
        let (api, ada, _) = api_with_two();
        let resolve = |peer: enums::InputPeer| api.resolve_input_peer(&ada, &peer);
        assert_eq!(resolve(types::InputPeerSelf {}.into()).unwrap(), PeerRef::User(ada.id));
        assert_eq!(resolve(types::InputPeerChat { chat_id: 9 }.into()).unwrap(), PeerRef::Chat(9));
        assert_eq!(resolve(types::InputPeerChat { chat_id: -9 }.into()).unwrap_err().name, "PEER_ID_INVALID");
        assert_eq!(resolve(types::InputPeerEmpty {}.into()).unwrap_err().name, "PEER_ID_INVALID");
        let channel = types::InputPeerChannel { channel_id: 3, access_hash: 0 };
        assert_eq!(resolve(channel.into()).unwrap_err().name, "CHANNEL_INVALID");
        let from_message = types::InputPeerUserFromMessage {
            peer: Box::new(types::InputPeerSelf {}.into()),
            msg_id: 1,
            user_id: ada.id + 1,
        };
        assert_eq!(resolve(from_message.into()).unwrap_err().name, "PEER_ID_INVALID");
        let empty = enums::InputUser::from(types::InputUserEmpty {});
        assert_eq!(api.resolve_input_user(&ada, &empty).unwrap_err().name, "USER_ID_INVALID");
        let me = enums::InputUser::from(types::InputUserSelf {});
        assert_eq!(api.resolve_input_user(&ada, &me).unwrap(), ada);
    }

    #[test]
    fn user_view_shows_contacts_names_and_phones_by_privacy() {
        let (api, ada, bob) = api_with_two();
        let me = user(api.user_view(&ada, &ada).unwrap());
        assert!(me.is_self && !me.contact && me.phone.as_deref() == Some("15550001236"));
        assert_eq!(me.access_hash, Some(api.access_hash(ada.id, ada.id)));

        let stranger = user(api.user_view(&ada, &bob).unwrap());
        assert!(!stranger.is_self && !stranger.contact && !stranger.mutual_contact);
        assert_eq!((stranger.phone, stranger.first_name.as_deref()), (None, Some("Bob")));
        assert_eq!(stranger.access_hash, Some(api.access_hash(ada.id, bob.id)));
        assert!(matches!(stranger.status, Some(enums::UserStatus::Recently(_))));

        let saved = |owner: &UserRecord, of: &UserRecord, name: &str| ContactRecord {
            owner_id: owner.id,
            user_id: of.id,
            first_name: name.into(),
            last_name: String::new(),
            phone: of.phone.clone().unwrap_or_default(),
            added: 1,
        };
        // Saved without his number (contacts.addContact by id): Bob's phone stays hidden.
        api.store.put_contact(&ContactRecord { phone: String::new(), ..saved(&ada, &bob, "Robert") }).unwrap();
        let contact = user(api.user_view(&ada, &bob).unwrap());
        assert!(contact.contact && !contact.mutual_contact);
        assert_eq!(contact.first_name.as_deref(), Some("Robert"), "the name Ada saved");
        assert_eq!(contact.phone, None, "Bob does not have Ada and she saved no number: hidden");
        // Saved under his number, as a phone book writes it: she sees it.
        let written = format!("+{}", bob.phone.as_deref().unwrap());
        api.store.put_contact(&ContactRecord { phone: written, ..saved(&ada, &bob, "Robert") }).unwrap();
        assert_eq!(user(api.user_view(&ada, &bob).unwrap()).phone, bob.phone, "Ada saved his number");
        let other = ContactRecord { phone: "+15559990000".into(), ..saved(&ada, &bob, "Robert") };
        api.store.put_contact(&other).unwrap();
        assert_eq!(user(api.user_view(&ada, &bob).unwrap()).phone, None, "another number shows nothing");
        // Bob sees Ada's phone: she has him in her contacts.
        let ada_for_bob = user(api.user_view(&bob, &ada).unwrap());
        assert!(!ada_for_bob.contact && ada_for_bob.phone.as_deref() == Some("15550001236"));

        api.store.put_contact(&saved(&bob, &ada, "")).unwrap();
        let mutual = user(api.user_view(&ada, &bob).unwrap());
        assert!(mutual.contact && mutual.mutual_contact && mutual.phone.is_some());
        let ada_for_bob = user(api.user_view(&bob, &ada).unwrap());
        assert_eq!(ada_for_bob.first_name.as_deref(), Some("Ada"), "no saved name: her own");
    }
}
