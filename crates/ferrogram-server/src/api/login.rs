//! Login by phone code, sign-up, log-out, bots and moving an authorization between DCs, with
//! Telegram's semantics and errors:
//! <https://core.telegram.org/api/auth>, <https://core.telegram.org/method/auth.sendCode>,
//! <https://core.telegram.org/method/auth.resendCode>, <https://core.telegram.org/method/auth.cancelCode>,
//! <https://core.telegram.org/method/auth.signIn>, <https://core.telegram.org/method/auth.signUp>,
//! <https://core.telegram.org/method/auth.logOut>, <https://core.telegram.org/api/bots>,
//! <https://core.telegram.org/api/datacenter> (`auth.exportAuthorization`/`auth.importAuthorization`).
//!
//! A code's life: `auth.sendCode` issues it (superseding the number's previous one);
//! `auth.resendCode` supersedes it with a new `phone_code_hash`; `auth.cancelCode` cancels it; it
//! expires after [`ApiConfig::code_lifetime`](super::ApiConfig::code_lifetime); wrong codes count
//! up to [`ApiConfig::max_code_attempts`](super::ApiConfig::max_code_attempts), which invalidates
//! it with `420 FLOOD_WAIT_X`. Codes are compared in constant time.

use ferrogram_tl::functions::auth;
use ferrogram_tl::{enums, types, ErrorInfo, Serializable};
use subtle::ConstantTimeEq;

use super::failure::{self, fail, flood_wait, phone_migrate};
use super::{tl, Api};
use crate::codes::CODE_LENGTH;
use crate::context::{CallContext, RpcError};
use crate::phone::PhoneNumber;
use crate::store::{CodeAttempt, CodeKind, CodeState, ExportedAuth, LoginCode, NewUser, StoreError, UserRecord};

/// The first layer with `auth.authorizationSignUpRequired`
/// (<https://core.telegram.org/constructor/auth.authorizationSignUpRequired>: "available as of
/// layer 104"). Older clients learn of an unregistered number from `PHONE_NUMBER_UNOCCUPIED`.
pub const SIGN_UP_REQUIRED_LAYER: i32 = 104;

/// Longest first or last name `auth.signUp` accepts.
pub const MAX_NAME_CHARS: usize = 64;

/// Length of the secret of an exported authorization.
const EXPORT_BYTES: usize = 64;

/// Whether two codes are equal, in time independent of where they differ.
fn same_code(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// `a***@example.com` for `ada@example.com`: enough for the user to recognise the address.
fn email_pattern(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

fn code_length() -> i32 {
    CODE_LENGTH as i32
}

fn sent_code(record: &LoginCode, user: Option<&UserRecord>, lifetime: i64) -> enums::auth::SentCode {
    let (kind, next_type): (enums::auth::SentCodeType, Option<enums::auth::CodeType>) = match record.kind {
        CodeKind::Email => (
            types::auth::SentCodeTypeEmailCode {
                email_pattern: email_pattern(user.and_then(|u| u.login_email.as_deref()).unwrap_or("")),
                length: code_length(),
                ..Default::default()
            }
            .into(),
            None,
        ),
        CodeKind::App => {
            (types::auth::SentCodeTypeApp { length: code_length() }.into(), Some(types::auth::CodeTypeSms {}.into()))
        }
        CodeKind::Sms => (types::auth::SentCodeTypeSms { length: code_length() }.into(), None),
    };
    types::auth::SentCode {
        r#type: kind,
        phone_code_hash: record.phone_code_hash.clone(),
        timeout: next_type.as_ref().map(|_| tl::clamp_i32(lifetime.min(60))),
        next_type,
    }
    .into()
}

impl Api {
    fn parse_phone(&self, errors: &[ErrorInfo], sent: &str) -> Result<PhoneNumber, RpcError> {
        PhoneNumber::parse(sent).ok_or_else(|| fail(errors, "PHONE_NUMBER_INVALID"))
    }

    /// `303 PHONE_MIGRATE_X` when the number lives on another DC than the call's.
    fn check_home_dc(&self, ctx: &CallContext, phone: &PhoneNumber) -> Result<(), RpcError> {
        let home = self.home_dc(phone, Some(ctx.dc_id));
        if home != ctx.dc_id {
            return Err(phone_migrate(home));
        }
        Ok(())
    }

    /// The waiting time left if `phone` is blocked after too many wrong codes.
    fn wrong_code_block(&self, phone: &PhoneNumber, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self.store.flood_window(&format!("wrong_code:{}", phone.digits()), now)?.map(|(_, end)| end - now))
    }

    /// Counts one code sent to `phone` and answers `FLOOD_WAIT_X` past the limit.
    fn count_code_sent(&self, phone: &PhoneNumber, now: i64) -> Result<(), RpcError> {
        let internal = |e: StoreError| failure::internal(&e);
        if let Some(wait) = self.wrong_code_block(phone, now).map_err(internal)? {
            return Err(flood_wait(wait));
        }
        if phone.test_dc().is_some() {
            return Ok(());
        }
        let (count, window_end) = self
            .store
            .bump_flood(&format!("send_code:{}", phone.digits()), self.config.send_code_window, now)
            .map_err(internal)?;
        if count > self.config.send_code_limit {
            return Err(flood_wait(window_end - now));
        }
        Ok(())
    }

    /// The code `phone_code_hash` names for `phone`: `PHONE_CODE_HASH_EMPTY` /
    /// `PHONE_CODE_HASH_INVALID` if there is none, `PHONE_CODE_EXPIRED` if it can no longer be
    /// used.
    fn usable_code(
        &self,
        errors: &[ErrorInfo],
        store_failure: &dyn Fn(&StoreError) -> RpcError,
        ctx: &CallContext,
        phone: &PhoneNumber,
        phone_code_hash: &str,
    ) -> Result<LoginCode, RpcError> {
        if phone_code_hash.is_empty() {
            return Err(fail(errors, "PHONE_CODE_HASH_EMPTY"));
        }
        let record = self
            .store
            .code(phone_code_hash)
            .map_err(|e| store_failure(&e))?
            .filter(|c| c.phone == phone.digits())
            .ok_or_else(|| fail(errors, "PHONE_CODE_HASH_INVALID"))?;
        if record.state != CodeState::Active || ctx.now >= record.expires {
            return Err(fail(errors, "PHONE_CODE_EXPIRED"));
        }
        Ok(record)
    }

    /// `auth.sendCode`: issues a code for a number on its home DC.
    pub(crate) fn send_code(&self, ctx: &CallContext, req: auth::SendCode) -> Result<Vec<u8>, RpcError> {
        let errors = auth::SendCode::POSSIBLE_ERRORS;
        let phone = self.parse_phone(errors, &req.phone_number)?;
        if req.api_id <= 0 || req.api_hash.is_empty() {
            return Err(fail(errors, "API_ID_INVALID"));
        }
        self.check_home_dc(ctx, &phone)?;
        self.count_code_sent(&phone, ctx.now)?;
        let user = self.store.user_by_phone(phone.digits()).map_err(|e| failure::internal(&e))?;
        let kind = match &user {
            Some(u) if u.login_email.is_some() => CodeKind::Email,
            // Telegram sends an existing account's code to its other sessions first.
            Some(_) => CodeKind::App,
            None => CodeKind::Sms,
        };
        let record = self.issue_code(ctx, &phone, &req.phone_number, kind).map_err(|e| failure::internal(&e))?;
        Ok(sent_code(&record, user.as_ref(), self.config.code_lifetime).to_bytes())
    }

    /// `auth.resendCode`: a new code (and `phone_code_hash`) by the next delivery; the old code
    /// is superseded and answers `PHONE_CODE_EXPIRED` from then on.
    pub(crate) fn resend_code(&self, ctx: &CallContext, req: auth::ResendCode) -> Result<Vec<u8>, RpcError> {
        let errors = auth::ResendCode::POSSIBLE_ERRORS;
        let phone = self.parse_phone(errors, &req.phone_number)?;
        let old = self.usable_code(errors, &|e| failure::internal(e), ctx, &phone, &req.phone_code_hash)?;
        self.count_code_sent(&phone, ctx.now)?;
        let user = self.store.user_by_phone(phone.digits()).map_err(|e| failure::internal(&e))?;
        let kind = if old.kind == CodeKind::Email { CodeKind::Email } else { CodeKind::Sms };
        let record = self.issue_code(ctx, &phone, &req.phone_number, kind).map_err(|e| failure::internal(&e))?;
        Ok(sent_code(&record, user.as_ref(), self.config.code_lifetime).to_bytes())
    }

    /// `auth.cancelCode`: the code can no longer be used.
    pub(crate) fn cancel_code(&self, ctx: &CallContext, req: auth::CancelCode) -> Result<Vec<u8>, RpcError> {
        let errors = auth::CancelCode::POSSIBLE_ERRORS;
        let phone = self.parse_phone(errors, &req.phone_number)?;
        let record = self.usable_code(errors, &|e| failure::internal(e), ctx, &phone, &req.phone_code_hash)?;
        self.store.set_code_state(&record.phone_code_hash, CodeState::Cancelled).map_err(|e| failure::internal(&e))?;
        Ok(true.to_bytes())
    }

    /// Checks the code of a sign-in: the phone code, or for email codes the
    /// `emailVerificationCode`. Wrong codes are counted.
    fn check_code(
        &self,
        errors: &[ErrorInfo],
        ctx: &CallContext,
        phone: &PhoneNumber,
        record: &LoginCode,
        phone_code: Option<&str>,
        email: Option<&enums::EmailVerification>,
    ) -> Result<(), RpcError> {
        let sign_in_failed = |e: &StoreError| {
            tracing::error!(error = %e, "store failure during sign-in");
            fail(errors, "SIGN_IN_FAILED")
        };
        let entered = match (record.kind, email) {
            (CodeKind::Email, Some(enums::EmailVerification::Code(v))) => Some(v.code.as_str()),
            // Google/Apple ID tokens cannot be verified offline: never valid here.
            (CodeKind::Email, Some(_)) => return Err(fail(errors, "CODE_INVALID")),
            // An email login must carry the emailVerificationCode; a phone code is no substitute.
            (CodeKind::Email, None) => None,
            (_, _) => phone_code,
        };
        let Some(entered) = entered.filter(|c| !c.is_empty()) else {
            return Err(fail(errors, "PHONE_CODE_EMPTY"));
        };
        // Checked and counted in one transaction: concurrent wrong codes cannot all pass the
        // check before any is counted.
        let attempt = self
            .store
            .try_code(&record.phone_code_hash, ctx.now, self.config.max_code_attempts, |stored| {
                same_code(entered, &stored.code)
            })
            .map_err(|e| sign_in_failed(&e))?;
        let attempts = match attempt {
            CodeAttempt::Right => return Ok(()),
            // Used up (or invalidated) since `record` was read.
            CodeAttempt::Unusable => return Err(fail(errors, "PHONE_CODE_EXPIRED")),
            CodeAttempt::Wrong { attempts } => attempts,
        };
        if attempts >= self.config.max_code_attempts {
            let (_, end) = self
                .store
                .bump_flood(&format!("wrong_code:{}", phone.digits()), self.config.wrong_code_wait, ctx.now)
                .map_err(|e| sign_in_failed(&e))?;
            tracing::info!(phone = %phone, "login code invalidated after {attempts} wrong attempts");
            return Err(flood_wait(end - ctx.now));
        }
        let name = if record.kind == CodeKind::Email { "CODE_INVALID" } else { "PHONE_CODE_INVALID" };
        Err(fail(errors, name))
    }

    /// `auth.signIn`.
    pub(crate) fn sign_in(&self, ctx: &CallContext, req: auth::SignIn) -> Result<Vec<u8>, RpcError> {
        let errors = auth::SignIn::POSSIBLE_ERRORS;
        let sign_in_failed = |e: &StoreError| {
            tracing::error!(error = %e, "store failure during sign-in");
            fail(errors, "SIGN_IN_FAILED")
        };
        let phone = self.parse_phone(errors, &req.phone_number)?;
        if req.phone_code.as_deref().unwrap_or("").is_empty() && req.email_verification.is_none() {
            return Err(fail(errors, "PHONE_CODE_EMPTY"));
        }
        self.check_home_dc(ctx, &phone)?;
        if let Some(wait) = self.wrong_code_block(&phone, ctx.now).map_err(|e| sign_in_failed(&e))? {
            return Err(flood_wait(wait));
        }
        let record = self.usable_code(errors, &sign_in_failed, ctx, &phone, &req.phone_code_hash)?;
        self.check_code(errors, ctx, &phone, &record, req.phone_code.as_deref(), req.email_verification.as_ref())?;

        let user = self.store.user_by_phone(phone.digits()).map_err(|e| sign_in_failed(&e))?;
        let Some(user) = user else {
            // Right code, no account: the code stays valid for auth.signUp.
            self.store.mark_code_verified(&record.phone_code_hash).map_err(|e| sign_in_failed(&e))?;
            if ctx.layer < SIGN_UP_REQUIRED_LAYER {
                return Err(fail(errors, "PHONE_NUMBER_UNOCCUPIED"));
            }
            return Ok(enums::auth::Authorization::from(types::auth::AuthorizationSignUpRequired::default()).to_bytes());
        };
        if user.password.is_some() {
            let found = self
                .store
                .complete_code_for_password(&record.phone_code_hash, ctx.auth_key_id, user.id)
                .map_err(|e| sign_in_failed(&e))?;
            if !found {
                return Err(fail(errors, "AUTH_KEY_INVALID"));
            }
            return Err(fail(errors, "SESSION_PASSWORD_NEEDED"));
        }
        let found = self
            .store
            .complete_sign_in(&record.phone_code_hash, ctx.auth_key_id, user.id)
            .map_err(|e| sign_in_failed(&e))?;
        if !found {
            return Err(fail(errors, "AUTH_KEY_INVALID"));
        }
        tracing::info!(user_id = user.id, dc = ctx.dc_id, "signed in");
        Ok(self.authorization(&user)?.to_bytes())
    }

    /// `auth.signUp`: registers a number whose code `auth.signIn` accepted.
    pub(crate) fn sign_up(&self, ctx: &CallContext, req: auth::SignUp) -> Result<Vec<u8>, RpcError> {
        let errors = auth::SignUp::POSSIBLE_ERRORS;
        let internal = |e: &StoreError| failure::internal(e);
        let phone = self.parse_phone(errors, &req.phone_number)?;
        self.check_home_dc(ctx, &phone)?;
        let first_name = req.first_name.trim();
        if first_name.is_empty() || first_name.chars().count() > MAX_NAME_CHARS {
            return Err(fail(errors, "FIRSTNAME_INVALID"));
        }
        let last_name = req.last_name.trim();
        if last_name.chars().count() > MAX_NAME_CHARS {
            return Err(fail(errors, "LASTNAME_INVALID"));
        }
        let record = self.usable_code(errors, &internal, ctx, &phone, &req.phone_code_hash)?;
        if self.store.user_by_phone(phone.digits()).map_err(|e| internal(&e))?.is_some() {
            return Err(fail(errors, "PHONE_NUMBER_OCCUPIED"));
        }
        if !record.verified {
            // The code was never entered in auth.signIn: signing up needs it first.
            return Err(fail(errors, "PHONE_CODE_INVALID"));
        }
        let new = NewUser {
            phone: Some(phone.digits().to_owned()),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            username: None,
            bot_token_secret: None,
            home_dc: self.home_dc(&phone, Some(ctx.dc_id)),
            password: None,
            login_email: None,
            access_hash: self.random_i64(),
        };
        let user = self
            .store
            .complete_sign_up(&record.phone_code_hash, ctx.auth_key_id, &new, ctx.now)
            .map_err(|e| internal(&e))?
            .ok_or_else(|| fail(errors, "AUTH_KEY_INVALID"))?;
        tracing::info!(user_id = user.id, dc = ctx.dc_id, "signed up");
        Ok(self.authorization(&user)?.to_bytes())
    }

    /// `auth.logOut`: the key is no longer signed in.
    pub(crate) fn log_out(&self, ctx: &CallContext, _req: auth::LogOut) -> Result<Vec<u8>, RpcError> {
        let (key, user) = self.user_of(ctx)?;
        self.store.bind_auth_key(key.id, None).map_err(|e| failure::internal(&e))?;
        self.challenges().remove(&key.id);
        tracing::info!(user_id = user.id, "logged out");
        Ok(enums::auth::LoggedOut::from(types::auth::LoggedOut { future_auth_token: None }).to_bytes())
    }

    /// `auth.importBotAuthorization` with a token made by [`Api::create_bot`].
    pub(crate) fn import_bot_authorization(
        &self,
        ctx: &CallContext,
        req: auth::ImportBotAuthorization,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = auth::ImportBotAuthorization::POSSIBLE_ERRORS;
        let internal = |e: StoreError| failure::internal(&e);
        if req.api_id <= 0 || req.api_hash.is_empty() {
            return Err(fail(errors, "API_ID_INVALID"));
        }
        let invalid = || fail(errors, "ACCESS_TOKEN_INVALID");
        let (id, secret) = req.bot_auth_token.split_once(':').ok_or_else(invalid)?;
        let id: i64 = id.parse().map_err(|_| invalid())?;
        let stored = self.store.bot_token_secret(id).map_err(internal)?.ok_or_else(invalid)?;
        if !bool::from(stored.as_bytes().ct_eq(secret.as_bytes())) {
            return Err(invalid());
        }
        let bot = self.store.user(id).map_err(internal)?.ok_or_else(invalid)?;
        if !self.store.bind_auth_key(ctx.auth_key_id, Some(bot.id)).map_err(internal)? {
            return Err(fail(errors, "AUTH_KEY_INVALID"));
        }
        tracing::info!(bot_id = bot.id, dc = ctx.dc_id, "bot signed in");
        Ok(self.authorization(&bot)?.to_bytes())
    }

    /// `auth.exportAuthorization`: a one-time authorization of the signed-in user for `dc_id`.
    pub(crate) fn export_authorization(
        &self,
        ctx: &CallContext,
        req: auth::ExportAuthorization,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = auth::ExportAuthorization::POSSIBLE_ERRORS;
        let (_, user) = self.user_of(ctx)?;
        if !self.config.dcs.iter().any(|d| d.id == req.dc_id) {
            return Err(fail(errors, "DC_ID_INVALID"));
        }
        let export =
            ExportedAuth { user_id: user.id, bytes: self.random_bytes(EXPORT_BYTES), dc: req.dc_id, created: ctx.now };
        self.store.insert_exported_auth(&export).map_err(|e| failure::internal(&e))?;
        Ok(enums::auth::ExportedAuthorization::from(types::auth::ExportedAuthorization {
            id: user.id,
            bytes: export.bytes,
        })
        .to_bytes())
    }

    /// `auth.importAuthorization`: signs the key in with an authorization exported for this DC.
    pub(crate) fn import_authorization(
        &self,
        ctx: &CallContext,
        req: auth::ImportAuthorization,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = auth::ImportAuthorization::POSSIBLE_ERRORS;
        let internal = |e: StoreError| failure::internal(&e);
        let user = self.store.user(req.id).map_err(internal)?.ok_or_else(|| fail(errors, "USER_ID_INVALID"))?;
        let exports = self.store.exported_auths(user.id).map_err(internal)?;
        let export = exports
            .into_iter()
            .filter(|e| e.dc == ctx.dc_id && ctx.now < e.created + self.config.export_lifetime)
            .find(|e| bool::from(e.bytes.ct_eq(&req.bytes)))
            .ok_or_else(|| fail(errors, "AUTH_BYTES_INVALID"))?;
        if !self.store.import_exported_auth(&export, ctx.auth_key_id).map_err(internal)? {
            return Err(fail(errors, "AUTH_KEY_INVALID"));
        }
        tracing::info!(user_id = user.id, dc = ctx.dc_id, "authorization imported");
        Ok(self.authorization(&user)?.to_bytes())
    }
}
