//! What clients ask around a login besides signing in: `help.getConfig` (the DCs of this
//! process, <https://core.telegram.org/method/help.getConfig>), `help.getNearestDc`,
//! `users.getUsers` / `users.getFullUser` (the updates state is in [`super::updates`]).

use ferrogram_tl::functions::{help, users};
use ferrogram_tl::{enums, types, Serializable};

use super::failure::{self, fail};
use super::{tl, Api};
use crate::context::{CallContext, RpcError};
use crate::store::UserRecord;

/// `userFull` of `user` with profile text `about`, and Telegram's defaults for all this server
/// does not keep: default peer and notification settings (nothing overridden), no photo, no
/// common chats, no calls; a bot's (empty) `bot_info`.
fn full_user(user: &UserRecord, about: Option<String>) -> types::UserFull {
    types::UserFull {
        blocked: false,
        phone_calls_available: false,
        phone_calls_private: false,
        can_pin_message: false,
        has_scheduled: false,
        video_calls_available: false,
        voice_messages_forbidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        blocked_my_stories_from: false,
        wallpaper_overridden: false,
        contact_require_premium: false,
        read_dates_private: false,
        sponsored_enabled: false,
        can_view_revenue: false,
        bot_can_manage_emoji_status: false,
        display_gifts_button: false,
        noforwards_my_enabled: false,
        noforwards_peer_enabled: false,
        unofficial_security_risk: false,
        id: user.id,
        settings: types::PeerSettings::default().into(),
        notify_settings: types::PeerNotifySettings::default().into(),
        common_chats_count: 0,
        about,
        personal_photo: None,
        profile_photo: None,
        fallback_photo: None,
        // A bot made by the admin command has no description and no commands.
        bot_info: user.is_bot.then(|| {
            Box::new(
                types::BotInfo {
                    user_id: Some(user.id),
                    description: Some(String::new()),
                    commands: Some(Vec::new()),
                    ..Default::default()
                }
                .into(),
            )
        }),
        pinned_msg_id: None,
        folder_id: None,
        ttl_period: None,
        theme: None,
        private_forward_name: None,
        bot_group_admin_rights: None,
        bot_broadcast_admin_rights: None,
        wallpaper: None,
        stories: None,
        business_work_hours: None,
        business_location: None,
        business_greeting_message: None,
        business_away_message: None,
        business_intro: None,
        birthday: None,
        personal_channel_id: None,
        personal_channel_message: None,
        stargifts_count: None,
        starref_program: None,
        bot_verification: None,
        send_paid_messages_stars: None,
        disallowed_gifts: None,
        stars_rating: None,
        stars_my_pending_rating: None,
        stars_my_pending_rating_date: None,
        main_tab: None,
        saved_music: None,
        note: None,
        bot_manager_id: None,
    }
}

/// How long a client may cache `help.getConfig`, in seconds.
const CONFIG_LIFETIME: i64 = 3600;
/// Users one `users.getUsers` answers at most, a bound on one call's work; the rest of a longer
/// list is ignored.
const MAX_GET_USERS: usize = 200;

impl Api {
    /// `help.getConfig`: every DC of the process in `dc_options`, `this_dc` the call's DC, and
    /// the limits Telegram's production config announces.
    pub(crate) fn get_config(&self, ctx: &CallContext, _req: help::GetConfig) -> Result<Vec<u8>, RpcError> {
        // As Telegram's production config lists each DC: a plain entry, a `static` one (the
        // address clients may keep and fall back to; grammers only trusts these) and a
        // `media_only` one (where file transfers go). Here all three are the DC's one address.
        let dc_options = self
            .config
            .dcs
            .iter()
            .flat_map(|dc| {
                let plain = types::DcOption {
                    ipv6: dc.host.contains(':'),
                    id: dc.id,
                    ip_address: dc.host.clone(),
                    port: i32::from(dc.port),
                    ..Default::default()
                };
                let r#static = types::DcOption { r#static: true, ..plain.clone() };
                let media_only = types::DcOption { media_only: true, ..plain.clone() };
                [plain, r#static, media_only].map(enums::DcOption::from)
            })
            .collect();
        let config = types::Config {
            date: tl::clamp_i32(ctx.now),
            expires: tl::clamp_i32(ctx.now + CONFIG_LIFETIME),
            test_mode: self.config.test_mode,
            this_dc: ctx.dc_id,
            dc_options,
            dc_txt_domain_name: String::new(),
            chat_size_max: 200,
            megagroup_size_max: 200_000,
            forwarded_count_max: 100,
            online_update_period_ms: 210_000,
            offline_blur_timeout_ms: 5_000,
            offline_idle_timeout_ms: 30_000,
            online_cloud_timeout_ms: 300_000,
            notify_cloud_delay_ms: 30_000,
            notify_default_delay_ms: 1_500,
            push_chat_period_ms: 60_000,
            push_chat_limit: 2,
            edit_time_limit: 172_800,
            revoke_time_limit: i32::MAX,
            revoke_pm_time_limit: i32::MAX,
            rating_e_decay: 2_419_200,
            stickers_recent_limit: 200,
            channels_read_media_period: 604_800,
            call_receive_timeout_ms: 20_000,
            call_ring_timeout_ms: 90_000,
            call_connect_timeout_ms: 30_000,
            call_packet_timeout_ms: 10_000,
            me_url_prefix: "https://t.me/".into(),
            caption_length_max: 1024,
            message_length_max: 4096,
            webfile_dc_id: self.config.dcs.first().map_or(ctx.dc_id, |d| d.id),
            ..Default::default()
        };
        Ok(enums::Config::from(config).to_bytes())
    }

    /// `help.getNearestDc`: the call's own DC (every DC of a local server is equally near).
    pub(crate) fn get_nearest_dc(&self, ctx: &CallContext, _req: help::GetNearestDc) -> Result<Vec<u8>, RpcError> {
        Ok(enums::NearestDc::from(types::NearestDc {
            country: self.config.country.clone(),
            this_dc: ctx.dc_id,
            nearest_dc: ctx.dc_id,
        })
        .to_bytes())
    }

    /// `users.getUsers`: each user the viewer can name (`inputUserSelf`, or an id with the
    /// viewer's `access_hash` for it) as the viewer sees it; `userEmpty` for what names no one
    /// (a wrong hash, an unknown id, `inputUserEmpty`).
    pub(crate) fn get_users(&self, ctx: &CallContext, req: users::GetUsers) -> Result<Vec<u8>, RpcError> {
        let me = self.me(ctx)?;
        let mut found: Vec<enums::User> = Vec::with_capacity(req.id.len().min(MAX_GET_USERS));
        for input in req.id.iter().take(MAX_GET_USERS) {
            let user = match self.resolve_input_user(&me, input) {
                Ok(user) => self.user_view(&me, &user)?,
                Err(e) if e.name == "USER_ID_INVALID" => {
                    let id = match input {
                        enums::InputUser::InputUser(u) => u.user_id,
                        enums::InputUser::FromMessage(u) => u.user_id,
                        _ => 0,
                    };
                    types::UserEmpty { id }.into()
                }
                Err(e) => return Err(e),
            };
            found.push(user);
        }
        Ok(found.to_bytes())
    }

    /// `users.getFullUser`: any user the viewer can name, with its profile text and Telegram's
    /// defaults for what this server does not keep (no photo, default notification and peer
    /// settings, no common chats).
    pub(crate) fn get_full_user(&self, ctx: &CallContext, req: users::GetFullUser) -> Result<Vec<u8>, RpcError> {
        let errors = users::GetFullUser::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let user = self.resolve_input_user(&me, &req.id).map_err(|e| match e.name.as_str() {
            "USER_ID_INVALID" => fail(errors, "USER_ID_INVALID"),
            _ => e,
        })?;
        let about = self.store.about(user.id).map_err(|e| failure::internal(&e))?;
        let full = full_user(&user, about);
        Ok(enums::users::UserFull::from(types::users::UserFull {
            full_user: full.into(),
            chats: Vec::new(),
            users: vec![self.user_view(&me, &user)?],
        })
        .to_bytes())
    }
}
