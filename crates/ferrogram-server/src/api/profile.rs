//! The caller's own profile and settings: `account.updateUsername` / `account.checkUsername`
//! (<https://core.telegram.org/api/usernames>), `account.updateProfile`, `account.updateStatus`,
//! `account.getNotifySettings` (<https://core.telegram.org/api/notifications>),
//! `account.getContentSettings` and `account.getPrivacy` (<https://core.telegram.org/api/privacy>:
//! Telegram's defaults, which are what this server applies).

use ferrogram_tl::functions::{account, photos};
use ferrogram_tl::{enums, types, Serializable};

use super::failure::{self, fail};
use super::login::MAX_NAME_CHARS;
use super::Api;
use crate::context::{CallContext, RpcError};
use crate::store::UsernameChange;

/// Fewest characters of a username an account may choose.
pub const MIN_USERNAME_CHARS: usize = 5;
/// Most characters of a username an account may choose.
pub const MAX_USERNAME_CHARS: usize = 32;
/// Most characters of a profile text (`about`); longer is `ABOUT_TOO_LONG`.
pub const MAX_ABOUT_CHARS: usize = 70;

/// Whether an account may choose `name` as its username: 5 to 32 of `a-z` (any case), `0-9`
/// and `_`, starting with a letter, not ending with `_` and without `__`.
pub fn valid_username(name: &str) -> bool {
    let bytes = name.as_bytes();
    (MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && !name.ends_with('_')
        && !name.contains("__")
}

impl Api {
    /// `account.updateUsername`: sets the caller's username (an empty one removes it) and
    /// answers the caller's `user`. `USERNAME_INVALID` for a name outside the rules of
    /// [`valid_username`], `USERNAME_OCCUPIED` if another account has it in any case,
    /// `USERNAME_NOT_MODIFIED` if it is the caller's already.
    pub(crate) fn update_username(&self, ctx: &CallContext, req: account::UpdateUsername) -> Result<Vec<u8>, RpcError> {
        let errors = account::UpdateUsername::POSSIBLE_ERRORS;
        let me = self.caller(ctx, account::UpdateUsername::BOTS_CAN_USE)?;
        let wanted = (!req.username.is_empty()).then_some(req.username.as_str());
        if wanted.is_some_and(|name| !valid_username(name)) {
            return Err(fail(errors, "USERNAME_INVALID"));
        }
        match self.store.set_username(me.id, wanted).map_err(|e| failure::internal(&e))? {
            UsernameChange::Changed => {}
            UsernameChange::Unchanged => return Err(fail(errors, "USERNAME_NOT_MODIFIED")),
            UsernameChange::Occupied => return Err(fail(errors, "USERNAME_OCCUPIED")),
            UsernameChange::NoUser => return Err(failure::unregistered()),
        }
        let me = self.store.user(me.id).map_err(|e| failure::internal(&e))?.ok_or_else(failure::unregistered)?;
        Ok(self.user_view(&me, &me)?.to_bytes())
    }

    /// `account.checkUsername`: `true` if the caller may take `username` (free, or already the
    /// caller's); `USERNAME_INVALID` outside the rules, `USERNAME_OCCUPIED` if another account
    /// has it.
    pub(crate) fn check_username(&self, ctx: &CallContext, req: account::CheckUsername) -> Result<Vec<u8>, RpcError> {
        let errors = account::CheckUsername::POSSIBLE_ERRORS;
        let me = self.caller(ctx, account::CheckUsername::BOTS_CAN_USE)?;
        if !valid_username(&req.username) {
            return Err(fail(errors, "USERNAME_INVALID"));
        }
        match self.store.user_by_username(&req.username).map_err(|e| failure::internal(&e))? {
            Some(owner) if owner.id != me.id => Err(fail(errors, "USERNAME_OCCUPIED")),
            _ => Ok(true.to_bytes()),
        }
    }

    /// `account.updateProfile`: changes what is given of first name, last name and profile text
    /// (trimmed; an empty `about` removes it) and answers the caller's `user`.
    /// `FIRSTNAME_INVALID` if the first name would be empty or is longer than
    /// [`MAX_NAME_CHARS`], `LASTNAME_INVALID` for a last name longer than that,
    /// `ABOUT_TOO_LONG` past [`MAX_ABOUT_CHARS`].
    pub(crate) fn update_profile(&self, ctx: &CallContext, req: account::UpdateProfile) -> Result<Vec<u8>, RpcError> {
        let errors = account::UpdateProfile::POSSIBLE_ERRORS;
        let me = self.caller(ctx, account::UpdateProfile::BOTS_CAN_USE)?;
        let first_name = req.first_name.as_deref().map_or(me.first_name.as_str(), str::trim);
        if first_name.is_empty() || first_name.chars().count() > MAX_NAME_CHARS {
            return Err(fail(errors, "FIRSTNAME_INVALID"));
        }
        let last_name = req.last_name.as_deref().map_or(me.last_name.as_str(), str::trim);
        if last_name.chars().count() > MAX_NAME_CHARS {
            return Err(fail(errors, "LASTNAME_INVALID"));
        }
        let about = match req.about.as_deref().map(str::trim) {
            Some(about) if about.chars().count() > MAX_ABOUT_CHARS => return Err(fail(errors, "ABOUT_TOO_LONG")),
            Some(about) => (!about.is_empty()).then(|| about.to_owned()),
            None => self.store.about(me.id).map_err(|e| failure::internal(&e))?,
        };
        self.store.set_profile(me.id, first_name, last_name, about.as_deref()).map_err(|e| failure::internal(&e))?;
        let me = self.store.user(me.id).map_err(|e| failure::internal(&e))?.ok_or_else(failure::unregistered)?;
        Ok(self.user_view(&me, &me)?.to_bytes())
    }

    /// `account.updateStatus`: accepted (`true`); last activity is not tracked, so every status
    /// stays `userStatusRecently`.
    pub(crate) fn update_status(&self, ctx: &CallContext, _req: account::UpdateStatus) -> Result<Vec<u8>, RpcError> {
        self.caller(ctx, account::UpdateStatus::BOTS_CAN_USE)?;
        Ok(true.to_bytes())
    }

    /// `photos.getUserPhotos`: no profile photos are kept (there are no uploads), so a user the
    /// caller can name has none: `photos.photos` with no photos (Telethon's `get_profile_photos`).
    /// `USER_ID_INVALID` for a user the caller cannot name.
    pub(crate) fn get_user_photos(&self, ctx: &CallContext, req: photos::GetUserPhotos) -> Result<Vec<u8>, RpcError> {
        let me = self.caller(ctx, photos::GetUserPhotos::BOTS_CAN_USE)?;
        self.resolve_input_user(&me, &req.user_id)?;
        Ok(enums::photos::Photos::from(types::photos::Photos { photos: Vec::new(), users: Vec::new() }).to_bytes())
    }

    /// `account.getNotifySettings`: nothing is ever overridden here. A peer the caller can name
    /// gets a `peerNotifySettings` with every field absent (use the defaults); the global scopes
    /// (users, chats, broadcasts) get Telegram's defaults: previews shown, not silent, not
    /// muted, the default sound.
    pub(crate) fn get_notify_settings(
        &self,
        ctx: &CallContext,
        req: account::GetNotifySettings,
    ) -> Result<Vec<u8>, RpcError> {
        let me = self.caller(ctx, account::GetNotifySettings::BOTS_CAN_USE)?;
        let settings = match &req.peer {
            enums::InputNotifyPeer::InputNotifyPeer(p) => {
                self.resolve_input_peer(&me, &p.peer)?;
                types::PeerNotifySettings::default()
            }
            enums::InputNotifyPeer::InputNotifyForumTopic(p) => {
                self.resolve_input_peer(&me, &p.peer)?;
                // Only supergroups have topics, and none exist.
                return Err(fail(&[], "CHANNEL_INVALID"));
            }
            enums::InputNotifyPeer::InputNotifyCommunity(_) => return Err(fail(&[], "CHANNEL_INVALID")),
            enums::InputNotifyPeer::InputNotifyUsers(_)
            | enums::InputNotifyPeer::InputNotifyChats(_)
            | enums::InputNotifyPeer::InputNotifyBroadcasts(_) => types::PeerNotifySettings {
                show_previews: Some(true),
                silent: Some(false),
                mute_until: Some(0),
                other_sound: Some(types::NotificationSoundDefault {}.into()),
                ..Default::default()
            },
        };
        Ok(enums::PeerNotifySettings::from(settings).to_bytes())
    }

    /// `account.getContentSettings`: sensitive content is not shown, and the caller may change
    /// that (Telegram's defaults for an account).
    pub(crate) fn get_content_settings(
        &self,
        ctx: &CallContext,
        _req: account::GetContentSettings,
    ) -> Result<Vec<u8>, RpcError> {
        self.caller(ctx, account::GetContentSettings::BOTS_CAN_USE)?;
        Ok(enums::account::ContentSettings::from(types::account::ContentSettings {
            sensitive_enabled: false,
            sensitive_can_change: true,
        })
        .to_bytes())
    }
}

/// Telegram's default rule for a privacy setting: the phone number and the birthday are for
/// contacts, nobody is exempt from paying for messages, the rest is everyone's.
fn default_privacy(key: &enums::InputPrivacyKey) -> enums::PrivacyRule {
    use enums::InputPrivacyKey as Key;
    match key {
        Key::PhoneNumber(_) | Key::Birthday(_) => types::PrivacyValueAllowContacts {}.into(),
        Key::NoPaidMessages(_) => types::PrivacyValueDisallowAll {}.into(),
        Key::StatusTimestamp(_)
        | Key::ChatInvite(_)
        | Key::PhoneCall(_)
        | Key::PhoneP2P(_)
        | Key::Forwards(_)
        | Key::ProfilePhoto(_)
        | Key::AddedByPhone(_)
        | Key::VoiceMessages(_)
        | Key::About(_)
        | Key::StarGiftsAutoSave(_)
        | Key::SavedMusic(_) => types::PrivacyValueAllowAll {}.into(),
    }
}

impl Api {
    /// `account.getPrivacy`: the rule of the setting, always Telegram's default (settings cannot
    /// be changed here; the phone number's "my contacts" is what [`Api::user_view`] applies).
    pub(crate) fn get_privacy(&self, ctx: &CallContext, req: account::GetPrivacy) -> Result<Vec<u8>, RpcError> {
        self.caller(ctx, account::GetPrivacy::BOTS_CAN_USE)?;
        Ok(enums::account::PrivacyRules::from(types::account::PrivacyRules {
            rules: vec![default_privacy(&req.key)],
            chats: Vec::new(),
            users: Vec::new(),
        })
        .to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::valid_username;

    #[test]
    fn username_rules() {
        for ok in ["alice", "Alice_42", "a1234", "abcdefghijklmnopqrstuvwxyz012345"] {
            assert!(valid_username(ok), "{ok}");
        }
        for bad in ["", "abcd", "1alice", "_alice", "alice_", "al__ice", "alice!", "ålice", &"a".repeat(33)] {
            assert!(!valid_username(bad), "{bad}");
        }
    }
}
