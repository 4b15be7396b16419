//! Two-factor authentication with SRP (<https://core.telegram.org/api/srp>):
//! `account.getPassword` hands out the KDF parameters and a fresh `srp_B` (with its `srp_id`);
//! `auth.checkPassword` checks the client's `A` and `M1` with
//! [`ferrogram_mtproto::crypto::srp::server_check`]. The server keeps only the salts and the
//! verifier `v = g^x mod p`, never the password.

use ferrogram_mtproto::crypto::{dh, srp};
use ferrogram_mtproto::RandomSource;
use ferrogram_tl::functions::{account, auth};
use ferrogram_tl::{enums, types, Serializable};

use super::failure::{self, fail, flood_wait};
use super::{Api, PendingSrp};
use crate::context::{CallContext, RpcError};
use crate::store::{AttemptSlot, PasswordRecord, StoreError};

/// The generator used with Telegram's DH prime.
pub const SRP_G: i32 = 3;

/// Parameters for a new password: random `salt1` (8 bytes; the client or
/// [`srp::SrpParams::with_fresh_salt1`] appends 32 more) and `salt2` (16 bytes), Telegram's
/// prime and g = 3.
pub fn base_params(random: &mut dyn RandomSource) -> srp::SrpParams {
    let mut salt1 = vec![0u8; 8];
    let mut salt2 = vec![0u8; 16];
    random.fill(&mut salt1);
    random.fill(&mut salt2);
    srp::SrpParams { salt1, salt2, g: SRP_G, p: dh::telegram_dh_prime() }
}

fn params_of(password: &PasswordRecord) -> srp::SrpParams {
    srp::SrpParams {
        salt1: password.salt1.clone(),
        salt2: password.salt2.clone(),
        g: SRP_G,
        p: dh::telegram_dh_prime(),
    }
}

fn algo(params: &srp::SrpParams) -> enums::PasswordKdfAlgo {
    types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
        salt1: params.salt1.clone(),
        salt2: params.salt2.clone(),
        g: params.g,
        p: params.p.clone(),
    }
    .into()
}

impl Api {
    /// `account.getPassword`: for the signed-in user, or for the one a sign-in on this key is
    /// waiting on (`SESSION_PASSWORD_NEEDED`).
    pub(crate) fn get_password(&self, ctx: &CallContext, _req: account::GetPassword) -> Result<Vec<u8>, RpcError> {
        let internal = |e: StoreError| failure::internal(&e);
        let key = self.key_of(ctx)?;
        let user_id = key.user_id.or(key.password_pending_user).ok_or_else(failure::unregistered)?;
        let user = self.store.user(user_id).map_err(internal)?.ok_or_else(failure::unregistered)?;

        let (new_params, secure_salt, secure_random) = {
            let mut random = self.random();
            let params = base_params(&mut **random);
            let mut secure_salt = vec![0u8; 8];
            let mut secure_random = vec![0u8; 32];
            random.fill(&mut secure_salt);
            random.fill(&mut secure_random);
            (params, secure_salt, secure_random)
        };
        let mut answer = types::account::Password {
            has_recovery: false,
            has_secure_values: false,
            has_password: false,
            current_algo: None,
            srp_b: None,
            srp_id: None,
            hint: None,
            email_unconfirmed_pattern: None,
            new_algo: algo(&new_params),
            new_secure_algo: types::SecurePasswordKdfAlgoPbkdf2Hmacsha512iter100000 { salt: secure_salt }.into(),
            secure_random,
            pending_reset_date: None,
            login_email_pattern: None,
        };
        if let Some(password) = &user.password {
            let params = params_of(password);
            let challenge =
                srp::server_challenge(&params, &password.verifier, &mut **self.random()).map_err(|error| {
                    tracing::error!(%error, user_id = user.id, "cannot make an SRP challenge");
                    failure::internal_named("SRP_CHALLENGE_FAILED")
                })?;
            let srp_id = self.random_i64();
            answer.has_password = true;
            answer.current_algo = Some(Box::new(algo(&params)));
            answer.srp_b = Some(challenge.srp_b.clone());
            answer.srp_id = Some(srp_id);
            answer.hint = password.hint.clone();
            // A new password keeps the account's salt1 prefix, as Telegram's does.
            answer.new_algo =
                algo(&srp::SrpParams { salt1: password.salt1.get(..8).unwrap_or_default().to_vec(), ..params });
            self.challenges().insert(key.id, PendingSrp { srp_id, user_id: user.id, challenge });
        }
        Ok(enums::account::Password::from(answer).to_bytes())
    }

    /// `auth.checkPassword`: completes a sign-in that answered `SESSION_PASSWORD_NEEDED`.
    pub(crate) fn check_password(&self, ctx: &CallContext, req: auth::CheckPassword) -> Result<Vec<u8>, RpcError> {
        let errors = auth::CheckPassword::POSSIBLE_ERRORS;
        let internal = |e: StoreError| failure::internal(&e);
        let key = self.key_of(ctx)?;
        let input = match req.password {
            enums::InputCheckPasswordSrp::InputCheckPasswordSrp(input) => input,
            enums::InputCheckPasswordSrp::InputCheckPasswordEmpty(_) => {
                return Err(fail(errors, "PASSWORD_HASH_INVALID"))
            }
        };
        // Each srp_B answers one check: a second try needs a new account.getPassword.
        let pending = self.challenges().remove(&key.id);
        let pending = pending.filter(|p| p.srp_id == input.srp_id).ok_or_else(|| fail(errors, "SRP_ID_INVALID"))?;
        if key.password_pending_user != Some(pending.user_id) && key.user_id != Some(pending.user_id) {
            return Err(fail(errors, "SRP_ID_INVALID"));
        }
        let user = self.store.user(pending.user_id).map_err(internal)?.ok_or_else(|| fail(errors, "SRP_ID_INVALID"))?;
        let password = user.password.as_ref().ok_or_else(|| fail(errors, "SRP_PASSWORD_CHANGED"))?;
        if password.verifier.is_empty() {
            return Err(fail(errors, "SRP_PASSWORD_CHANGED"));
        }
        // The attempt is counted before it is evaluated, in one statement, so concurrent checks
        // (one per key waiting for this account's password) cannot overrun the limit; a right
        // password hands its attempt back.
        let flood_key = format!("password:{}", user.id);
        let limit = self.config.password_attempt_limit;
        let (count, window_end) = match self
            .store
            .reserve_attempt(&flood_key, self.config.password_window, ctx.now, limit)
            .map_err(internal)?
        {
            AttemptSlot::Granted { count, window_end } => (count, window_end),
            AttemptSlot::Exhausted { window_end } => return Err(flood_wait(window_end - ctx.now)),
        };
        let answer = srp::SrpAnswer { a: input.a, m1: input.m1 };
        if let Err(error) = srp::server_check(&params_of(password), &password.verifier, &pending.challenge, &answer) {
            tracing::debug!(%error, user_id = user.id, "2FA check failed");
            if count >= limit {
                return Err(flood_wait(window_end - ctx.now));
            }
            return Err(fail(errors, "PASSWORD_HASH_INVALID"));
        }
        self.store.release_attempt(&flood_key, ctx.now).map_err(internal)?;
        if !self.store.bind_auth_key(key.id, Some(user.id)).map_err(internal)? {
            return Err(fail(errors, "AUTH_KEY_INVALID"));
        }
        tracing::info!(user_id = user.id, dc = ctx.dc_id, "signed in with 2FA");
        Ok(self.authorization(&user)?.to_bytes())
    }
}
