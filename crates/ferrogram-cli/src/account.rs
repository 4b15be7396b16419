//! `ferrogram login`, `whoami`, `logout` and `invoke`: the library as a command, on a session file.

use std::io::{BufRead as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use ferrogram::{Client, ClientConfig, ServerAddress, SqliteSession, StartCallbacks, TransportKind};
use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_tl_layers::Layers;

/// Where and as whom the client connects.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// The session file (SQLite); created on first use.
    #[arg(long, default_value = "ferrogram.session")]
    session: PathBuf,
    /// A local server's info file (`server.json`, printed by `ferrogram serve` at start), or the
    /// directory holding it: connect to that server, trusting its key.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["server", "server_key"])]
    server_info: Option<PathBuf>,
    /// A local server's data dir: connect to it (at --server, else at the address in its
    /// `server.json`) trusting its `server-public.pem`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The server's address (DC --dc), instead of Telegram's production DCs.
    #[arg(long)]
    server: Option<SocketAddr>,
    /// The server's RSA public key (PEM), if not taken from --data-dir.
    #[arg(long)]
    server_key: Option<PathBuf>,
    /// Which DC --server is.
    #[arg(long, default_value_t = 2)]
    dc: i32,
    /// The application's api id.
    #[arg(long, env = "FERROGRAM_API_ID", default_value_t = crate::demo::DEMO_API_ID)]
    api_id: i32,
    /// The application's api hash.
    #[arg(long, env = "FERROGRAM_API_HASH", default_value = crate::demo::DEMO_API_HASH)]
    api_hash: String,
    /// The MTProto transport.
    #[arg(long, default_value = "full")]
    transport: TransportKind,
}

impl ClientArgs {
    pub(crate) fn client(&self) -> anyhow::Result<Client> {
        let info_file = match (&self.server_info, &self.data_dir, self.server) {
            (Some(path), _, _) => Some(path.clone()),
            (None, Some(dir), None) => Some(dir.join(ferrogram::client::server_info::SERVER_INFO_FILE)),
            _ => None,
        };
        let server = match (self.server, info_file) {
            (None, Some(path)) => Some(ferrogram::ServerInfo::read(&path)?.address()?),
            (None, None) => None,
            (Some(addr), _) => {
                let pem_path = match (&self.server_key, &self.data_dir) {
                    (Some(path), _) => path.clone(),
                    (None, Some(dir)) => dir.join(ferrogram_server::net::keys::PUBLIC_KEY_FILE),
                    (None, None) => {
                        anyhow::bail!("--server needs the server's key: --server-key PEM or --data-dir DIR")
                    }
                };
                let pem =
                    std::fs::read_to_string(&pem_path).with_context(|| format!("reading {}", pem_path.display()))?;
                let key = RsaPublicKey::from_pem(&pem)
                    .with_context(|| format!("{} is no RSA public key", pem_path.display()))?;
                Some(ServerAddress::new(addr.ip().to_string(), addr.port(), self.dc, key))
            }
        };
        let config = ClientConfig { transport: self.transport, server, ..ClientConfig::default() };
        let session = SqliteSession::open(&self.session)
            .with_context(|| format!("opening the session {}", self.session.display()))?;
        Ok(Client::new(session, self.api_id, self.api_hash.clone(), config))
    }
}

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

/// Signs in (asking for what is missing) and saves the session.
pub async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let client = args.client.client()?;
    if args.qr {
        return crate::qr::login(client, args.password).await;
    }
    let LoginArgs { phone, code, password, bot_token, first_name, .. } = args;
    let mut callbacks = StartCallbacks::new(
        move || phone.clone().unwrap_or_else(|| ask("phone number")),
        move |token| {
            code.clone().unwrap_or_else(|| ask(&format!("code sent to {} ({:?})", token.phone, token.code_type)))
        },
        move |hint| password.clone().unwrap_or_else(|| ask(&format!("password (hint: {})", hint.unwrap_or("none")))),
    );
    callbacks.first_name = Box::new(move || (first_name.clone(), String::new()));
    callbacks.bot_token = bot_token;
    let me = client.start(callbacks).await.context("signing in")?;
    println!("signed in as {} (id {})", display_name(&me), me.id);
    client.disconnect().await.ok();
    Ok(())
}

pub(crate) fn display_name(user: &ferrogram_tl::types::User) -> String {
    let name =
        [user.first_name.as_deref(), user.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    match &user.username {
        Some(username) => format!("{name} (@{username})"),
        None => name,
    }
}

/// Prints who the session is signed in as.
pub async fn whoami(args: ClientArgs) -> anyhow::Result<()> {
    let client = args.client()?;
    client.connect().await.context("connecting")?;
    if !client.is_authorized().await.context("asking the server")? {
        anyhow::bail!("not signed in (run `ferrogram login`)");
    }
    let me = client.get_me().await.context("users.getUsers(self)")?;
    println!("{} (id {}, phone {})", display_name(&me), me.id, me.phone.as_deref().unwrap_or("-"));
    client.disconnect().await.ok();
    Ok(())
}

/// Logs the session out.
pub async fn logout(args: ClientArgs) -> anyhow::Result<()> {
    let client = args.client()?;
    client.connect().await.context("connecting")?;
    client.log_out().await.context("auth.logOut")?;
    println!("logged out");
    client.disconnect().await.ok();
    Ok(())
}

/// Options of `ferrogram invoke`.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// The method's TL name, e.g. `help.getConfig`.
    method: String,
    /// The parameters as a JSON object (`{"id": [{"_": "inputUserSelf"}]}`).
    #[arg(long, default_value = "{}")]
    json: String,
}

/// Calls any API method with JSON parameters and prints the result as JSON.
pub async fn invoke(args: InvokeArgs) -> anyhow::Result<()> {
    let layers = Layers::embedded().context("loading the schema")?;
    let mut params: serde_json::Value = serde_json::from_str(&args.json).context("--json is not valid JSON")?;
    let object = params.as_object_mut().context("--json must be a JSON object")?;
    object.insert("_".into(), serde_json::Value::String(args.method.clone()));
    let request = ferrogram_tl_layers::json_to_request(layers.our_schema(), &params)
        .with_context(|| format!("building {}", args.method))?;
    let client = args.client.client()?;
    client.connect().await.context("connecting")?;
    let answer = client.invoke_raw(request).await.with_context(|| format!("{} failed", args.method))?;
    let json = ferrogram_tl_layers::answer_to_json(layers.our_schema(), &args.method, &answer)
        .context("reading the answer")?;
    println!("{}", serde_json::to_string_pretty(&json)?);
    client.disconnect().await.ok();
    Ok(())
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
}

/// Turns a GramJS, Telethon or ferrogram string session into a session file, so an account
/// signed in elsewhere is used without a new login.
pub fn import_session(args: ImportArgs) -> anyhow::Result<()> {
    use ferrogram::session::string;
    use ferrogram::SessionStore as _;
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
