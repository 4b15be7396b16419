//! `ferrogram login`, `whoami`, `logout`, `invoke` and `import-session`: the library as a command,
//! on a session file.

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use ferrogram::{SqliteSession, StartCallbacks};
use ferrogram_tl::enums::auth::SentCodeType;
use ferrogram_tl_layers::{Layers, Longs};

use crate::target::{has_home_key, read_session, ClientArgs};

/// Options of `ferrogram login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// The phone number (asked if not given).
    #[arg(long)]
    phone: Option<String>,
    /// The login code (asked if not given).
    #[arg(long)]
    code: Option<String>,
    /// The two-step verification password (asked if the account has one and it is not given).
    #[arg(long, env = "FERROGRAM_PASSWORD")]
    password: Option<String>,
    /// Sign in as a bot with this token instead.
    #[arg(long)]
    bot_token: Option<String>,
    /// First name for a new account.
    #[arg(long, default_value = "ferrogram user")]
    first_name: String,
    /// Sign in by QR code instead: show it, and wait until an app signed in to the account
    /// scans it (or `ferrogram accept-login` accepts it).
    #[arg(long, conflicts_with_all = ["phone", "code", "bot_token"])]
    qr: bool,
}

pub(crate) fn ask(prompt: &str) -> String {
    eprint!("{prompt}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim().to_owned()
}

/// How a login code was sent, in words.
pub fn sent_code_words(kind: &SentCodeType) -> String {
    match kind {
        SentCodeType::App(_) => "sent to your Telegram app".into(),
        SentCodeType::Sms(_) => "sent by SMS".into(),
        SentCodeType::Call(_) => "to be read out in a phone call".into(),
        SentCodeType::FlashCall(_) => "the number of a flash call".into(),
        SentCodeType::MissedCall(m) => format!("the last {} digits of a missed call's number", m.length),
        SentCodeType::EmailCode(e) => format!("sent by email to {}", e.email_pattern),
        SentCodeType::SetUpEmailRequired(_) => "to be sent by email once one is set up".into(),
        SentCodeType::FragmentSms(_) => "sent by SMS through Fragment".into(),
        SentCodeType::FirebaseSms(_) => "sent by SMS (Firebase)".into(),
        SentCodeType::SmsWord(_) => "a word sent by SMS".into(),
        SentCodeType::SmsPhrase(_) => "a phrase sent by SMS".into(),
    }
}

/// Signs in (asking for what is missing) and saves the session. A session signed in already
/// is left as it is: with `--phone` or `--bot-token` (someone else, perhaps) that is an error.
pub async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let opened = args.client.open()?;
    let session = args.client.session.clone();
    let result = login_on(&opened.client, &session, args).await;
    opened.finish(result).await
}

async fn login_on(client: &ferrogram::Client, session: &std::path::Path, args: LoginArgs) -> anyhow::Result<()> {
    client.connect().await.context("connecting")?;
    if client.is_authorized().await.context("asking whether the session is signed in")? {
        let me = client.get_me().await.context("asking who the session is")?;
        if args.phone.is_some() || args.bot_token.is_some() {
            anyhow::bail!(
                "{} is already signed in as {} (id {}): log it out first (`ferrogram logout`) or use another --session",
                session.display(),
                display_name(&me),
                me.id
            );
        }
        println!("already signed in as {} (id {})", display_name(&me), me.id);
        return Ok(());
    }
    if args.qr {
        return crate::qr::login(client, args.password).await;
    }
    let LoginArgs { phone, code, password, bot_token, first_name, .. } = args;
    let mut callbacks = StartCallbacks::new(
        move || phone.clone().unwrap_or_else(|| ask("phone number")),
        move |token| {
            code.clone().unwrap_or_else(|| {
                ask(&format!("login code for {} ({})", token.phone, sent_code_words(&token.code_type)))
            })
        },
        move |hint| password.clone().unwrap_or_else(|| ask(&format!("password (hint: {})", hint.unwrap_or("none")))),
    );
    callbacks.first_name = Box::new(move || (first_name.clone(), String::new()));
    callbacks.bot_token = bot_token;
    let me = client.start(callbacks).await.context("signing in")?;
    println!("signed in as {} (id {})", display_name(&me), me.id);
    Ok(())
}

/// A user's name and username, for people.
pub fn display_name(user: &ferrogram_tl::types::User) -> String {
    let name =
        [user.first_name.as_deref(), user.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    match &user.username {
        Some(username) => format!("{name} (@{username})"),
        None => name,
    }
}

/// Fails with "not signed in" when the session file cannot be signed in (no file, or no key
/// for its home DC, as after `logout`), without contacting any server.
pub fn require_key(args: &ClientArgs) -> anyhow::Result<()> {
    let data = read_session(&args.session)?;
    if !has_home_key(&data) {
        anyhow::bail!("not signed in: {} holds no signed-in account (run `ferrogram login`)", args.session.display());
    }
    Ok(())
}

/// Prints who the session is signed in as.
pub async fn whoami(args: ClientArgs) -> anyhow::Result<()> {
    require_key(&args)?;
    let opened = args.open()?;
    let client = &opened.client;
    let result = async {
        client.connect().await.context("connecting")?;
        if !client.is_authorized().await.context("asking whether the session is signed in")? {
            anyhow::bail!("not signed in (run `ferrogram login`)");
        }
        let me = client.get_me().await.context("asking who the session is")?;
        println!("{} (id {}, phone {})", display_name(&me), me.id, me.phone.as_deref().unwrap_or("-"));
        Ok(())
    }
    .await;
    opened.finish(result).await
}

/// Logs the session out.
pub async fn logout(args: ClientArgs) -> anyhow::Result<()> {
    require_key(&args)?;
    let opened = args.open()?;
    let client = &opened.client;
    let result = async {
        client.connect().await.context("connecting")?;
        client.log_out().await.context("logging out")?;
        println!("logged out");
        Ok(())
    }
    .await;
    opened.finish(result).await
}

/// Options of `ferrogram invoke`.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// The method's TL name, e.g. `help.getConfig`.
    method: String,
    /// The parameters as a JSON object (`{"id": [{"_": "inputUserSelf"}]}`), or `@FILE` to read
    /// them from a file (`@-`: standard input).
    #[arg(long, default_value = "{}")]
    json: String,
    /// Write 64-bit (`long`) values as JSON numbers instead of decimal strings (numbers past
    /// 2^53 lose digits in JavaScript and jq).
    #[arg(long)]
    long_numbers: bool,
}

/// How `long`s are written: strings unless `--long-numbers`.
pub fn longs(long_numbers: bool) -> Longs {
    if long_numbers {
        Longs::Numbers
    } else {
        Longs::Strings
    }
}

/// The text of `--json`: itself, or the file `@FILE` names (`@-`: standard input).
fn json_text(arg: &str) -> anyhow::Result<String> {
    match arg.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().lock().read_to_string(&mut text).context("reading --json from standard input")?;
            Ok(text)
        }
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading --json from {path}")),
        None => Ok(arg.to_owned()),
    }
}

/// Calls any API method with JSON parameters and prints the result as JSON.
pub async fn invoke(args: InvokeArgs) -> anyhow::Result<()> {
    let layers = Layers::embedded().context("loading the schema")?;
    let text = json_text(&args.json)?;
    let mut params: serde_json::Value = serde_json::from_str(&text).context("--json is not valid JSON")?;
    let object = params.as_object_mut().context("--json must be a JSON object")?;
    object.insert("_".into(), serde_json::Value::String(args.method.clone()));
    let request = ferrogram_tl_layers::json_to_request(layers.our_schema(), &params)
        .with_context(|| format!("building {}", args.method))?;
    let opened = args.client.open()?;
    let client = &opened.client;
    let result = async {
        client.connect().await.context("connecting")?;
        let answer = client.invoke_raw(request).await.with_context(|| format!("{} failed", args.method))?;
        let json = ferrogram_tl_layers::answer_to_json_with(
            layers.our_schema(),
            &args.method,
            &answer,
            longs(args.long_numbers),
        )
        .context("reading the answer")?;
        let text = serde_json::to_string_pretty(&json)?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}").and_then(|()| out.flush()).context("writing to standard output")?;
        Ok(())
    }
    .await;
    opened.finish(result).await
}

/// Options of `ferrogram import-session`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The session file (SQLite) to write.
    #[arg(long, default_value = "ferrogram.session")]
    session: PathBuf,
    /// What made the string: `gramjs`, `telethon`, `ferrogram`, or `auto` (tell by its layout).
    #[arg(long, default_value = "auto")]
    from: String,
    /// The string session (`-` reads it from standard input).
    string: String,
    /// Replace a session file that holds a key or a signed-in account.
    #[arg(long)]
    force: bool,
}

/// Turns a GramJS, Telethon or ferrogram string session into a session file, so an account
/// signed in elsewhere is used without a new login.
pub fn import_session(args: ImportArgs) -> anyhow::Result<()> {
    use ferrogram::session::string;
    use ferrogram::SessionStore as _;
    let existing = read_session(&args.session)?;
    if !args.force && (existing.user.is_some() || existing.dcs.values().any(|dc| dc.auth_key.is_some())) {
        anyhow::bail!(
            "{} already holds a session ({}): pass --force to replace it, or choose another --session",
            args.session.display(),
            if existing.user.is_some() { "signed in" } else { "with an authorization key" }
        );
    }
    let text = if args.string == "-" {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading standard input")?;
        line
    } else {
        args.string.clone()
    };
    let text = text.trim();
    let data = match args.from.as_str() {
        "gramjs" => string::decode_gramjs(text),
        "telethon" => string::decode_telethon(text),
        "ferrogram" | "auto" => string::decode(text),
        other => anyhow::bail!("--from {other}: expected gramjs, telethon, ferrogram or auto"),
    }
    .context("reading the string session")?;
    let home = data.home().context("the string session names no DC")?;
    let summary = format!(
        "DC {} at {}:{}, auth key {}",
        home.id,
        home.host,
        home.port,
        if home.auth_key.is_some() { "present" } else { "absent" }
    );
    let file = SqliteSession::open(&args.session).with_context(|| format!("opening {}", args.session.display()))?;
    file.store(&data).context("writing the session")?;
    println!("imported into {}: {summary}", args.session.display());
    Ok(())
}
