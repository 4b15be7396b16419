//! The admin functions of the API (tests, the CLI, the admin channel): accounts, passwords and
//! bots made directly in the store, with the rules the handlers apply to them.

use ferrogram_mtproto::crypto::srp;

use super::{password, AdminError, AdminUser, Api};
use crate::codes;
use crate::phone::PhoneNumber;
use crate::store::{NewUser, PasswordRecord, UserRecord};

impl Api {
    /// Creates an account, optionally with a 2FA password or a login email. `now` is the
    /// creation time (Unix seconds). A username is taken as given (no rules apply to the admin),
    /// but must be free in any case ([`AdminError::UsernameTaken`]).
    pub fn create_user(&self, user: &AdminUser, now: i64) -> Result<UserRecord, AdminError> {
        let phone = PhoneNumber::parse(&user.phone).ok_or_else(|| AdminError::InvalidPhone(user.phone.clone()))?;
        if self.store.user_by_phone(phone.digits())?.is_some() {
            return Err(AdminError::PhoneTaken(phone.to_string()));
        }
        if let Some(name) = &user.username {
            if self.store.user_by_username(name)?.is_some() {
                return Err(AdminError::UsernameTaken(name.clone()));
            }
        }
        let password = match &user.password {
            Some(password) => Some(self.password_record(password, user.password_hint.clone())?),
            None => None,
        };
        let new = NewUser {
            phone: Some(phone.digits().to_owned()),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            username: user.username.clone(),
            bot_token_secret: None,
            home_dc: self.home_dc(&phone, None),
            password,
            login_email: user.login_email.clone(),
            access_hash: self.random_i64(),
        };
        Ok(self.store.create_user(&new, now)?)
    }

    /// Sets, changes or (with `None`) removes a user's 2FA password.
    pub fn set_password(&self, user_id: i64, password: Option<&str>, hint: Option<String>) -> Result<(), AdminError> {
        let record = match password {
            Some(password) => Some(self.password_record(password, hint)?),
            None => None,
        };
        Ok(self.store.set_password(user_id, record.as_ref())?)
    }

    fn password_record(&self, password: &str, hint: Option<String>) -> Result<PasswordRecord, AdminError> {
        let params = {
            let mut random = self.random();
            password::base_params(&mut **random).with_fresh_salt1(&mut **random)
        };
        let verifier = srp::verifier(password.as_bytes(), &params);
        Ok(PasswordRecord { salt1: params.salt1, salt2: params.salt2, verifier, hint })
    }

    /// Creates a bot named `name` and returns its token, `"{bot_id}:{secret}"`, for
    /// `auth.importBotAuthorization`. Its username is `name` reduced to letters, digits and `_`,
    /// ending in `bot` ([`AdminError::UsernameTaken`] if an account has it, in any case).
    pub fn create_bot(&self, name: &str, now: i64) -> Result<String, AdminError> {
        let mut username: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if username.is_empty() {
            return Err(AdminError::InvalidBotName(name.to_owned()));
        }
        if !username.to_ascii_lowercase().ends_with("bot") {
            username.push_str("_bot");
        }
        if self.store.user_by_username(&username)?.is_some() {
            return Err(AdminError::UsernameTaken(username));
        }
        let secret = codes::random_hex(&mut **self.random(), 18);
        let new = NewUser {
            phone: None,
            first_name: name.to_owned(),
            last_name: String::new(),
            username: Some(username),
            bot_token_secret: Some(secret.clone()),
            home_dc: self.config.dcs.first().map_or(1, |d| d.id),
            password: None,
            login_email: None,
            access_hash: self.random_i64(),
        };
        let bot = self.store.create_user(&new, now)?;
        Ok(format!("{}:{secret}", bot.id))
    }
}
