//! Store records as the TL values of our layer (`user`, `auth.authorization`, ...).

use ferrogram_tl::{enums, types};

use crate::store::UserRecord;

/// How long `userStatusOnline` of the signed-in user claims it stays online, in seconds.
const ONLINE_FOR: i64 = 300;

/// A user as `to` sees it: `is_self` with the phone for the account itself, without it for
/// others (<https://core.telegram.org/constructor/user>).
pub(crate) fn user(record: &UserRecord, is_self: bool, now: i64) -> enums::User {
    types::User {
        is_self,
        bot: record.is_bot,
        // A bot made by the admin command is a plain bot: no groups, no inline mode.
        bot_nochats: record.is_bot,
        id: record.id,
        access_hash: Some(record.access_hash),
        first_name: Some(record.first_name.clone()),
        last_name: (!record.last_name.is_empty()).then(|| record.last_name.clone()),
        username: record.username.clone(),
        phone: if is_self { record.phone.clone() } else { None },
        status: (!record.is_bot).then(|| types::UserStatusOnline { expires: clamp_i32(now + ONLINE_FOR) }.into()),
        bot_info_version: record.is_bot.then_some(1),
        ..Default::default()
    }
    .into()
}

/// `auth.authorization` for a sign-in of `record`.
pub(crate) fn authorization(record: &UserRecord, now: i64) -> enums::auth::Authorization {
    types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: user(record, true, now),
    }
    .into()
}

/// A Unix time as the TL `int` dates are (saturating instead of wrapping).
pub(crate) fn clamp_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}
