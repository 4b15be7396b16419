//! `ferrogram serve`, `codes` and `create-bot`: running the local server and reading what it
//! wrote (the command-line contract of `shared/interop/README.md`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use ferrogram::client::server_info::{AdminInfo, DcInfo, ServerInfo, SERVER_INFO_FILE};
use ferrogram_server::net::limits::NetLimits;
use ferrogram_server::net::{LocalServer, ServerOptions};

/// Options of `ferrogram serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Where DC 2 listens; the other DCs take the following ports.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Data directory: SQLite store, RSA key, server-public.pem, codes.jsonl.
    #[arg(long, conflicts_with = "memory", required_unless_present = "memory")]
    data_dir: Option<PathBuf>,
    /// Keep everything in memory (nothing survives a restart).
    #[arg(long)]
    memory: bool,
    /// How many DCs to serve (ids 1..=N).
    #[arg(long, default_value_t = 3)]
    dcs: i32,
    /// Also serve the API layers of every `api-*.tl` schema in this directory (the layer comes
    /// from the file's `// LAYER N` line, else from its name `api-N.tl`), beside the built-in ones.
    #[arg(long, value_name = "DIR")]
    layers_dir: Option<PathBuf>,
    /// Most connections open at once (past it: transport error -429).
    #[arg(long, default_value_t = NetLimits::default().max_connections)]
    max_connections: usize,
    /// Most connections open at once from one IP address.
    #[arg(long, default_value_t = NetLimits::default().max_connections_per_ip)]
    max_connections_per_ip: usize,
    /// Seconds a connection may go without a complete frame before it is closed.
    #[arg(long, default_value_t = NetLimits::default().idle_timeout.as_secs())]
    idle_timeout: u64,
    /// Key exchanges started per second over the whole server (past it: -429).
    #[arg(long, default_value_t = NetLimits::default().key_exchanges_per_second)]
    key_exchanges_per_second: u32,
    /// Where to write `server.json` (addresses, public key, admin channel) and
    /// `server-public.pem` for clients to find; default: the data dir, or with --memory a
    /// directory under the system's temp dir named after the port (printed at start).
    #[arg(long, value_name = "DIR")]
    info_dir: Option<PathBuf>,
    /// Where the admin channel (`ferrogram admin`) listens.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    admin_listen: SocketAddr,
    /// Run no admin channel.
    #[arg(long)]
    no_admin: bool,
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let options = ServerOptions {
        listen: args.listen,
        dc_count: args.dcs,
        data_dir: args.data_dir.clone(),
        layers_dir: args.layers_dir.clone(),
        limits: NetLimits {
            max_connections: args.max_connections,
            max_connections_per_ip: args.max_connections_per_ip,
            idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
            key_exchanges_per_second: args.key_exchanges_per_second,
            ..NetLimits::default()
        },
        admin_listen: (!args.no_admin).then_some(args.admin_listen),
        ..ServerOptions::ephemeral()
    };
    let server = LocalServer::start(options).await.context("starting the server")?;
    for (dc, addr) in server.dcs() {
        eprintln!("DC {dc} listening on {addr}");
    }
    eprintln!("RSA key fingerprint {:016x}", server.public_key().fingerprint() as u64);
    let info_dir = match (&args.info_dir, &args.data_dir) {
        (Some(dir), _) | (None, Some(dir)) => dir.clone(),
        (None, None) => std::env::temp_dir().join(format!("ferrogram-{}", args.listen.port())),
    };
    let info_file = publish_info(&server, &info_dir)?;
    eprintln!("server info: {} (ferrogram login --server-info {})", info_file.display(), info_file.display());
    if let Some((addr, _)) = server.admin() {
        eprintln!("admin channel on {addr} (ferrogram admin --server-info {} --help)", info_file.display());
    }
    if let Some(dir) = &args.data_dir {
        eprintln!("login codes: {}", dir.join("codes.jsonl").display());
    }
    wait_for_signal().await;
    eprintln!("stopping");
    server.shutdown().await;
    Ok(())
}

/// Writes `server.json` and `server-public.pem` into `dir` (made private if new) for clients and
/// `ferrogram admin`; returns the info file's path.
fn publish_info(server: &LocalServer, dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut dcs: Vec<DcInfo> = server
        .dcs()
        .iter()
        .map(|(id, addr)| DcInfo { id: *id, host: addr.ip().to_string(), port: addr.port() })
        .collect();
    dcs.sort_by_key(|dc| dc.id);
    let admin = server.admin().map(|(addr, token)| AdminInfo { address: addr.to_string(), token: token.to_owned() });
    let info = ServerInfo::new(dcs, server.main_dc(), server.public_key(), admin);
    // (The server itself publishes the key in its data dir; elsewhere it is written here, in
    // two steps so a reader never sees half of it.)
    let pem = dir.join(ferrogram_server::net::keys::PUBLIC_KEY_FILE);
    if !pem.exists() || server.api().codes_file().is_none_or(|codes| codes.parent() != Some(dir)) {
        let tmp = dir.join(format!("{}.tmp", ferrogram_server::net::keys::PUBLIC_KEY_FILE));
        std::fs::write(&tmp, server.public_key().to_pem()).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &pem).with_context(|| format!("writing {}", pem.display()))?;
    }
    let path = dir.join(SERVER_INFO_FILE);
    info.write(&path)?;
    Ok(path)
}

fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Options of `ferrogram codes`.
#[derive(Debug, clap::Args)]
pub struct CodesArgs {
    /// The server's data directory.
    #[arg(long)]
    data_dir: PathBuf,
    /// Only codes for this phone number.
    #[arg(long)]
    phone: Option<String>,
}

/// Prints the codes of `DIR/codes.jsonl`, newest last, as `phone code` lines.
pub fn codes(args: CodesArgs) -> anyhow::Result<()> {
    let path = args.data_dir.join("codes.jsonl");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let wanted = args.phone.map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            eprintln!("skipping a malformed line of {}", path.display());
            continue;
        };
        let phone = record["phone"].as_str().unwrap_or_default();
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if wanted.as_ref().is_some_and(|w| *w != digits) {
            continue;
        }
        println!("{phone} {}", record["code"].as_str().unwrap_or_default());
    }
    Ok(())
}

/// Options of `ferrogram create-bot`.
#[derive(Debug, clap::Args)]
pub struct CreateBotArgs {
    /// The server's data directory.
    #[arg(long)]
    data_dir: PathBuf,
    /// The bot's name.
    name: String,
}

/// Creates a bot in the store and prints its token for `auth.importBotAuthorization`.
pub fn create_bot(args: CreateBotArgs) -> anyhow::Result<()> {
    let config = ferrogram_server::ApiConfig::local(0);
    let api = ferrogram_server::Api::open(Some(&args.data_dir), config, ferrogram_server::os_random())
        .context("opening the store")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let token = api.create_bot(&args.name, now).context("creating the bot")?;
    println!("{token}");
    Ok(())
}
