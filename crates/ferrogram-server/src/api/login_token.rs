//! Login by QR code (<https://core.telegram.org/api/qr-login>):
//! <https://core.telegram.org/method/auth.exportLoginToken>,
//! <https://core.telegram.org/method/auth.acceptLoginToken>,
//! <https://core.telegram.org/method/auth.importLoginToken>.
//!
//! A token's life: a signed-out key exports it (`auth.loginToken`, valid for
//! [`ApiConfig::login_token_lifetime`](super::ApiConfig::login_token_lifetime)); a signed-in
//! account accepts it, which pushes `updateLoginToken` to the exporting key; the exporting key
//! exports again and gets `auth.loginTokenSuccess` (signed in), `SESSION_PASSWORD_NEEDED` (the
//! account has a 2FA password: `auth.checkPassword` as after `auth.signIn`), or, when the
//! account lives on another DC, `auth.loginTokenMigrateTo` with a one-time token that
//! `auth.importLoginToken` on that DC turns into the same outcomes. Bots can use none of them.

use ferrogram_tl::functions::auth;
use ferrogram_tl::{enums, types, ErrorInfo, Serializable};

use super::failure::{self, fail, flood_wait};
use super::{tl, Api, Push};
use crate::context::{CallContext, RpcError};
use crate::store::{AuthKeyRecord, IssuedToken, LoginTokenKind, LoginTokenRecord, StoreError, UserRecord};

/// Length of a login token (Telegram's are 32 bytes too; random, so unguessable).
const TOKEN_BYTES: usize = 32;

/// Most `except_ids` an export may carry (apps are signed in to a handful of accounts; a longer
/// list would only make the stored row grow).
pub(crate) const MAX_EXCEPT_IDS: usize = 100;

/// `400 BOT_METHOD_INVALID` for a key signed in as a bot.
fn refuse_bots(api: &Api, key: &AuthKeyRecord) -> Result<(), RpcError> {
    let Some(user_id) = key.user_id else { return Ok(()) };
    match api.store.user(user_id) {
        Ok(Some(user)) if user.is_bot => Err(fail(&[], "BOT_METHOD_INVALID")),
        Ok(_) => Ok(()),
        Err(e) => Err(failure::internal(&e)),
    }
}

impl Api {
    /// `auth.exportLoginToken`: a new token for the calling key, or, once one of its tokens was
    /// accepted, the outcome of the login.
    pub(crate) fn export_login_token(
        &self,
        ctx: &CallContext,
        req: auth::ExportLoginToken,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = auth::ExportLoginToken::POSSIBLE_ERRORS;
        let internal = |e: StoreError| failure::internal(&e);
        let key = self.key_of(ctx)?;
        refuse_bots(self, &key)?;
        if req.api_id <= 0 || req.api_hash.is_empty() {
            return Err(fail(errors, "API_ID_INVALID"));
        }
        if req.except_ids.len() > MAX_EXCEPT_IDS {
            return Err(fail(errors, "INPUT_REQUEST_TOO_LONG"));
        }
        if let Some(accepted) = self.store.accepted_login_token(key.id, ctx.now).map_err(internal)? {
            return self.finish_login_token(errors, ctx, &key, &accepted);
        }
        let lifetime = self.config.login_token_lifetime.max(1);
        let record = LoginTokenRecord {
            token: self.random_bytes(TOKEN_BYTES),
            kind: LoginTokenKind::Export,
            auth_key_id: Some(key.id),
            dc: ctx.dc_id,
            except_ids: req.except_ids,
            created: ctx.now,
            expires: ctx.now + lifetime,
            accepted_by: None,
        };
        let limits = (self.config.max_login_tokens_per_key, self.config.max_login_tokens);
        let issued = self.store.issue_login_token(&record, ctx.now, lifetime, limits).map_err(internal)?;
        if let IssuedToken::Full { next_free } = issued {
            tracing::warn!(limit = self.config.max_login_tokens, "too many QR-login tokens");
            return Err(flood_wait(next_free - ctx.now));
        }
        Ok(enums::auth::LoginToken::from(types::auth::LoginToken {
            expires: tl::clamp_i32(record.expires),
            token: record.token,
        })
        .to_bytes())
    }

    /// `auth.acceptLoginToken`: the signed-in account accepts a token another app shows, and
    /// that app's key learns of it by `updateLoginToken`.
    pub(crate) fn accept_login_token(
        &self,
        ctx: &CallContext,
        req: auth::AcceptLoginToken,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = auth::AcceptLoginToken::POSSIBLE_ERRORS;
        let internal = |e: StoreError| failure::internal(&e);
        let (_, user) = self.user_of(ctx)?;
        if user.is_bot {
            return Err(fail(errors, "BOT_METHOD_INVALID"));
        }
        let record = self
            .store
            .login_token(&req.token)
            .map_err(internal)?
            .filter(|r| r.kind == LoginTokenKind::Export)
            .ok_or_else(|| fail(errors, "AUTH_TOKEN_INVALIDX"))?;
        if record.accepted_by.is_some() {
            return Err(fail(errors, "AUTH_TOKEN_ALREADY_ACCEPTED"));
        }
        if ctx.now >= record.expires {
            return Err(fail(errors, "AUTH_TOKEN_EXPIRED"));
        }
        if record.except_ids.contains(&user.id) {
            // The app that shows the code is signed in to this account already.
            return Err(fail(errors, "AUTH_TOKEN_EXCEPTION"));
        }
        let Some(waiting) = record.auth_key_id else { return Err(fail(errors, "AUTH_TOKEN_INVALIDX")) };
        let waiting_key =
            self.store.auth_key(waiting).map_err(internal)?.ok_or_else(|| fail(errors, "AUTH_TOKEN_INVALIDX"))?;
        let until = ctx.now + self.config.login_token_lifetime.max(1);
        if !self.store.accept_login_token(&record.token, user.id, ctx.now, until).map_err(internal)? {
            // Accepted (or expired) between the read and the write.
            return Err(fail(errors, "AUTH_TOKEN_ALREADY_ACCEPTED"));
        }
        if waiting != ctx.auth_key_id {
            let update: enums::Updates =
                types::UpdateShort { update: types::UpdateLoginToken {}.into(), date: tl::clamp_i32(ctx.now) }.into();
            pushes.push(Push { auth_key_id: waiting, updates: update.to_bytes() });
        }
        tracing::info!(user_id = user.id, "QR-login token accepted");
        Ok(self.authorization_of_key(&waiting_key, ctx.now).to_bytes())
    }

    /// `auth.importLoginToken`: on the account's home DC, the token `auth.loginTokenMigrateTo`
    /// handed out signs the calling key in.
    pub(crate) fn import_login_token(
        &self,
        ctx: &CallContext,
        req: auth::ImportLoginToken,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = auth::ImportLoginToken::POSSIBLE_ERRORS;
        let key = self.key_of(ctx)?;
        refuse_bots(self, &key)?;
        let record = self
            .store
            .login_token(&req.token)
            .map_err(|e| failure::internal(&e))?
            .filter(|r| r.kind == LoginTokenKind::Import && r.dc == ctx.dc_id)
            .ok_or_else(|| fail(errors, "AUTH_TOKEN_INVALID"))?;
        if ctx.now >= record.expires {
            return Err(fail(errors, "AUTH_TOKEN_EXPIRED"));
        }
        self.finish_login_token(errors, ctx, &key, &record)
    }

    /// The outcome of an accepted token for `key`: a migration if the account lives on another
    /// DC, else the key is signed in (or left waiting for the 2FA password) and the token used.
    fn finish_login_token(
        &self,
        errors: &[ErrorInfo],
        ctx: &CallContext,
        key: &AuthKeyRecord,
        record: &LoginTokenRecord,
    ) -> Result<Vec<u8>, RpcError> {
        let internal = |e: StoreError| failure::internal(&e);
        let user: UserRecord = record
            .accepted_by
            .map(|id| self.store.user(id))
            .transpose()
            .map_err(internal)?
            .flatten()
            .ok_or_else(|| fail(errors, "AUTH_TOKEN_INVALID"))?;
        if user.home_dc != ctx.dc_id {
            let import = LoginTokenRecord {
                token: self.random_bytes(TOKEN_BYTES),
                kind: LoginTokenKind::Import,
                auth_key_id: None,
                dc: user.home_dc,
                except_ids: Vec::new(),
                created: ctx.now,
                expires: ctx.now + self.config.login_token_lifetime.max(1),
                accepted_by: Some(user.id),
            };
            self.store.migrate_login_token(&record.token, &import).map_err(internal)?;
            tracing::info!(user_id = user.id, from = ctx.dc_id, to = user.home_dc, "QR login continues on the home DC");
            return Ok(enums::auth::LoginToken::from(types::auth::LoginTokenMigrateTo {
                dc_id: user.home_dc,
                token: import.token,
            })
            .to_bytes());
        }
        let password = user.password.is_some();
        if !self.store.complete_login_token(&record.token, key.id, user.id, password).map_err(internal)? {
            return Err(fail(errors, "AUTH_TOKEN_INVALID"));
        }
        if password {
            return Err(fail(errors, "SESSION_PASSWORD_NEEDED"));
        }
        tracing::info!(user_id = user.id, dc = ctx.dc_id, "signed in by QR code");
        Ok(enums::auth::LoginToken::from(types::auth::LoginTokenSuccess { authorization: self.authorization(&user)? })
            .to_bytes())
    }

    /// The `authorization` (a session, as `account.getAuthorizations` lists them) of `key`, as
    /// its client described itself in `initConnection`.
    fn authorization_of_key(&self, key: &AuthKeyRecord, now: i64) -> enums::Authorization {
        let client = &key.client;
        types::Authorization {
            current: false,
            official_app: false,
            password_pending: false,
            encrypted_requests_disabled: false,
            call_requests_disabled: false,
            unconfirmed: false,
            // Nothing here resets a session by hash yet; a random one names nobody else's.
            hash: self.random_i64(),
            device_model: client.device_model.clone().unwrap_or_default(),
            platform: String::new(),
            system_version: client.system_version.clone().unwrap_or_default(),
            api_id: client.api_id.unwrap_or_default(),
            app_name: String::new(),
            app_version: client.app_version.clone().unwrap_or_default(),
            date_created: tl::clamp_i32(key.created),
            date_active: tl::clamp_i32(now),
            ip: String::new(),
            country: String::new(),
            region: String::new(),
        }
        .into()
    }
}
