//! Contacts and finding people (<https://core.telegram.org/api/contacts>):
//! `contacts.importContacts` (by phone), `contacts.addContact` (a user the caller can name),
//! `contacts.getContacts` (with its cache `hash`,
//! <https://core.telegram.org/api/offsets#hash-generation>), `contacts.getContactIDs`,
//! `contacts.deleteContacts`, `contacts.search`, `contacts.resolveUsername`,
//! `contacts.resolvePhone`, `contacts.getStatuses`, and the lists this server keeps empty:
//! `contacts.getBlocked`, `contacts.getTopPeers`.
//!
//! Each user in an answer is the `user` as the caller sees it: its `access_hash` for the caller,
//! the name the caller saved for a contact, the phone only where the user's privacy allows.

use ferrogram_tl::functions::contacts;
use ferrogram_tl::{enums, types, Serializable};

use super::failure::{self, fail};
use super::login::MAX_NAME_CHARS;
use super::{tl, Api};
use crate::context::{CallContext, RpcError};
use crate::phone::PhoneNumber;
use crate::store::{ContactRecord, StoreError, UserRecord};

/// Contacts one `contacts.importContacts` imports at most; the rest come back in
/// `retry_contacts`, to be sent again.
pub const MAX_IMPORT_PER_CALL: usize = 1000;
/// Contacts one account may have; past it, imports come back in `retry_contacts`.
pub const MAX_CONTACTS: usize = 10_000;
/// Most users `contacts.search` answers (its `limit` is clamped to `1..=` this).
pub const MAX_SEARCH_RESULTS: i32 = 100;

fn internal(e: StoreError) -> RpcError {
    failure::internal(&e)
}

/// Telegram's hash of a list of ids (<https://core.telegram.org/api/offsets#hash-generation>):
/// a fold over unsigned 64-bit values with wrapping addition, read as a signed `long`.
pub(crate) fn vector_hash(ids: impl IntoIterator<Item = i64>) -> i64 {
    let mut hash: u64 = 0;
    for id in ids {
        hash ^= hash >> 21;
        hash ^= hash << 35;
        hash ^= hash >> 4;
        hash = hash.wrapping_add(id as u64);
    }
    hash as i64
}

/// A phone number as phone books write it (`+1 (555) 000-1236`): its digits, if they form a
/// number.
fn phone_book_number(sent: &str) -> Option<PhoneNumber> {
    let digits: String = sent.chars().filter(char::is_ascii_digit).collect();
    PhoneNumber::parse(&digits)
}

/// A name as saved for a contact: trimmed, at most [`MAX_NAME_CHARS`] characters.
fn saved_name(name: &str) -> String {
    name.trim().chars().take(MAX_NAME_CHARS).collect()
}

/// Whether `name` can be a username anyone has: letters, digits and `_`, 1 to 64 of them
/// (longer than an account may choose, for the bots the admin command names).
fn resolvable_username(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Api {
    /// The signed-in user of a call to a method bots may use (`bots_can_use`) or not
    /// (`400 BOT_METHOD_INVALID` for a bot then).
    pub(crate) fn caller(&self, ctx: &CallContext, bots_can_use: bool) -> Result<UserRecord, RpcError> {
        let me = self.me(ctx)?;
        if me.is_bot && !bots_can_use {
            return Err(fail(&[], "BOT_METHOD_INVALID"));
        }
        Ok(me)
    }

    /// `user_view` of each of `users`, for `viewer`.
    pub(crate) fn user_views(&self, viewer: &UserRecord, users: &[UserRecord]) -> Result<Vec<enums::User>, RpcError> {
        users.iter().map(|u| self.user_view(viewer, u)).collect()
    }

    /// `contacts.importContacts`: each phone contact whose number has an account becomes (or
    /// stays, with the new saved name) a contact; `imported` pairs its `client_id` with the user,
    /// `users` shows them. Numbers without an account import nobody (and are not kept); past
    /// [`MAX_IMPORT_PER_CALL`] or [`MAX_CONTACTS`] the `client_id`s come back in
    /// `retry_contacts`.
    pub(crate) fn import_contacts(
        &self,
        ctx: &CallContext,
        req: contacts::ImportContacts,
    ) -> Result<Vec<u8>, RpcError> {
        let me = self.caller(ctx, contacts::ImportContacts::BOTS_CAN_USE)?;
        let mut count = self.store.contacts(me.id).map_err(internal)?.len();
        let mut imported = Vec::new();
        let mut retry = Vec::new();
        let mut users: Vec<UserRecord> = Vec::new();
        for (i, contact) in req.contacts.iter().enumerate() {
            let enums::InputContact::InputPhoneContact(contact) = contact;
            if i >= MAX_IMPORT_PER_CALL {
                retry.push(contact.client_id);
                continue;
            }
            let Some(phone) = phone_book_number(&contact.phone) else { continue };
            let Some(user) = self.store.user_by_phone(phone.digits()).map_err(internal)? else { continue };
            let known = self.store.contact(me.id, user.id).map_err(internal)?.is_some();
            if !known && count >= MAX_CONTACTS {
                retry.push(contact.client_id);
                continue;
            }
            self.store
                .put_contact(&ContactRecord {
                    owner_id: me.id,
                    user_id: user.id,
                    first_name: saved_name(&contact.first_name),
                    last_name: saved_name(&contact.last_name),
                    phone: contact.phone.chars().take(32).collect(),
                    added: ctx.now,
                })
                .map_err(internal)?;
            count += usize::from(!known);
            imported.push(types::ImportedContact { user_id: user.id, client_id: contact.client_id }.into());
            if !users.iter().any(|u| u.id == user.id) {
                users.push(user);
            }
        }
        Ok(enums::contacts::ImportedContacts::from(types::contacts::ImportedContacts {
            imported,
            popular_invites: Vec::new(),
            retry_contacts: retry,
            users: self.user_views(&me, &users)?,
        })
        .to_bytes())
    }

    /// `contacts.addContact`: adds a user the caller can name to its contacts (or renames the
    /// contact) under the name given, and answers an `updates` with no updates and the user as
    /// the caller now sees it. `CONTACT_ID_INVALID` for what names no one, or the caller itself;
    /// `CONTACT_NAME_EMPTY` if both names are empty. The contact sees the caller's phone, as
    /// every user the caller has in its contacts does (the default privacy), so
    /// `add_phone_privacy_exception` changes nothing.
    pub(crate) fn add_contact(&self, ctx: &CallContext, req: contacts::AddContact) -> Result<Vec<u8>, RpcError> {
        let errors = contacts::AddContact::POSSIBLE_ERRORS;
        let me = self.caller(ctx, contacts::AddContact::BOTS_CAN_USE)?;
        let user = match self.resolve_input_user(&me, &req.id) {
            Ok(user) if user.id != me.id => user,
            Ok(_) => return Err(fail(errors, "CONTACT_ID_INVALID")),
            Err(e) if e.name == "USER_ID_INVALID" => return Err(fail(errors, "CONTACT_ID_INVALID")),
            Err(e) => return Err(e),
        };
        let (first_name, last_name) = (saved_name(&req.first_name), saved_name(&req.last_name));
        if first_name.is_empty() && last_name.is_empty() {
            return Err(fail(errors, "CONTACT_NAME_EMPTY"));
        }
        // No limit here: each contact is an account the caller could name, and Telegram
        // documents no error for too many (imports past `MAX_CONTACTS` are retried instead).
        let known = self.store.contact(me.id, user.id).map_err(internal)?;
        let phone = match phone_book_number(&req.phone) {
            Some(phone) => phone.digits().to_owned(),
            None => known.map(|c| c.phone).unwrap_or_default(),
        };
        self.store
            .put_contact(&ContactRecord {
                owner_id: me.id,
                user_id: user.id,
                first_name,
                last_name,
                phone,
                added: ctx.now,
            })
            .map_err(internal)?;
        Ok(enums::Updates::from(types::Updates {
            updates: Vec::new(),
            users: vec![self.user_view(&me, &user)?],
            chats: Vec::new(),
            date: tl::clamp_i32(ctx.now),
            seq: 0,
        })
        .to_bytes())
    }

    /// `contacts.getContactIDs`: the ids of the caller's contacts, ascending (an id too large
    /// for the method's `int` is left out).
    pub(crate) fn get_contact_ids(
        &self,
        ctx: &CallContext,
        _req: contacts::GetContactIDs,
    ) -> Result<Vec<u8>, RpcError> {
        let me = self.caller(ctx, contacts::GetContactIDs::BOTS_CAN_USE)?;
        let ids: Vec<i32> =
            self.contact_users(&me)?.iter().filter_map(|(c, _)| i32::try_from(c.user_id).ok()).collect();
        Ok(ids.to_bytes())
    }

    /// `contacts.resolvePhone`: the user with this phone number (written as phone books write
    /// it) as a peer, with the user; anyone may be found by number (Telegram's default privacy).
    /// `PHONE_NOT_OCCUPIED` if no account has it, `PHONE_NUMBER_INVALID` if it is no number.
    pub(crate) fn resolve_phone(&self, ctx: &CallContext, req: contacts::ResolvePhone) -> Result<Vec<u8>, RpcError> {
        let errors = contacts::ResolvePhone::POSSIBLE_ERRORS;
        let me = self.caller(ctx, contacts::ResolvePhone::BOTS_CAN_USE)?;
        let phone = phone_book_number(&req.phone).ok_or_else(|| fail(errors, "PHONE_NUMBER_INVALID"))?;
        let user = self
            .store
            .user_by_phone(phone.digits())
            .map_err(internal)?
            .ok_or_else(|| fail(errors, "PHONE_NOT_OCCUPIED"))?;
        Ok(enums::contacts::ResolvedPeer::from(types::contacts::ResolvedPeer {
            peer: types::PeerUser { user_id: user.id }.into(),
            chats: Vec::new(),
            users: vec![self.user_view(&me, &user)?],
        })
        .to_bytes())
    }

    /// The caller's contacts that still have an account, by id, with the users.
    fn contact_users(&self, me: &UserRecord) -> Result<Vec<(ContactRecord, UserRecord)>, RpcError> {
        let mut found = Vec::new();
        for contact in self.store.contacts(me.id).map_err(internal)? {
            if let Some(user) = self.store.user(contact.user_id).map_err(internal)? {
                found.push((contact, user));
            }
        }
        Ok(found)
    }

    /// `contacts.getContacts`: the caller's contacts by id, or `contacts.contactsNotModified`
    /// when `hash` is the hash of exactly those ids (a hash of 0 always gets the list).
    pub(crate) fn get_contacts(&self, ctx: &CallContext, req: contacts::GetContacts) -> Result<Vec<u8>, RpcError> {
        let me = self.caller(ctx, contacts::GetContacts::BOTS_CAN_USE)?;
        let found = self.contact_users(&me)?;
        let hash = vector_hash(found.iter().map(|(c, _)| c.user_id));
        if req.hash != 0 && req.hash == hash {
            return Ok(enums::contacts::Contacts::from(types::contacts::ContactsNotModified {}).to_bytes());
        }
        let mut list = Vec::with_capacity(found.len());
        let mut users = Vec::with_capacity(found.len());
        for (contact, user) in &found {
            let mutual = self.store.contact(user.id, me.id).map_err(internal)?.is_some();
            list.push(types::Contact { user_id: contact.user_id, mutual }.into());
            users.push(self.user_view(&me, user)?);
        }
        Ok(enums::contacts::Contacts::from(types::contacts::Contacts {
            contacts: list,
            saved_count: i32::try_from(found.len()).unwrap_or(i32::MAX),
            users,
        })
        .to_bytes())
    }

    /// `contacts.deleteContacts`: removes the named users from the caller's contacts (what names
    /// no one, or no contact, is passed over) and answers an `updates` with no updates, the
    /// users as the caller now sees them and the date.
    pub(crate) fn delete_contacts(
        &self,
        ctx: &CallContext,
        req: contacts::DeleteContacts,
    ) -> Result<Vec<u8>, RpcError> {
        let me = self.caller(ctx, contacts::DeleteContacts::BOTS_CAN_USE)?;
        let mut users: Vec<UserRecord> = Vec::new();
        for input in req.id.iter().take(MAX_IMPORT_PER_CALL) {
            match self.resolve_input_user(&me, input) {
                Ok(user) if !users.iter().any(|u| u.id == user.id) => users.push(user),
                Ok(_) => {}
                Err(e) if e.name == "USER_ID_INVALID" => {}
                Err(e) => return Err(e),
            }
        }
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        self.store.delete_contacts(me.id, &ids).map_err(internal)?;
        Ok(enums::Updates::from(types::Updates {
            updates: Vec::new(),
            users: self.user_views(&me, &users)?,
            chats: Vec::new(),
            date: tl::clamp_i32(ctx.now),
            seq: 0,
        })
        .to_bytes())
    }

    /// `contacts.search`: users with a word of their name (or of the name the caller saved), or
    /// their username, starting with `q` (a leading `@` is dropped): the caller's contacts in
    /// `my_results`, others (who have a username, so are public) in `results`; `limit` clamped
    /// to `1..=`[`MAX_SEARCH_RESULTS`]. No chats or channels exist to be found.
    pub(crate) fn search_contacts(&self, ctx: &CallContext, req: contacts::Search) -> Result<Vec<u8>, RpcError> {
        let errors = contacts::Search::POSSIBLE_ERRORS;
        let me = self.caller(ctx, contacts::Search::BOTS_CAN_USE)?;
        let q = req.q.trim();
        if q.is_empty() {
            return Err(fail(errors, "SEARCH_QUERY_EMPTY"));
        }
        let q = q.strip_prefix('@').unwrap_or(q);
        if q.is_empty() {
            return Err(fail(errors, "QUERY_TOO_SHORT"));
        }
        if q.chars().count() > MAX_NAME_CHARS {
            // Longer than any name or username: it is the prefix of nothing.
            return Ok(enums::contacts::Found::from(types::contacts::Found {
                my_results: Vec::new(),
                results: Vec::new(),
                chats: Vec::new(),
                users: Vec::new(),
            })
            .to_bytes());
        }
        let limit = req.limit.clamp(1, MAX_SEARCH_RESULTS) as usize;
        let mut found = self.store.search_users(me.id, q, limit).map_err(internal)?;
        if req.bots {
            found.retain(|u| u.is_bot);
        }
        if req.broadcasts {
            // Only channels would match; none exist.
            found.clear();
        }
        let (mut my_results, mut results) = (Vec::new(), Vec::new());
        for user in &found {
            let peer = enums::Peer::from(types::PeerUser { user_id: user.id });
            if self.store.contact(me.id, user.id).map_err(internal)?.is_some() {
                my_results.push(peer);
            } else {
                results.push(peer);
            }
        }
        Ok(enums::contacts::Found::from(types::contacts::Found {
            my_results,
            results,
            chats: Vec::new(),
            users: self.user_views(&me, &found)?,
        })
        .to_bytes())
    }

    /// `contacts.resolveUsername`: the user with this username (any case) as a peer, with the
    /// user. `USERNAME_INVALID` for what cannot be a username, `USERNAME_NOT_OCCUPIED` when no
    /// one has it.
    pub(crate) fn resolve_username(
        &self,
        ctx: &CallContext,
        req: contacts::ResolveUsername,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = contacts::ResolveUsername::POSSIBLE_ERRORS;
        let me = self.caller(ctx, contacts::ResolveUsername::BOTS_CAN_USE)?;
        if !resolvable_username(&req.username) {
            return Err(fail(errors, "USERNAME_INVALID"));
        }
        let user = self
            .store
            .user_by_username(&req.username)
            .map_err(internal)?
            .ok_or_else(|| fail(errors, "USERNAME_NOT_OCCUPIED"))?;
        Ok(enums::contacts::ResolvedPeer::from(types::contacts::ResolvedPeer {
            peer: types::PeerUser { user_id: user.id }.into(),
            chats: Vec::new(),
            users: vec![self.user_view(&me, &user)?],
        })
        .to_bytes())
    }

    /// `contacts.getStatuses`: the status of each contact (`userStatusRecently`: last activity
    /// is not tracked).
    pub(crate) fn get_statuses(&self, ctx: &CallContext, _req: contacts::GetStatuses) -> Result<Vec<u8>, RpcError> {
        let me = self.caller(ctx, contacts::GetStatuses::BOTS_CAN_USE)?;
        let statuses: Vec<enums::ContactStatus> = self
            .contact_users(&me)?
            .iter()
            .filter(|(_, user)| !user.is_bot)
            .map(|(_, user)| {
                types::ContactStatus { user_id: user.id, status: types::UserStatusRecently { by_me: false }.into() }
                    .into()
            })
            .collect();
        Ok(statuses.to_bytes())
    }

    /// `contacts.getBlocked`: nobody is blocked here, so the whole (empty) list.
    pub(crate) fn get_blocked(&self, ctx: &CallContext, _req: contacts::GetBlocked) -> Result<Vec<u8>, RpcError> {
        self.caller(ctx, contacts::GetBlocked::BOTS_CAN_USE)?;
        Ok(enums::contacts::Blocked::from(types::contacts::Blocked {
            blocked: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
        })
        .to_bytes())
    }

    /// `contacts.getTopPeers`: no rating of peers is kept, so every category is empty
    /// (`TYPES_EMPTY` when none is asked for).
    pub(crate) fn get_top_peers(&self, ctx: &CallContext, req: contacts::GetTopPeers) -> Result<Vec<u8>, RpcError> {
        let errors = contacts::GetTopPeers::POSSIBLE_ERRORS;
        self.caller(ctx, contacts::GetTopPeers::BOTS_CAN_USE)?;
        let asked = [
            req.correspondents,
            req.bots_pm,
            req.bots_inline,
            req.phone_calls,
            req.forward_users,
            req.forward_chats,
            req.groups,
            req.channels,
            req.bots_app,
            req.bots_guestchat,
        ];
        if !asked.contains(&true) {
            return Err(fail(errors, "TYPES_EMPTY"));
        }
        Ok(enums::contacts::TopPeers::from(types::contacts::TopPeers {
            categories: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
        })
        .to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_hash_is_telegrams_fold() {
        assert_eq!(vector_hash([]), 0);
        assert_eq!(vector_hash([5]), 5);
        // Two steps by hand: h = 5; h ^= h >> 21 (5); h ^= h << 35; h ^= h >> 4; h += 7.
        let mut h: u64 = 5;
        h ^= h >> 21;
        h ^= h << 35;
        h ^= h >> 4;
        assert_eq!(vector_hash([5, 7]), h.wrapping_add(7) as i64);
        assert_eq!(vector_hash([-1, -1]), vector_hash([-1, -1]));
    }

    #[test]
    fn phone_book_numbers_lose_their_punctuation() {
        assert_eq!(phone_book_number("+1 (555) 000-1236").map(|p| p.digits().to_owned()), Some("15550001236".into()));
        assert_eq!(phone_book_number("call me"), None);
    }
}
