//! Login by QR code (<https://core.telegram.org/api/qr-login>): a signed-out client shows a
//! `tg://login?token=…` link as a QR code, the user scans it with an app already signed in, and
//! the client is signed in to that account.
//!
//! The signed-out side is [`Client::qr_login`], which gives a [`QrLogin`] to show, and
//! [`QrLogin::wait`], which waits for the acceptance and renews the token each time it expires
//! (Telegram's last about 30 seconds), calling back with every new link to show. The signed-in
//! side is [`Client::accept_login_token`], given the scanned link.
//!
//! ```no_run
//! # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::SignInError> {
//! let login = client.qr_login().await?;
//! println!("scan this: {}", login.url()); // or draw it with a QR crate
//! let user = login.wait(|renewed| println!("new code: {}", renewed.url())).await?;
//! println!("signed in as {:?}", user.first_name);
//! # Ok(()) }
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use ferrogram_tl::{enums, functions, types};

use super::{SignInError, SignInResult};
use crate::client::Client;
use crate::errors::InvocationError;
use crate::net::unix_now;

/// What a QR-login link starts with (<https://core.telegram.org/api/links#qr-code-login-links>).
pub const LOGIN_URL_PREFIX: &str = "tg://login?";

/// base64url as the links carry it: written without padding, read with or without.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The longest token a link is read with (Telegram's are 32 bytes; this leaves room without
/// letting a pasted text of any size through to the server).
const MAX_TOKEN_BYTES: usize = 256;

/// The `tg://login?token=…` link of `token`.
pub fn login_url(token: &[u8]) -> String {
    format!("{LOGIN_URL_PREFIX}token={}", BASE64URL.encode(token))
}

/// Why a text is not a QR-login link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginUrlError {
    /// The text is not a `tg://login?` link (nor a bare base64url token).
    #[error("not a QR-login link (want tg://login?token=…): {0:?}")]
    NotALoginUrl(String),
    /// The link has no `token` parameter, or an empty one.
    #[error("the QR-login link has no token")]
    MissingToken,
    /// The token is not base64url.
    #[error("the QR-login token is not base64url: {0}")]
    NotBase64(String),
    /// The token is longer than any login token.
    #[error("the QR-login token is {0} bytes long, more than a login token has")]
    TooLong(usize),
}

/// The token a QR-login link carries. Takes the link (`tg://login?token=…`) or the bare
/// base64url token, surrounding whitespace ignored.
pub fn parse_login_url(text: &str) -> Result<Vec<u8>, LoginUrlError> {
    let text = text.trim();
    let encoded = match text.strip_prefix(LOGIN_URL_PREFIX) {
        Some(query) => query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .filter(|t| !t.is_empty())
            .ok_or(LoginUrlError::MissingToken)?,
        // Neither can be in base64url: this is some other link.
        None if text.contains([':', '/']) => return Err(LoginUrlError::NotALoginUrl(text.chars().take(80).collect())),
        None if text.is_empty() => return Err(LoginUrlError::MissingToken),
        None => text,
    };
    let token = BASE64URL.decode(encoded).map_err(|e| LoginUrlError::NotBase64(e.to_string()))?;
    if token.is_empty() {
        return Err(LoginUrlError::MissingToken);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(LoginUrlError::TooLong(token.len()));
    }
    Ok(token)
}

/// Why [`Client::accept_login_token`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptLoginError {
    /// The text given is not a QR-login link.
    #[error(transparent)]
    Url(#[from] LoginUrlError),
    /// `AUTH_TOKEN_EXPIRED`: the code is too old; the other app shows a new one by now.
    #[error("AUTH_TOKEN_EXPIRED: the QR code has expired")]
    Expired,
    /// `AUTH_TOKEN_ALREADY_ACCEPTED`: someone accepted this code already.
    #[error("AUTH_TOKEN_ALREADY_ACCEPTED: the QR code was accepted already")]
    AlreadyAccepted,
    /// `AUTH_TOKEN_INVALID` / `AUTH_TOKEN_INVALIDX`: no such code (mistyped, or used up).
    #[error("AUTH_TOKEN_INVALID: the QR code is not valid")]
    Invalid,
    /// `AUTH_TOKEN_EXCEPTION`: the app showing the code is signed in to this account already.
    #[error("AUTH_TOKEN_EXCEPTION: the app showing the code is signed in to this account already")]
    AlreadySignedIn,
    /// Any other failure (not signed in, a bot, the network: see [`InvocationError::rpc`]).
    #[error(transparent)]
    Invocation(InvocationError),
}

impl From<InvocationError> for AcceptLoginError {
    fn from(error: InvocationError) -> Self {
        match error.rpc().map(|rpc| rpc.name.as_str()) {
            Some("AUTH_TOKEN_EXPIRED") => AcceptLoginError::Expired,
            Some("AUTH_TOKEN_ALREADY_ACCEPTED") => AcceptLoginError::AlreadyAccepted,
            Some("AUTH_TOKEN_INVALID" | "AUTH_TOKEN_INVALIDX") => AcceptLoginError::Invalid,
            Some("AUTH_TOKEN_EXCEPTION") => AcceptLoginError::AlreadySignedIn,
            _ => AcceptLoginError::Invocation(error),
        }
    }
}

/// A QR-code login in progress ([`Client::qr_login`]): the link to show now and when it
/// expires. [`wait`](Self::wait) finishes the login.
#[derive(Debug, Clone)]
pub struct QrLogin {
    client: Client,
    token: Vec<u8>,
    expires: i64,
}

impl QrLogin {
    /// The `tg://login?token=…` link to show as a QR code.
    pub fn url(&self) -> String {
        login_url(&self.token)
    }

    /// The token the link carries.
    pub fn token(&self) -> &[u8] {
        &self.token
    }

    /// When the link stops working (the server's clock); [`wait`](Self::wait) gets a new one
    /// then.
    pub fn expires(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(u64::try_from(self.expires).unwrap_or(0))
    }

    /// Waits until an app signed in to an account accepts the link, and signs the client in to
    /// that account (storing it in the session, like the other sign-ins). Each time the link
    /// expires first, a new one is fetched and passed to `renewed`: show that one instead.
    ///
    /// The server says the link was accepted with an `updateLoginToken` push; should the push
    /// be lost (a dropped connection), the next renewal finds the acceptance anyway. If the
    /// account lives on another DC, the client moves there (`auth.loginTokenMigrateTo`, then
    /// `auth.importLoginToken`) and makes it its home DC. A password-protected account gives
    /// [`SignInError::PasswordRequired`]: finish with [`Client::check_password`], as after
    /// [`Client::sign_in`].
    ///
    /// It waits for as long as nobody accepts; bound it with `tokio::time::timeout` (dropping
    /// the future leaves the client signed out, and a later [`Client::qr_login`] starts
    /// afresh).
    pub async fn wait(mut self, mut renewed: impl FnMut(&QrLogin)) -> Result<types::User, SignInError> {
        let accepted = &self.client.login_token_accepted();
        loop {
            let left = Duration::from_secs(u64::try_from(self.expires).unwrap_or(0)).saturating_sub(unix_now());
            // At least a second between exports, whatever the clocks say.
            let left = left.max(Duration::from_secs(1));
            tokio::select! {
                _ = accepted.notified() => {}
                _ = tokio::time::sleep(left) => {}
            }
            match self.client.export_login_token().await {
                Ok(enums::auth::LoginToken::LoginToken(token)) => {
                    let changed = token.token != self.token;
                    self.token = token.token;
                    self.expires = i64::from(token.expires);
                    if changed {
                        renewed(&self);
                    }
                }
                Ok(enums::auth::LoginToken::Success(success)) => {
                    return self.client.qr_authorized(success.authorization);
                }
                Ok(enums::auth::LoginToken::MigrateTo(migrate)) => {
                    return self.client.import_login_token(migrate.dc_id, migrate.token).await;
                }
                Err(error) => return Err(self.client.qr_failure(error).await),
            }
        }
    }
}

impl Client {
    /// Starts a login by QR code (`auth.exportLoginToken`): show [`QrLogin::url`] as a QR
    /// code, then call [`QrLogin::wait`]. See the [module docs](self).
    pub async fn qr_login(&self) -> Result<QrLogin, SignInError> {
        match self.export_login_token().await {
            Ok(enums::auth::LoginToken::LoginToken(token)) => {
                Ok(QrLogin { client: self.clone(), token: token.token, expires: i64::from(token.expires) })
            }
            Ok(_) => Err(SignInError::Unexpected("a QR login finished before it started")),
            Err(error) => Err(self.qr_failure(error).await),
        }
    }

    /// Accepts a QR-login link another app shows (`auth.acceptLoginToken`), signing that app in
    /// to this client's account. Takes the scanned `tg://login?token=…` link or its bare
    /// token; returns the new session as the server lists it.
    pub async fn accept_login_token(&self, url_or_token: &str) -> Result<types::Authorization, AcceptLoginError> {
        let token = parse_login_url(url_or_token)?;
        let enums::Authorization::Authorization(session) =
            self.invoke(&functions::auth::AcceptLoginToken { token }).await?;
        Ok(session)
    }

    async fn export_login_token(&self) -> Result<enums::auth::LoginToken, InvocationError> {
        let request = functions::auth::ExportLoginToken {
            api_id: self.api_id(),
            api_hash: self.api_hash().to_string(),
            except_ids: Vec::new(),
        };
        self.invoke(&request).await
    }

    /// Moves to the account's DC `dc` and signs in there with the token of the migration.
    async fn import_login_token(&self, dc: i32, token: Vec<u8>) -> Result<types::User, SignInError> {
        self.ensure_dc_known(self.home_dc(), dc).await?;
        self.update_session(|data| data.home_dc = Some(dc))?;
        match self.invoke_in_dc(dc, &functions::auth::ImportLoginToken { token }).await {
            Ok(enums::auth::LoginToken::Success(success)) => self.qr_authorized(success.authorization),
            Ok(enums::auth::LoginToken::MigrateTo(_)) => {
                Err(SignInError::Unexpected("auth.loginTokenMigrateTo answering auth.importLoginToken"))
            }
            Ok(enums::auth::LoginToken::LoginToken(_)) => {
                Err(SignInError::Unexpected("auth.loginToken answering auth.importLoginToken"))
            }
            Err(error) => Err(self.qr_failure(error).await),
        }
    }

    fn qr_authorized(&self, authorization: enums::auth::Authorization) -> Result<types::User, SignInError> {
        match self.authorized(authorization)? {
            SignInResult::Authorized(user) => Ok(*user),
            SignInResult::SignUpRequired { .. } => {
                Err(SignInError::Unexpected("auth.authorizationSignUpRequired to a QR login"))
            }
        }
    }

    /// `SESSION_PASSWORD_NEEDED` as the password step the other sign-ins give; anything else as
    /// it is.
    async fn qr_failure(&self, error: InvocationError) -> SignInError {
        if !error.is("SESSION_PASSWORD_NEEDED") {
            return error.into();
        }
        match self.password_token().await {
            Ok(token) => SignInError::PasswordRequired(Box::new(token)),
            Err(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_and_bad_ones_say_why() {
        let token: Vec<u8> = (0..32).map(|i| i * 7 + 250).map(|b: u32| b as u8).collect();
        let url = login_url(&token);
        let encoded = url.strip_prefix("tg://login?token=").unwrap();
        // URL-safe and unpadded: bytes like 0xfb 0xff are '+' and '/' in plain base64.
        assert!(!encoded.contains(['+', '/', '=']), "{encoded}");
        assert_eq!(parse_login_url(&url), Ok(token.clone()));
        assert_eq!(parse_login_url(&format!("  {url}&x=1\n")), Ok(token.clone()));
        assert_eq!(parse_login_url(encoded), Ok(token.clone()));
        assert_eq!(parse_login_url(&format!("{encoded}=")), Ok(token));

        assert!(matches!(parse_login_url("https://example.com/?token=abc"), Err(LoginUrlError::NotALoginUrl(_))));
        assert_eq!(parse_login_url("tg://login?foo=1"), Err(LoginUrlError::MissingToken));
        assert_eq!(parse_login_url("tg://login?token="), Err(LoginUrlError::MissingToken));
        assert_eq!(parse_login_url(""), Err(LoginUrlError::MissingToken));
        assert!(matches!(parse_login_url("tg://login?token=not*base64"), Err(LoginUrlError::NotBase64(_))));
        let long = login_url(&[1u8; 300]);
        assert_eq!(parse_login_url(&long), Err(LoginUrlError::TooLong(300)));
    }
}
