//! How a [`Client`](super::Client) introduces itself and behaves: the options of GramJS's
//! `TelegramClient` constructor, in Rust.

use std::time::Duration;

use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_mtproto::transport::TransportKind;

/// A server to use instead of Telegram's production DCs: a ferrogram-server, a test DC, a proxy
/// in front of Telegram.
#[derive(Debug, Clone)]
pub struct ServerAddress {
    /// Host name or IP address of the first DC to connect to.
    pub host: String,
    /// Its TCP port.
    pub port: u16,
    /// Which DC that address is.
    pub dc_id: i32,
    /// The RSA public keys to trust when creating authorization keys there (instead of
    /// Telegram's).
    pub rsa_keys: Vec<RsaPublicKey>,
}

impl ServerAddress {
    /// DC `dc_id` at `host:port`, trusting `rsa_key`.
    pub fn new(host: impl Into<String>, port: u16, dc_id: i32, rsa_key: RsaPublicKey) -> Self {
        ServerAddress { host: host.into(), port, dc_id, rsa_keys: vec![rsa_key] }
    }
}

/// Options of a [`Client`](super::Client). `ClientConfig::default()` is what GramJS and Telethon
/// default to; change fields with struct update syntax:
///
/// ```
/// use std::time::Duration;
/// use ferrogram::ClientConfig;
/// let config = ClientConfig { flood_sleep_threshold: Duration::from_secs(10), ..ClientConfig::default() };
/// assert_eq!(config.request_retries, 5);
/// ```
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Sent in `initConnection`: the device model (shown in the account's session list).
    pub device_model: String,
    /// Sent in `initConnection`: the operating system version.
    pub system_version: String,
    /// Sent in `initConnection`: the application version.
    pub app_version: String,
    /// Sent in `initConnection`: the user's language (ISO 639-1).
    pub lang_code: String,
    /// Sent in `initConnection`: the operating system's language (ISO 639-1).
    pub system_lang_code: String,
    /// Sent in `initConnection`: the language pack name (empty for none).
    pub lang_pack: String,
    /// `FLOOD_WAIT_X` errors of at most this long are slept through and the call repeated;
    /// longer ones are returned to the caller. GramJS's `floodSleepThreshold` (60 s).
    pub flood_sleep_threshold: Duration,
    /// How many times one call is tried (flood waits, DC migrations, internal server errors,
    /// a lost authorization key) before its last error is returned.
    pub request_retries: u32,
    /// How many failed attempts in a row to reopen a dropped connection (refused, or closed
    /// again before the server said anything) before the calls in flight fail.
    pub connection_retries: u32,
    /// The first wait between reconnect attempts and between retried calls; it doubles on each
    /// further attempt, up to [`max_retry_delay`](Self::max_retry_delay).
    pub retry_delay: Duration,
    /// The longest wait between attempts.
    pub max_retry_delay: Duration,
    /// How long opening a TCP connection and creating a key may take.
    pub connect_timeout: Duration,
    /// How often an idle connection sends `ping_delay_disconnect`.
    pub ping_interval: Duration,
    /// The MTProto transport to speak.
    pub transport: TransportKind,
    /// Connect to this server instead of Telegram's production DCs.
    pub server: Option<ServerAddress>,
    /// RSA keys to trust in addition to Telegram's (or the override's).
    pub extra_rsa_keys: Vec<RsaPublicKey>,
    /// Whether [`Client::next_update`](super::Client::next_update) first brings what happened
    /// since the update state stored in the session (`updates.getDifference`), or starts from
    /// the present. On by default.
    pub catch_up: bool,
    /// The most update events the client holds for the application (see
    /// [`Client::next_update`](super::Client::next_update) for what happens when it is full).
    /// 10,000 by default.
    pub update_queue_capacity: usize,
    /// The most peers (users, groups, channels with their access hashes) the client keeps in
    /// memory; past it the least recently used are forgotten (a SQLite session still has them
    /// on disk). Each costs under about 500 bytes
    /// ([`PeerCache::max_bytes`](crate::peers::PeerCache::max_bytes)); 10,000 by default
    /// (about 1.3 MB with typical names, 5 MB at most).
    pub peer_cache_capacity: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            device_model: default_device_model(),
            system_version: std::env::consts::OS.to_string(),
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            lang_code: "en".into(),
            system_lang_code: "en".into(),
            lang_pack: String::new(),
            flood_sleep_threshold: Duration::from_secs(60),
            request_retries: 5,
            connection_retries: 5,
            retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(60),
            transport: TransportKind::Abridged,
            server: None,
            extra_rsa_keys: Vec::new(),
            catch_up: true,
            update_queue_capacity: 10_000,
            peer_cache_capacity: 10_000,
        }
    }
}

fn default_device_model() -> String {
    format!("ferrogram on {} {}", std::env::consts::OS, std::env::consts::ARCH)
}
