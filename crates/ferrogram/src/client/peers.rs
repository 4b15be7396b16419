//! The client's side of the peer cache: feeding it from answers and updates, and turning a
//! [`PeerRef`] into an `InputPeer` (<https://core.telegram.org/api/peers>).

use std::sync::MutexGuard;

use ferrogram_tl::{enums, functions, types};

use super::{ApiError, Client};
use crate::errors::InvocationError;
use crate::peers::{observe, CachedPeer, PeerCache, PeerRef, MAX_NAME_BYTES};
use crate::session::PeerLookup;
use crate::updates::Peer;

impl Client {
    /// Remembers the users and chats of `users` / `chats` (and stores what changed in the
    /// session, for sessions that keep peers). A failed store is logged, not returned: the
    /// entries stay in memory.
    pub(crate) fn observe_peers(&self, users: &[enums::User], chats: &[enums::Chat]) {
        if users.is_empty() && chats.is_empty() {
            return;
        }
        let changed = self.peer_cache().observe(users, chats);
        if changed.is_empty() {
            return;
        }
        if let Err(error) = self.inner.store.store_peers(&changed) {
            tracing::warn!(%error, "could not store peers in the session");
        }
    }

    /// Remembers the users and chats of any answer of the common result types.
    pub(crate) fn observe_answer(&self, answer: &dyn std::any::Any) {
        let (users, chats) = observe::of_any(answer);
        self.observe_peers(users, chats);
    }

    /// The peer cache, locked.
    pub(crate) fn peer_cache(&self) -> MutexGuard<'_, PeerCache> {
        // The cache is consistent after every call of its own; a panic elsewhere while it was
        // held leaves nothing half-done.
        self.inner.peers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What the client knows about `peer`: the memory cache first, then the session's peer
    /// table (the entry then joins the memory cache).
    pub fn cached_peer(&self, peer: Peer) -> Result<Option<CachedPeer>, ApiError> {
        if let Some(entry) = self.peer_cache().get(peer) {
            return Ok(Some(entry.clone()));
        }
        self.stored_peer(PeerLookup::Peer(peer))
    }

    fn stored_peer(&self, lookup: PeerLookup<'_>) -> Result<Option<CachedPeer>, ApiError> {
        let found = self.inner.store.lookup_peer(lookup)?;
        if let Some(entry) = &found {
            self.peer_cache().insert(entry.clone());
        }
        Ok(found)
    }

    /// The signed-in account's id, if any.
    pub(crate) fn self_id(&self) -> Option<i64> {
        self.data().user.map(|u| u.id)
    }

    /// The input peer that names `peer` for this account: `"me"`, an id, a `"@username"`, a
    /// `"+phone"`, a [`Peer`], a user, or an input peer (see [`PeerRef`]). Ids are looked up in
    /// the peer cache; usernames and phones too, and resolved with `contacts.resolveUsername` /
    /// `contacts.resolvePhone` when the cache does not know them.
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let ann = client.resolve_peer("@ann").await?;
    /// let me = client.resolve_peer("me").await?;
    /// let again = client.resolve_peer(777000i64).await?; // by id, once seen
    /// # Ok(()) }
    /// ```
    ///
    /// An id the client has not seen is [`ApiError::UnknownPeer`], a username nobody has
    /// [`ApiError::UsernameNotFound`], a phone nobody visible has [`ApiError::PhoneNotFound`].
    pub async fn resolve_peer(&self, peer: impl Into<PeerRef>) -> Result<enums::InputPeer, ApiError> {
        let peer = peer.into();
        match &peer {
            PeerRef::Me => Ok(types::InputPeerSelf {}.into()),
            PeerRef::Input(input) => Ok(input.clone()),
            PeerRef::Peer(p) => self.input_of(*p, &peer),
            PeerRef::Username(name) => {
                let found = self.resolve_username(name).await?;
                self.input_of(found, &peer)
            }
            PeerRef::Phone(phone) => {
                let found = self.resolve_phone(phone).await?;
                self.input_of(found, &peer)
            }
        }
    }

    /// The peer whose username is `name` (with or without `@`, any case): from the cache, or
    /// `contacts.resolveUsername`.
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let peer = client.resolve_username("durov").await?;
    /// println!("{} is {peer:?}", "@durov");
    /// # Ok(()) }
    /// ```
    pub async fn resolve_username(&self, name: &str) -> Result<Peer, ApiError> {
        let name = name.trim().trim_start_matches('@');
        if let Some(entry) = self.peer_cache().by_username(name) {
            return Ok(entry.peer);
        }
        if let Some(entry) = self.stored_peer(PeerLookup::Username(name))? {
            return Ok(entry.peer);
        }
        let request = functions::contacts::ResolveUsername { username: name.to_string(), referer: None };
        match self.invoke(&request).await {
            Ok(enums::contacts::ResolvedPeer::ResolvedPeer(resolved)) => Ok(Peer::from_tl(&resolved.peer)),
            Err(InvocationError::Rpc(e)) if e.name.starts_with("USERNAME_") => {
                Err(ApiError::UsernameNotFound(name.to_string()))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The user whose phone is `phone` (digits, `+` optional): from the cache, or
    /// `contacts.resolvePhone` (which finds only users who show their number to this account).
    pub async fn resolve_phone(&self, phone: &str) -> Result<Peer, ApiError> {
        let phone: String = phone.chars().filter(char::is_ascii_digit).collect();
        if let Some(entry) = self.peer_cache().by_phone(&phone) {
            return Ok(entry.peer);
        }
        if let Some(entry) = self.stored_peer(PeerLookup::Phone(&phone))? {
            return Ok(entry.peer);
        }
        match self.invoke(&functions::contacts::ResolvePhone { phone: phone.clone() }).await {
            Ok(enums::contacts::ResolvedPeer::ResolvedPeer(resolved)) => {
                let peer = Peer::from_tl(&resolved.peer);
                // The user may not show its phone; the cache still learns who has it.
                let known = self.peer_cache().get(peer).cloned();
                if let Some(entry) = known.filter(|e| e.phone.is_none() && phone.len() <= MAX_NAME_BYTES) {
                    let entry = CachedPeer { phone: Some(phone.into_boxed_str()), ..entry };
                    let changed = self.peer_cache().insert(entry);
                    if let Some(changed) = changed {
                        if let Err(error) = self.inner.store.store_peers(&[changed]) {
                            tracing::warn!(%error, "could not store peers in the session");
                        }
                    }
                }
                Ok(peer)
            }
            Err(InvocationError::Rpc(e)) if e.name.starts_with("PHONE_") => Err(ApiError::PhoneNotFound(phone)),
            Err(error) => Err(error.into()),
        }
    }

    /// The input peer of a known `peer` (`given` is what the caller named, for the error).
    fn input_of(&self, peer: Peer, given: &PeerRef) -> Result<enums::InputPeer, ApiError> {
        if let Peer::Chat(chat_id) = peer {
            // Basic groups need no hash.
            return Ok(types::InputPeerChat { chat_id }.into());
        }
        if Some(peer) == self.self_id().map(Peer::User) {
            return Ok(types::InputPeerSelf {}.into());
        }
        let entry = self.cached_peer(peer)?.ok_or_else(|| ApiError::UnknownPeer(given.clone()))?;
        let access_hash = match entry {
            CachedPeer { min: true, .. } => return Err(ApiError::OnlyMinPeer(peer)),
            CachedPeer { access_hash: Some(hash), .. } => hash,
            CachedPeer { access_hash: None, .. } => return Err(ApiError::UnknownPeer(given.clone())),
        };
        Ok(match peer {
            Peer::User(user_id) => types::InputPeerUser { user_id, access_hash }.into(),
            Peer::Channel(channel_id) => types::InputPeerChannel { channel_id, access_hash }.into(),
            Peer::Chat(chat_id) => types::InputPeerChat { chat_id }.into(),
        })
    }

    /// The input user `peer` names ([`ApiError::WrongKind`] for a group or channel).
    pub(crate) async fn resolve_user(&self, peer: impl Into<PeerRef>) -> Result<enums::InputUser, ApiError> {
        let peer = peer.into();
        match self.resolve_peer(peer.clone()).await? {
            enums::InputPeer::InputPeerSelf(_) => Ok(types::InputUserSelf {}.into()),
            enums::InputPeer::User(u) => Ok(types::InputUser { user_id: u.user_id, access_hash: u.access_hash }.into()),
            _ => Err(ApiError::WrongKind { peer, expected: "a user" }),
        }
    }

    /// The peer an input peer names, for this account.
    pub(crate) fn peer_of(&self, input: &enums::InputPeer) -> Result<Peer, ApiError> {
        Peer::from_input(input, self.self_id()).ok_or(ApiError::NotSignedIn)
    }

    /// How many entries the peer cache holds in memory, and the bytes they cost (see
    /// [`PeerCache::bytes`]).
    pub fn peer_cache_usage(&self) -> (usize, usize) {
        let cache = self.peer_cache();
        (cache.len(), cache.bytes())
    }
}
