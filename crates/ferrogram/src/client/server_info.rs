//! What a running local server tells its clients: its DCs' addresses, its RSA public key, and
//! where its admin channel listens. `ferrogram serve` writes it as JSON (`server.json` in its
//! data dir, or in the directory it prints with `--memory`); a client reads it to connect
//! without copying addresses and keys by hand:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ferrogram::{ClientConfig, ServerInfo};
//!
//! let info = ServerInfo::read("./server-data/server.json")?;
//! let config = ClientConfig { server: Some(info.address()?), ..ClientConfig::default() };
//! # let _ = config; Ok(()) }
//! ```

use std::path::Path;

use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use serde::{Deserialize, Serialize};

use super::ServerAddress;

/// The file name `ferrogram serve` writes the info under, in its data or info dir.
pub const SERVER_INFO_FILE: &str = "server.json";

/// The file name a local server publishes its RSA public key under (PEM), beside
/// [`SERVER_INFO_FILE`]: read it with [`RsaPublicKey::from_pem`] for a [`ServerAddress`] of your own.
pub const PUBLIC_KEY_FILE: &str = "server-public.pem";

/// The format version this code writes and reads.
const FORMAT: u32 = 1;

/// One DC of a local server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcInfo {
    /// The DC id.
    pub id: i32,
    /// Its host (an IP literal or a name).
    pub host: String,
    /// Its port.
    pub port: u16,
}

/// Where a local server's admin channel listens (JSON lines, see `ferrogram admin --help`), and
/// the token each request must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminInfo {
    /// `host:port` of the admin listener.
    pub address: String,
    /// The secret every admin request carries.
    pub token: String,
}

/// What a running local server publishes for its clients (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The format version (1).
    pub format: u32,
    /// Every DC the server serves.
    pub dcs: Vec<DcInfo>,
    /// The DC clients start with.
    pub main_dc: i32,
    /// The server's RSA public key, PEM (PKCS#1).
    pub public_key_pem: String,
    /// The key's fingerprint, hex, as the server logs it.
    pub public_key_fingerprint: String,
    /// The admin channel, if the server runs one.
    pub admin: Option<AdminInfo>,
}

/// Why a server info file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ServerInfoError {
    /// The file could not be read or written.
    #[error("cannot use the server info file {path}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a server info of a format this code knows.
    #[error("{path} is not a ferrogram server info file: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The info names no DC it calls its main one, or a key that does not parse.
    #[error("the server info is incomplete: {0}")]
    Incomplete(String),
}

impl ServerInfo {
    /// The info for a server whose DCs are `dcs` (the main one first) and whose key is `key`.
    pub fn new(dcs: Vec<DcInfo>, main_dc: i32, key: &RsaPublicKey, admin: Option<AdminInfo>) -> ServerInfo {
        ServerInfo {
            format: FORMAT,
            dcs,
            main_dc,
            public_key_pem: key.to_pem(),
            public_key_fingerprint: format!("{:016x}", key.fingerprint() as u64),
            admin,
        }
    }

    /// Reads a server info file (or a directory holding `server.json`).
    pub fn read(path: impl AsRef<Path>) -> Result<ServerInfo, ServerInfoError> {
        let mut path = path.as_ref().to_path_buf();
        if path.is_dir() {
            path.push(SERVER_INFO_FILE);
        }
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(&path).map_err(|source| ServerInfoError::Io { path: shown.clone(), source })?;
        let info: ServerInfo = serde_json::from_str(&text)
            .map_err(|e| ServerInfoError::Invalid { path: shown.clone(), reason: e.to_string() })?;
        if info.format != FORMAT {
            let reason = format!("format {} (this version reads {FORMAT})", info.format);
            return Err(ServerInfoError::Invalid { path: shown, reason });
        }
        Ok(info)
    }

    /// Writes the info to `path` atomically (a reader never sees half a file) and readable by
    /// its owner only (it holds the admin token).
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), ServerInfoError> {
        let path = path.as_ref();
        let io = |source| ServerInfoError::Io { path: path.display().to_string(), source };
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| ServerInfoError::Invalid { path: path.display().to_string(), reason: e.to_string() })?;
        let tmp = path.with_extension("json.tmp");
        crate::session::private_file::write_private(&tmp, text.as_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// The server's public key.
    pub fn public_key(&self) -> Result<RsaPublicKey, ServerInfoError> {
        RsaPublicKey::from_pem(&self.public_key_pem).map_err(|e| ServerInfoError::Incomplete(format!("its key: {e}")))
    }

    /// The main DC's address, trusting the server's key: what
    /// [`ClientConfig::server`](crate::ClientConfig::server) takes.
    pub fn address(&self) -> Result<ServerAddress, ServerInfoError> {
        let dc = self
            .dcs
            .iter()
            .find(|dc| dc.id == self.main_dc)
            .ok_or_else(|| ServerInfoError::Incomplete(format!("no address for its main DC {}", self.main_dc)))?;
        Ok(ServerAddress::new(dc.host.clone(), dc.port, dc.id, self.public_key()?))
    }
}
