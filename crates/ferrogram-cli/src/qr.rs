//! `ferrogram login --qr` (show a QR code, wait until an app signed in to the account scans it)
//! and `ferrogram accept-login URL` (be that app: accept a link another session shows).

use std::time::SystemTime;

use anyhow::Context as _;
use ferrogram::{AcceptLoginError, Client, QrLogin, SignInError};
use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;

use crate::account::{ask, display_name};
use crate::target::ClientArgs;

/// The QR code of `url` in Unicode half blocks, two modules a character cell. Drawn light on
/// dark (the dark modules are blank cells): how a terminal with a dark background shows a code
/// that phones can scan; the quiet zone around it is part of the drawing.
pub fn render(url: &str) -> anyhow::Result<String> {
    let code = QrCode::new(url.as_bytes()).context("the link does not fit in a QR code")?;
    Ok(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).quiet_zone(true).build())
}

/// Prints the code and the link of `login` (the link on a line of its own, for scripts and
/// for `ferrogram accept-login`).
fn show(login: &QrLogin) {
    let url = login.url();
    match render(&url) {
        Ok(drawing) => println!("{drawing}"),
        Err(error) => eprintln!("cannot draw the QR code ({error:#}); use the link below"),
    }
    let left = login.expires().duration_since(SystemTime::now()).map(|d| d.as_secs()).unwrap_or(0);
    println!("Scan it with an app signed in to the account (Settings > Devices > Link Desktop Device),");
    println!("or accept it from a signed-in session with `ferrogram accept-login URL`. Renewed in {left} s.");
    println!("URL: {url}");
}

/// `ferrogram login --qr`: shows the QR code (again each time it is renewed), waits for it to be
/// accepted, asks for the 2FA password if the account has one, and saves the session.
/// The client is connected and not signed in.
pub async fn login(client: &Client, password: Option<String>) -> anyhow::Result<()> {
    let login = client.qr_login().await.context("auth.exportLoginToken")?;
    show(&login);
    let me = match login.wait(show).await {
        Ok(me) => me,
        Err(SignInError::PasswordRequired(token)) => {
            let hint = token.hint().unwrap_or("none").to_owned();
            let password = password.unwrap_or_else(|| ask(&format!("password (hint: {hint})")));
            client.check_password(*token, password).await.context("auth.checkPassword")?
        }
        Err(error) => return Err(error).context("waiting for the QR code to be accepted"),
    };
    println!("signed in as {} (id {})", display_name(&me), me.id);
    Ok(())
}

/// Options of `ferrogram accept-login`.
#[derive(Debug, clap::Args)]
pub struct AcceptLoginArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// The link the other app shows (`tg://login?token=…`, as printed by `ferrogram login --qr`),
    /// or its bare token.
    url: String,
}

/// `ferrogram accept-login URL`: signs the app showing the link in to this session's account.
pub async fn accept_login(args: AcceptLoginArgs) -> anyhow::Result<()> {
    // A malformed link is refused before anything connects.
    ferrogram::auth::qr::parse_login_url(&args.url).context("reading the link")?;
    let opened = args.client.open()?;
    let result = accept_on(&opened.client, &args.url).await;
    opened.finish(result).await
}

async fn accept_on(client: &Client, url: &str) -> anyhow::Result<()> {
    client.connect().await.context("connecting")?;
    let session = match client.accept_login_token(url).await {
        Ok(session) => session,
        Err(AcceptLoginError::Invocation(error)) if error.rpc().is_some_and(|rpc| rpc.code == 401) => {
            anyhow::bail!("this session is not signed in (run `ferrogram login` first)")
        }
        Err(error) => return Err(error).context("auth.acceptLoginToken"),
    };
    let device = if session.device_model.is_empty() { "an app" } else { session.device_model.as_str() };
    println!("accepted: {device} (api id {}) is signing in to this account", session.api_id);
    Ok(())
}
