//! Signing in (<https://core.telegram.org/api/auth>): by phone code, with the optional email
//! verification, with a two-step verification password (SRP, <https://core.telegram.org/api/srp>),
//! signing up, signing in as a bot, logging out; and [`Client::start`], which drives the whole
//! flow from callbacks like GramJS's `client.start`; and by QR code (see [`qr`]).
//!
//! The sign-in errors GramJS's `auth.SignIn` page lists stay distinct all the way to the caller: `PHONE_CODE_EMPTY`,
//! `PHONE_CODE_EXPIRED` and `PHONE_CODE_INVALID` are [`SignInError::PhoneCodeEmpty`],
//! [`SignInError::PhoneCodeExpired`] and [`SignInError::PhoneCodeInvalid`]. Whatever else the
//! server answers, constructors included that a call should not end with (`auth.sentCodeSuccess`,
//! `auth.sentCodePaymentRequired`, `auth.authorizationSignUpRequired` to a bot), becomes a
//! typed error or a sensible result, never a panic.

pub mod qr;

use ferrogram_mtproto::crypto::srp::{self, SrpError, SrpParams};
use ferrogram_tl::{enums, functions, types};

use crate::client::Client;
use crate::errors::InvocationError;
use crate::net::OsRandom;
use crate::session::SignedInUser;

/// What [`Client::send_code`] returns: what [`Client::sign_in`] needs to go on.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginToken {
    /// The phone number the code was sent for.
    pub phone: String,
    /// The hash identifying this code request.
    pub phone_code_hash: String,
    /// How the code was sent (app, SMS, call, email ...).
    pub code_type: enums::auth::SentCodeType,
    /// How the code would be sent if requested again (`auth.resendCode`).
    pub next_type: Option<enums::auth::CodeType>,
    /// Seconds before the code may be sent again the next way.
    pub timeout: Option<i32>,
}

/// The account's two-step verification state (`account.password`), needed by
/// [`Client::check_password`]. Its SRP values are good for one attempt: after a wrong password
/// get a new one with [`Client::password_token`].
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordToken {
    password: types::account::Password,
}

impl PasswordToken {
    /// Wraps an `account.password`.
    pub fn new(password: types::account::Password) -> Self {
        PasswordToken { password }
    }

    /// The hint the user set for the password.
    pub fn hint(&self) -> Option<&str> {
        self.password.hint.as_deref()
    }

    /// The `account.password` this token holds.
    pub fn password(&self) -> &types::account::Password {
        &self.password
    }
}

/// What signing in with a code ended with.
#[derive(Debug, Clone, PartialEq)]
pub enum SignInResult {
    /// Signed in as this user.
    Authorized(Box<types::User>),
    /// The phone number has no account yet: accept the terms and call [`Client::sign_up`].
    SignUpRequired {
        /// The terms of service to show before signing up, if the server sent them.
        terms_of_service: Option<Box<enums::help::TermsOfService>>,
    },
}

/// Why a login step failed. The errors the login methods document are variants of their own;
/// everything else is [`SignInError::Invocation`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// The account has a two-step verification password: call [`Client::check_password`] with
    /// this token (`SESSION_PASSWORD_NEEDED`).
    #[error("the account is protected by a password (SESSION_PASSWORD_NEEDED)")]
    PasswordRequired(Box<PasswordToken>),
    /// `PHONE_CODE_EMPTY`: no code was given.
    #[error("PHONE_CODE_EMPTY: the phone code is missing")]
    PhoneCodeEmpty,
    /// `PHONE_CODE_EXPIRED`: the code is too old (or was replaced by a newer one); send a new one.
    #[error("PHONE_CODE_EXPIRED: the phone code has expired")]
    PhoneCodeExpired,
    /// `PHONE_CODE_INVALID`: the code is wrong.
    #[error("PHONE_CODE_INVALID: the phone code is invalid")]
    PhoneCodeInvalid,
    /// `PHONE_NUMBER_INVALID`: not a valid phone number.
    #[error("PHONE_NUMBER_INVALID: the phone number is invalid")]
    PhoneNumberInvalid,
    /// `PHONE_NUMBER_UNOCCUPIED`: the number has no account (sign up instead).
    #[error("PHONE_NUMBER_UNOCCUPIED: the phone number is not yet being used")]
    PhoneNumberUnoccupied,
    /// `SIGN_IN_FAILED` (500): the server failed to complete the sign-in; trying again later may
    /// work.
    #[error("SIGN_IN_FAILED: failure while signing in")]
    SignInFailed,
    /// `PHONE_NUMBER_BANNED`: the number is banned.
    #[error("PHONE_NUMBER_BANNED: the phone number is banned")]
    PhoneNumberBanned,
    /// `PASSWORD_HASH_INVALID`: the two-step verification password is wrong.
    #[error("PASSWORD_HASH_INVALID: the password is wrong")]
    PasswordHashInvalid,
    /// `FIRST_NAME_INVALID`: the first name given to sign up is empty or too long.
    #[error("FIRST_NAME_INVALID: the first name is invalid")]
    FirstNameInvalid,
    /// `ACCESS_TOKEN_INVALID`: the bot token is wrong.
    #[error("ACCESS_TOKEN_INVALID: the bot token is invalid")]
    AccessTokenInvalid,
    /// The server sent a code only after payment (`auth.sentCodePaymentRequired`), which this
    /// client cannot make.
    #[error("sending a code requires a payment ({amount} {currency} for {store_product})")]
    PaymentRequired {
        /// The store product to buy.
        store_product: String,
        /// The price's currency.
        currency: String,
        /// The price in the currency's smallest unit.
        amount: i64,
    },
    /// `account.password` says the account has no usable password (no `current_algo`,
    /// `srp_B` or `srp_id`) although the server asked for one.
    #[error("the server asked for a password but the account has none")]
    NoPassword,
    /// The password's key derivation algorithm is one this client does not know.
    #[error("unknown password algorithm")]
    UnknownPasswordAlgorithm,
    /// The server's SRP values failed their checks (a server trying to learn the password, or
    /// a broken one).
    #[error("two-step verification: {0}")]
    Srp(#[from] SrpError),
    /// The server answered with something the call cannot end with (named here).
    #[error("unexpected answer: {0}")]
    Unexpected(&'static str),
    /// Any other failure (network, other RPC errors: see [`InvocationError::rpc`]).
    #[error(transparent)]
    Invocation(InvocationError),
}

impl From<InvocationError> for SignInError {
    fn from(error: InvocationError) -> Self {
        let Some(rpc) = error.rpc() else { return SignInError::Invocation(error) };
        match rpc.name.as_str() {
            "PHONE_CODE_EMPTY" => SignInError::PhoneCodeEmpty,
            "PHONE_CODE_EXPIRED" => SignInError::PhoneCodeExpired,
            "PHONE_CODE_INVALID" => SignInError::PhoneCodeInvalid,
            "PHONE_NUMBER_INVALID" => SignInError::PhoneNumberInvalid,
            "PHONE_NUMBER_UNOCCUPIED" => SignInError::PhoneNumberUnoccupied,
            "SIGN_IN_FAILED" => SignInError::SignInFailed,
            "PHONE_NUMBER_BANNED" => SignInError::PhoneNumberBanned,
            "PASSWORD_HASH_INVALID" => SignInError::PasswordHashInvalid,
            "FIRST_NAME_INVALID" => SignInError::FirstNameInvalid,
            "ACCESS_TOKEN_INVALID" => SignInError::AccessTokenInvalid,
            _ => SignInError::Invocation(error),
        }
    }
}

impl SignInError {
    /// The server's error behind this one, for the variants that came from an RPC error.
    pub fn rpc(&self) -> Option<&crate::RpcError> {
        match self {
            SignInError::Invocation(e) => e.rpc(),
            _ => None,
        }
    }
}

/// Asks for the two-step verification password, given its hint.
pub type PasswordPrompt<'a> = Box<dyn FnMut(Option<&str>) -> String + Send + 'a>;

/// Callbacks for [`Client::start`]: where the phone number, the code, the password and the
/// names for a new account come from (a terminal prompt, a UI, a test).
pub struct StartCallbacks<'a> {
    /// The phone number to sign in with (international format).
    pub phone: Box<dyn FnMut() -> String + Send + 'a>,
    /// The code the user received, given how it was sent.
    pub code: Box<dyn FnMut(&LoginToken) -> String + Send + 'a>,
    /// The two-step verification password, given its hint.
    pub password: PasswordPrompt<'a>,
    /// First and last name for a new account (asked only if the number has none).
    pub first_name: Box<dyn FnMut() -> (String, String) + Send + 'a>,
    /// Sign in as a bot with this token instead (the other callbacks are not called).
    pub bot_token: Option<String>,
    /// How many wrong codes or passwords are asked again before giving up.
    pub max_attempts: u32,
}

impl<'a> StartCallbacks<'a> {
    /// Callbacks for a user account; a new account is named "ferrogram user" unless
    /// [`first_name`](Self::first_name) is replaced.
    pub fn new(
        phone: impl FnMut() -> String + Send + 'a,
        code: impl FnMut(&LoginToken) -> String + Send + 'a,
        password: impl FnMut(Option<&str>) -> String + Send + 'a,
    ) -> Self {
        StartCallbacks {
            phone: Box::new(phone),
            code: Box::new(code),
            password: Box::new(password),
            first_name: Box::new(|| ("ferrogram user".into(), String::new())),
            bot_token: None,
            max_attempts: 3,
        }
    }

    /// Callbacks that sign in as the bot with `token`.
    pub fn bot(token: impl Into<String>) -> Self {
        StartCallbacks {
            phone: Box::new(String::new),
            code: Box::new(|_| String::new()),
            password: Box::new(|_| String::new()),
            first_name: Box::new(|| (String::new(), String::new())),
            bot_token: Some(token.into()),
            max_attempts: 1,
        }
    }
}

impl Client {
    /// Asks the server to send a login code to `phone` (`auth.sendCode`).
    ///
    /// `auth.sentCodeSuccess` (the server signed the account in without a code) is
    /// [`SignInError::Unexpected`] unless it carries a user, in which case the session is
    /// signed in and the error says so: check [`is_authorized`](Self::is_authorized).
    pub async fn send_code(&self, phone: &str) -> Result<LoginToken, SignInError> {
        let request = functions::auth::SendCode {
            phone_number: phone.to_string(),
            api_id: self.api_id(),
            api_hash: self.api_hash().to_string(),
            settings: types::CodeSettings::default().into(),
        };
        match self.invoke(&request).await? {
            enums::auth::SentCode::SentCode(sent) => Ok(LoginToken {
                phone: phone.to_string(),
                phone_code_hash: sent.phone_code_hash,
                code_type: sent.r#type,
                next_type: sent.next_type,
                timeout: sent.timeout,
            }),
            enums::auth::SentCode::Success(success) => match self.authorized(success.authorization)? {
                SignInResult::Authorized(_) => {
                    Err(SignInError::Unexpected("auth.sentCodeSuccess: signed in without a code"))
                }
                SignInResult::SignUpRequired { .. } => {
                    Err(SignInError::Unexpected("auth.sentCodeSuccess carrying auth.authorizationSignUpRequired"))
                }
            },
            enums::auth::SentCode::PaymentRequired(payment) => Err(SignInError::PaymentRequired {
                store_product: payment.store_product,
                currency: payment.currency,
                amount: payment.amount,
            }),
        }
    }

    /// Signs in with the code sent for `token` (`auth.signIn`).
    ///
    /// A password-protected account gives [`SignInError::PasswordRequired`]; a number without
    /// an account gives [`SignInResult::SignUpRequired`].
    pub async fn sign_in(&self, token: &LoginToken, code: &str) -> Result<SignInResult, SignInError> {
        self.sign_in_with(token, Some(code.to_string()), None).await
    }

    /// Signs in with the code sent for `token` and the code sent to the login email
    /// (`auth.signIn` with `email_verification`); `code` may be `None` when the server asked
    /// only for the email code.
    pub async fn sign_in_with_email(
        &self,
        token: &LoginToken,
        code: Option<&str>,
        email_code: &str,
    ) -> Result<SignInResult, SignInError> {
        let email = types::EmailVerificationCode { code: email_code.to_string() }.into();
        self.sign_in_with(token, code.map(str::to_string), Some(email)).await
    }

    async fn sign_in_with(
        &self,
        token: &LoginToken,
        phone_code: Option<String>,
        email_verification: Option<enums::EmailVerification>,
    ) -> Result<SignInResult, SignInError> {
        let request = functions::auth::SignIn {
            phone_number: token.phone.clone(),
            phone_code_hash: token.phone_code_hash.clone(),
            phone_code,
            email_verification,
        };
        match self.invoke(&request).await {
            Ok(authorization) => self.authorized(authorization),
            Err(error) if error.is("SESSION_PASSWORD_NEEDED") => {
                Err(SignInError::PasswordRequired(Box::new(self.password_token().await?)))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The account's current two-step verification state (`account.getPassword`).
    pub async fn password_token(&self) -> Result<PasswordToken, InvocationError> {
        let enums::account::Password::Password(password) = self.invoke(&functions::account::GetPassword {}).await?;
        Ok(PasswordToken::new(password))
    }

    /// Finishes signing in with the two-step verification `password` (`auth.checkPassword`
    /// with an SRP proof computed from `token`).
    pub async fn check_password(
        &self,
        token: PasswordToken,
        password: impl AsRef<[u8]>,
    ) -> Result<types::User, SignInError> {
        let current = token.password;
        let algo = current.current_algo.ok_or(SignInError::NoPassword)?;
        let params = match *algo {
            enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(a) => {
                SrpParams { salt1: a.salt1, salt2: a.salt2, g: a.g, p: a.p }
            }
            enums::PasswordKdfAlgo::Unknown(_) => return Err(SignInError::UnknownPasswordAlgorithm),
        };
        let (Some(srp_b), Some(srp_id)) = (current.srp_b, current.srp_id) else {
            return Err(SignInError::NoPassword);
        };
        let answer = srp::client_answer(password.as_ref(), &params, &srp_b, &mut OsRandom)?;
        let request = functions::auth::CheckPassword {
            password: types::InputCheckPasswordSrp { srp_id, a: answer.a, m1: answer.m1 }.into(),
        };
        match self.authorized(self.invoke(&request).await?)? {
            SignInResult::Authorized(user) => Ok(*user),
            SignInResult::SignUpRequired { .. } => {
                Err(SignInError::Unexpected("auth.authorizationSignUpRequired to auth.checkPassword"))
            }
        }
    }

    /// Creates an account for the number of `token` (`auth.signUp`), after
    /// [`SignInResult::SignUpRequired`].
    pub async fn sign_up(
        &self,
        token: &LoginToken,
        first_name: &str,
        last_name: &str,
    ) -> Result<types::User, SignInError> {
        let request = functions::auth::SignUp {
            no_joined_notifications: false,
            phone_number: token.phone.clone(),
            phone_code_hash: token.phone_code_hash.clone(),
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
        };
        match self.authorized(self.invoke(&request).await?)? {
            SignInResult::Authorized(user) => Ok(*user),
            SignInResult::SignUpRequired { .. } => {
                Err(SignInError::Unexpected("auth.authorizationSignUpRequired to auth.signUp"))
            }
        }
    }

    /// Signs in as a bot with the token from @BotFather (`auth.importBotAuthorization`).
    pub async fn bot_sign_in(&self, bot_token: &str) -> Result<types::User, SignInError> {
        let request = functions::auth::ImportBotAuthorization {
            flags: 0,
            api_id: self.api_id(),
            api_hash: self.api_hash().to_string(),
            bot_auth_token: bot_token.to_string(),
        };
        match self.authorized(self.invoke(&request).await?)? {
            SignInResult::Authorized(user) => Ok(*user),
            SignInResult::SignUpRequired { .. } => {
                Err(SignInError::Unexpected("auth.authorizationSignUpRequired to a bot sign-in"))
            }
        }
    }

    /// Logs out (`auth.logOut`) and forgets the account and every key in the session.
    pub async fn log_out(&self) -> Result<(), InvocationError> {
        let result = self.invoke(&functions::auth::LogOut {}).await;
        match result {
            Ok(_) => {}
            // Not signed in (anymore) is what logging out wants anyway.
            Err(InvocationError::Rpc(ref e)) if e.code == 401 => {}
            Err(e) => return Err(e),
        }
        self.update_session(|data| data.sign_out())?;
        self.reload_updates();
        self.drop_connections().await;
        Ok(())
    }

    /// The signed-in user (`users.getUsers([inputUserSelf])`).
    pub async fn get_me(&self) -> Result<types::User, InvocationError> {
        let users = self.invoke(&functions::users::GetUsers { id: vec![types::InputUserSelf {}.into()] }).await?;
        match users.into_iter().next() {
            Some(enums::User::User(user)) => Ok(user),
            Some(enums::User::Empty(_)) => Err(InvocationError::Unexpected("userEmpty for inputUserSelf")),
            None => Err(InvocationError::Unexpected("no user for inputUserSelf")),
        }
    }

    /// Whether the session is signed in: asks the server (`users.getUsers`), a 401 error
    /// meaning no.
    pub async fn is_authorized(&self) -> Result<bool, InvocationError> {
        match self.get_me().await {
            Ok(_) => Ok(true),
            Err(InvocationError::Rpc(e)) if e.code == 401 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Connects and signs in, asking `callbacks` for what it needs, like GramJS's
    /// `client.start`: nothing if the session is signed in already; else the bot token, or the
    /// phone, the code (again after a wrong one), the password if the account has one, and
    /// names if the number has no account yet.
    pub async fn start(&self, mut callbacks: StartCallbacks<'_>) -> Result<types::User, SignInError> {
        self.connect().await?;
        if self.is_authorized().await? {
            return Ok(self.get_me().await?);
        }
        if let Some(bot_token) = &callbacks.bot_token {
            return self.bot_sign_in(bot_token).await;
        }
        let attempts = callbacks.max_attempts.max(1);
        let phone = (callbacks.phone)();
        let token = self.send_code(&phone).await?;
        let mut tries = 0;
        let result = loop {
            tries += 1;
            let code = (callbacks.code)(&token);
            match self.sign_in(&token, &code).await {
                Ok(result) => break result,
                Err(SignInError::PasswordRequired(password_token)) => {
                    return self.start_password(*password_token, &mut callbacks, attempts).await;
                }
                Err(SignInError::PhoneCodeInvalid | SignInError::PhoneCodeEmpty) if tries < attempts => continue,
                Err(error) => return Err(error),
            }
        };
        match result {
            SignInResult::Authorized(user) => Ok(*user),
            SignInResult::SignUpRequired { .. } => {
                let (first, last) = (callbacks.first_name)();
                self.sign_up(&token, &first, &last).await
            }
        }
    }

    async fn start_password(
        &self,
        mut token: PasswordToken,
        callbacks: &mut StartCallbacks<'_>,
        attempts: u32,
    ) -> Result<types::User, SignInError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let password = (callbacks.password)(token.hint());
            match self.check_password(token, password).await {
                Err(SignInError::PasswordHashInvalid) if tries < attempts => token = self.password_token().await?,
                other => return other,
            }
        }
    }

    /// Records a successful authorization in the session and says what it was.
    fn authorized(&self, authorization: enums::auth::Authorization) -> Result<SignInResult, SignInError> {
        match authorization {
            enums::auth::Authorization::Authorization(authorization) => match authorization.user {
                enums::User::User(user) => {
                    let signed_in = SignedInUser { id: user.id, bot: user.bot };
                    self.update_session(|data| {
                        // Another account's update state means nothing for this one.
                        if data.user.is_some_and(|user| user.id != signed_in.id) {
                            data.updates = None;
                        }
                        data.user = Some(signed_in);
                    })?;
                    self.reload_updates();
                    Ok(SignInResult::Authorized(Box::new(user)))
                }
                enums::User::Empty(_) => Err(SignInError::Unexpected("auth.authorization with userEmpty")),
            },
            enums::auth::Authorization::SignUpRequired(required) => {
                Ok(SignInResult::SignUpRequired { terms_of_service: required.terms_of_service })
            }
        }
    }
}
