//! Where a client command connects, and the session file it uses.
//!
//! The rule, so that no command reaches Telegram by accident:
//! - `--server-info`, `--data-dir` or `--server` name a server: that one is used;
//! - `--production` says Telegram's production DCs;
//! - with neither, a session that already holds a key for a server that is not Telegram's is
//!   used where it is; anything else is refused with what to pass.
//!
//! The chosen target is said on standard error before anything is sent. A session signed in
//! on one server is not silently sent to another: naming a different server for it is refused
//! (a session that is not signed in is reset and moves to the named server).

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ferrogram::session::DcEntry;
use ferrogram::{
    Client, ClientConfig, RsaPublicKey, ServerAddress, ServerInfo, SessionData, SessionStore as _, SqliteSession,
    TransportKind,
};

/// `HOST:PORT` of `--server`: a host name (`localhost`) or an IP literal (`[::1]:8443` for IPv6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// The host as written (brackets of an IPv6 literal removed).
    pub host: String,
    /// The port.
    pub port: u16,
}

impl std::str::FromStr for HostPort {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (host, port) = match text.strip_prefix('[') {
            Some(rest) => rest.split_once("]:").ok_or("expected [IPv6]:PORT")?,
            None => {
                let (host, port) = text.rsplit_once(':').ok_or("expected HOST:PORT")?;
                if host.contains(':') {
                    return Err("write an IPv6 address in brackets: [ADDR]:PORT".into());
                }
                (host, port)
            }
        };
        if host.is_empty() {
            return Err("the host is empty".into());
        }
        let port = port.parse::<u16>().map_err(|_| format!("`{port}` is no port number"))?;
        Ok(HostPort { host: host.to_owned(), port })
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where and as whom the client connects.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// The session file (SQLite); created on first use, removed again if that first use fails.
    #[arg(long, default_value = "ferrogram.session")]
    pub session: PathBuf,
    /// A local server's info file (`server.json`, printed by `ferrogram serve` at start), or the
    /// directory holding it: connect to that server, trusting its key.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["server", "server_key", "production"])]
    server_info: Option<PathBuf>,
    /// A local server's data dir: connect to it (at --server, else at the address in its
    /// `server.json`) trusting its `server-public.pem`.
    #[arg(long, conflicts_with = "production")]
    data_dir: Option<PathBuf>,
    /// The server's address as HOST:PORT (a host name such as `localhost`, or an IP address;
    /// DC --dc); needs --server-key or --data-dir for its key.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "production")]
    server: Option<HostPort>,
    /// The server's RSA public key (PEM), if not taken from --data-dir.
    #[arg(long)]
    server_key: Option<PathBuf>,
    /// Which DC --server is.
    #[arg(long, default_value_t = 2)]
    dc: i32,
    /// Connect to Telegram's production DCs (never done without this flag).
    #[arg(long)]
    production: bool,
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

/// A client on the session file, and what is needed to leave no empty file behind.
pub struct OpenedSession {
    /// The client (not connected yet).
    pub client: Client,
    /// The session file.
    pub path: PathBuf,
    /// Whether this command created the file.
    created: bool,
}

impl OpenedSession {
    /// Disconnects, and when `result` is an error and this command created the session file,
    /// which holds no signed-in account, removes it: a failed first try leaves nothing behind.
    pub async fn finish<T>(self, result: anyhow::Result<T>) -> anyhow::Result<T> {
        self.client.disconnect().await.ok();
        let signed_in = self.client.session_data().user.is_some();
        drop(self.client);
        if result.is_err() && self.created && !signed_in {
            remove_session_file(&self.path);
        }
        result
    }
}

/// Removes a SQLite session file and its journal files, ignoring the ones that are not there.
pub fn remove_session_file(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// The session data stored in `path`, or an empty one if there is no such file (nothing is
/// created).
pub fn read_session(path: &Path) -> anyhow::Result<SessionData> {
    if !path.exists() {
        return Ok(SessionData::default());
    }
    let file = SqliteSession::open(path).with_context(|| format!("opening the session {}", path.display()))?;
    file.load().with_context(|| format!("reading the session {}", path.display()))
}

/// Whether the session holds an authorization key for its home DC (else nothing it does can
/// be signed in).
pub fn has_home_key(data: &SessionData) -> bool {
    data.home().is_some_and(|home| home.auth_key.is_some())
}

/// Where the client goes, as found from the flags and the session.
enum Target {
    /// A server the flags named.
    Named { server: ServerAddress, from: String },
    /// Telegram's production DCs.
    Production,
    /// Where the session already is.
    Stored,
}

impl ClientArgs {
    /// The client for this command, on its session file; says the target on standard error.
    pub fn open(&self) -> anyhow::Result<OpenedSession> {
        let mut data = read_session(&self.session)?;
        let target = self.target(&data)?;
        let server = match target {
            Target::Named { server, from } => {
                if let Some(stored) = elsewhere(&data, &server.host, server.port, server.dc_id).cloned() {
                    if data.user.is_some() {
                        anyhow::bail!(
                            "the session {} is signed in on {}:{} (DC {}), not on {from}: use another --session, \
                             or log it out first (`ferrogram logout` with that server)",
                            self.session.display(),
                            stored.host,
                            stored.port,
                            stored.id
                        );
                    }
                    // Keys of another server are no use here, and no account is lost.
                    data = SessionData::default();
                    self.store(&data)?;
                    eprintln!(
                        "ferrogram: the session held a key of {}:{} only; starting it afresh",
                        stored.host, stored.port
                    );
                }
                eprintln!("ferrogram: server {}:{} (DC {}) from {from}", server.host, server.port, server.dc_id);
                Some(server)
            }
            Target::Production => {
                let home = data.home_dc.unwrap_or(ferrogram::client::dcs::DEFAULT_DC);
                if let Some(stored) = data.home().filter(|entry| !is_production(entry)) {
                    anyhow::bail!(
                        "--production, but the session {} belongs to the server at {}:{}: use another --session",
                        self.session.display(),
                        stored.host,
                        stored.port
                    );
                }
                eprintln!("ferrogram: Telegram's production DCs (DC {home} first)");
                None
            }
            Target::Stored => {
                let Some(home) = data.home() else { anyhow::bail!(no_target_message(&self.session)) };
                if is_production(home) {
                    anyhow::bail!(
                        "the session {} is on Telegram's production DC {}: pass --production to use it",
                        self.session.display(),
                        home.id
                    );
                }
                if home.auth_key.is_none() {
                    anyhow::bail!(
                        "the session {} holds no key for {}:{} and this command does not know the server's: \
                         name it again with --server-info, --data-dir or --server and --server-key",
                        self.session.display(),
                        home.host,
                        home.port
                    );
                }
                eprintln!(
                    "ferrogram: server {}:{} (DC {}) stored in {}",
                    home.host,
                    home.port,
                    home.id,
                    self.session.display()
                );
                None
            }
        };
        let created = !self.session.exists();
        let config = ClientConfig { transport: self.transport, server, ..ClientConfig::default() };
        let session = SqliteSession::open(&self.session)
            .with_context(|| format!("opening the session {}", self.session.display()))?;
        Ok(OpenedSession {
            client: Client::new(session, self.api_id, self.api_hash.clone(), config),
            path: self.session.clone(),
            created,
        })
    }

    fn store(&self, data: &SessionData) -> anyhow::Result<()> {
        let file = SqliteSession::open(&self.session)
            .with_context(|| format!("opening the session {}", self.session.display()))?;
        file.store(data).with_context(|| format!("writing the session {}", self.session.display()))
    }

    fn target(&self, data: &SessionData) -> anyhow::Result<Target> {
        let info_file = match (&self.server_info, &self.data_dir, &self.server) {
            (Some(path), _, _) => Some(path.clone()),
            (None, Some(dir), None) => Some(dir.join(ferrogram::client::server_info::SERVER_INFO_FILE)),
            _ => None,
        };
        if let (None, Some(path)) = (&self.server, info_file) {
            let server = ServerInfo::read(&path)?.address()?;
            return Ok(Target::Named { server, from: path.display().to_string() });
        }
        if let Some(addr) = &self.server {
            let pem_path = match (&self.server_key, &self.data_dir) {
                (Some(path), _) => path.clone(),
                (None, Some(dir)) => dir.join(ferrogram::client::server_info::PUBLIC_KEY_FILE),
                (None, None) => anyhow::bail!("--server needs the server's key: --server-key PEM or --data-dir DIR"),
            };
            resolve(&addr.host, addr.port).with_context(|| format!("--server {addr}"))?;
            let pem = std::fs::read_to_string(&pem_path).with_context(|| format!("reading {}", pem_path.display()))?;
            let key =
                RsaPublicKey::from_pem(&pem).with_context(|| format!("{} is no RSA public key", pem_path.display()))?;
            let server = ServerAddress::new(addr.host.clone(), addr.port, self.dc, key);
            return Ok(Target::Named { server, from: format!("--server {addr}") });
        }
        if self.server_key.is_some() {
            anyhow::bail!("--server-key needs --server HOST:PORT");
        }
        if self.production {
            return Ok(Target::Production);
        }
        if data.home().is_some() {
            return Ok(Target::Stored);
        }
        anyhow::bail!(no_target_message(&self.session))
    }
}

fn no_target_message(session: &Path) -> String {
    format!(
        "which server? {} names none: give --server-info PATH or --data-dir DIR (a local `ferrogram serve`), \
         --server HOST:PORT with --server-key PEM, or --production for Telegram's",
        session.display()
    )
}

/// The addresses `host:port` resolves to.
fn resolve(host: &str, port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> =
        (host, port).to_socket_addrs().with_context(|| format!("cannot resolve the host {host}"))?.collect();
    anyhow::ensure!(!addrs.is_empty(), "the host {host} has no address");
    Ok(addrs)
}

/// The session's DC entry showing it lives on another server than `host:port` (DC `dc`), if
/// it does: its entry for that DC at another address, or, with none for that DC, entries of
/// which none is on that host.
fn elsewhere<'d>(data: &'d SessionData, host: &str, port: u16, dc: i32) -> Option<&'d DcEntry> {
    let wanted = resolve(host, port).unwrap_or_default();
    let same_host = |entry: &DcEntry| {
        entry.host == host
            || resolve(&entry.host, port)
                .is_ok_and(|addrs| addrs.iter().any(|a| wanted.iter().any(|w| w.ip() == a.ip())))
    };
    match data.dc(dc) {
        Some(entry) => (!(same_host(entry) && entry.port == port)).then_some(entry),
        None => data.dcs.values().find(|entry| !same_host(entry)),
    }
}

/// Whether a DC entry is one of Telegram's production addresses.
fn is_production(entry: &DcEntry) -> bool {
    ferrogram::client::dcs::PRODUCTION_DCS.iter().any(|(_, host, port)| *host == entry.host && *port == entry.port)
}

#[cfg(test)]
mod tests {
    use super::HostPort;

    #[test]
    fn host_port_takes_names_and_ip_literals() {
        assert_eq!("localhost:8443".parse(), Ok(HostPort { host: "localhost".into(), port: 8443 }));
        assert_eq!("127.0.0.1:1".parse(), Ok(HostPort { host: "127.0.0.1".into(), port: 1 }));
        assert_eq!("[::1]:80".parse(), Ok(HostPort { host: "::1".into(), port: 80 }));
        assert_eq!(HostPort { host: "::1".into(), port: 80 }.to_string(), "[::1]:80");
        assert!("::1:80".parse::<HostPort>().is_err());
        assert!("localhost".parse::<HostPort>().is_err());
        assert!("localhost:99999".parse::<HostPort>().is_err());
        assert!(":80".parse::<HostPort>().is_err());
    }
}
