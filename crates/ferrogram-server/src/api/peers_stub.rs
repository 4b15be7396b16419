//! Temporary stand-in for the peers module (removed when it is merged).

use ferrogram_tl::enums;

use super::failure::{self, fail};
use super::{tl, Api};
use crate::context::RpcError;
use crate::store::UserRecord;

/// A peer an input peer names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerRef {
    User(i64),
    Chat(i64),
    #[allow(dead_code)]
    Channel(i64),
}

impl Api {
    pub(crate) fn access_hash(&self, _viewer_id: i64, user_id: i64) -> i64 {
        self.store.user(user_id).ok().flatten().map_or(0, |u| u.access_hash)
    }

    pub(crate) fn resolve_input_peer(&self, viewer: &UserRecord, peer: &enums::InputPeer) -> Result<PeerRef, RpcError> {
        match peer {
            enums::InputPeer::InputPeerSelf(_) => Ok(PeerRef::User(viewer.id)),
            enums::InputPeer::Chat(c) => Ok(PeerRef::Chat(c.chat_id)),
            enums::InputPeer::User(u) => {
                let user = self.store.user(u.user_id).map_err(|e| failure::internal(&e))?;
                match user {
                    Some(user) if user.id == viewer.id || self.access_hash(viewer.id, user.id) == u.access_hash => {
                        Ok(PeerRef::User(user.id))
                    }
                    _ => Err(fail(&[], "PEER_ID_INVALID")),
                }
            }
            _ => Err(fail(&[], "PEER_ID_INVALID")),
        }
    }

    pub(crate) fn resolve_input_user(
        &self,
        viewer: &UserRecord,
        user: &enums::InputUser,
    ) -> Result<UserRecord, RpcError> {
        match user {
            enums::InputUser::InputUserSelf(_) => Ok(viewer.clone()),
            enums::InputUser::InputUser(u) => {
                let user = self.store.user(u.user_id).map_err(|e| failure::internal(&e))?;
                match user {
                    Some(user) if user.id == viewer.id || self.access_hash(viewer.id, user.id) == u.access_hash => {
                        Ok(user)
                    }
                    _ => Err(fail(&[], "USER_ID_INVALID")),
                }
            }
            _ => Err(fail(&[], "USER_ID_INVALID")),
        }
    }

    pub(crate) fn user_view(&self, viewer: &UserRecord, user: &UserRecord) -> Result<enums::User, RpcError> {
        Ok(tl::user(user, viewer.id == user.id, 0))
    }
}
