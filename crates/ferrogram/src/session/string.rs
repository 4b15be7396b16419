//! [`StringSession`]: a session as a portable string, and the string sessions of GramJS and
//! Telethon.
//!
//! # ferrogram's format, version 1
//!
//! `fg1` followed by the URL-safe base64 (RFC 4648 §5, no padding) of these bytes, all integers
//! big-endian:
//!
//! | field | size | meaning |
//! | ----- | ---- | ------- |
//! | flags | 1 | bit 0: home DC present; bit 1: user present; bit 2: the user is a bot; bit 3: update state present; other bits 0 |
//! | home DC | 4 (i32) | if bit 0 |
//! | user id | 8 (i64) | if bit 1 |
//! | DC count | 1 | then, per DC: |
//! | DC id | 4 (i32) | |
//! | port | 2 (u16) | |
//! | host length | 1 | then the host (IP address or name), UTF-8 |
//! | DC flags | 1 | bit 0: auth key; bit 1: server salt; bit 2: time offset; other bits 0 |
//! | auth key | 256 | if bit 0 |
//! | server salt | 8 (i64) | if bit 1 |
//! | time offset | 4 (i32) | if bit 2 |
//!
//! If flags bit 3 is set, the update state follows the last DC:
//!
//! | field | size | meaning |
//! | ----- | ---- | ------- |
//! | pts, qts, date, seq | 4 (i32) each | |
//! | channel count | 2 (u16) | then, per channel: |
//! | channel id | 8 (i64) | |
//! | channel pts | 4 (i32) | |
//!
//! Nothing may follow. Bit 3 was added later: strings without it (every string written before)
//! read as before, with no update state. The `fg` prefix keeps the string apart from GramJS's and
//! Telethon's, which both start with `1`; the digit after it is the version.
//!
//! # GramJS (`telegram/sessions/StringSession.ts`)
//!
//! `1` followed by the base64 of: DC id (u8), address length (u16 BE), address (UTF-8), port
//! (u16 BE), auth key (the remaining bytes; 256). GramJS writes the standard alphabet with
//! padding and its decoder accepts the URL-safe one too; so do we.
//!
//! # Telethon (`telethon/sessions/string.py`)
//!
//! `1` followed by the URL-safe base64 of `struct.pack('>B4sH256s')` (IPv4) or `'>B16sH256s'`
//! (IPv6): DC id (u8), packed IP address, port (u16 BE), auth key (256; all zeros for none).
//! Neither carries the user, so an imported session knows its key but not who it belongs to
//! until the client asks (`users.getUsers`).

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};

use super::{AuthKey, DcEntry, SessionData, SessionError, SessionStore, SignedInUser};
use crate::updates::UpdateState;

/// The prefix of ferrogram's own string format, version 1.
pub const FERROGRAM_PREFIX: &str = "fg1";

/// URL-safe base64 without padding, for writing ours.
const URL_SAFE_NO_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, GeneralPurposeConfig::new());
/// Decoders accepting padding or its absence (GramJS and Telethon pad; people trim).
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const URL_SAFE_ANY: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
const STANDARD_ANY: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
/// Standard base64 with padding, as GramJS writes it.
const STANDARD_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new());

const AUTH_KEY_LEN: usize = 256;

/// Why a string session could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StringSessionError {
    /// The string starts with neither ferrogram's `fg1` nor the `1` of GramJS and Telethon.
    #[error("not a string session of a known version (it starts with {start:?}; expected \"fg1\" or \"1\")")]
    UnknownVersion {
        /// The first characters of the string.
        start: String,
    },
    /// The text after the version is not base64.
    #[error("string session is not valid base64: {0}")]
    Base64(String),
    /// The data ends inside a field.
    #[error("string session is truncated: {field} at byte {offset} needs {needed} more bytes")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// How many bytes it lacks.
        needed: usize,
    },
    /// Bytes follow the last field.
    #[error("string session has {0} unexpected bytes at its end")]
    TrailingBytes(usize),
    /// A flags byte has bits this version does not define.
    #[error("string session flags {flags:#04x} in {field} have undefined bits")]
    UnknownFlags {
        /// Which flags byte.
        field: &'static str,
        /// Its value.
        flags: u8,
    },
    /// A `1…` string whose length fits neither GramJS's layout nor Telethon's (263 or 275 bytes).
    #[error("a {0}-byte string session is neither GramJS's nor Telethon's layout")]
    UnknownLayout(usize),
    /// The auth key is not 256 bytes long.
    #[error("string session auth key is {0} bytes, not 256")]
    KeyLength(usize),
    /// The server address is empty or not UTF-8.
    #[error("string session server address is empty or not UTF-8")]
    BadAddress,
    /// The session cannot be written in the requested format (no key, no home DC, a host that
    /// is not an IP address for Telethon, a value out of the format's range ...).
    #[error("session cannot be written as a {format} string: {reason}")]
    Unrepresentable {
        /// The target format.
        format: &'static str,
        /// Why not.
        reason: String,
    },
}

/// A session held in memory that can be saved as, and created from, a string: ferrogram's own
/// format, or GramJS's and Telethon's (see the [module docs](self)).
///
/// ```
/// use ferrogram::session::{SessionStore, StringSession};
/// let session = StringSession::new("")?; // a new session, like GramJS's `new StringSession("")`
/// assert!(session.load()?.is_empty());
/// let saved: String = session.save(); // put this string somewhere safe to sign in again later
/// assert_eq!(StringSession::new(&saved)?.load()?, session.load()?);
/// # Ok::<(), ferrogram::session::SessionError>(())
/// ```
#[derive(Debug, Default)]
pub struct StringSession {
    data: Mutex<SessionData>,
}

impl StringSession {
    /// The session a string holds: empty for `""`, else ferrogram's `fg1…` or a GramJS or
    /// Telethon `1…` string (told apart by their layout). Surrounding whitespace is ignored.
    pub fn new(string: &str) -> Result<Self, StringSessionError> {
        Ok(Self::from_data(decode(string)?))
    }

    /// A session starting from `data`.
    pub fn from_data(data: SessionData) -> Self {
        StringSession { data: Mutex::new(data) }
    }

    /// The session as a string in ferrogram's format, for [`StringSession::new`].
    pub fn save(&self) -> String {
        encode(&self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, SessionData> {
        // Replaced whole only: a poisoned lock still guards a consistent value.
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FromStr for StringSession {
    type Err = StringSessionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl SessionStore for StringSession {
    fn load(&self) -> Result<SessionData, SessionError> {
        Ok(self.lock().clone())
    }

    fn store(&self, data: &SessionData) -> Result<(), SessionError> {
        *self.lock() = data.clone();
        Ok(())
    }
}

/// Reads any string session: `""` (empty), ferrogram's `fg1…`, or GramJS's or Telethon's `1…`.
pub fn decode(string: &str) -> Result<SessionData, StringSessionError> {
    let string = string.trim();
    if string.is_empty() {
        Ok(SessionData::default())
    } else if let Some(body) = string.strip_prefix(FERROGRAM_PREFIX) {
        decode_ferrogram(&base64_decode(body)?)
    } else if let Some(body) = string.strip_prefix('1') {
        let bytes = base64_decode(body)?;
        if gramjs_layout_fits(&bytes) {
            decode_gramjs_bytes(&bytes)
        } else if matches!(bytes.len(), 263 | 275) {
            decode_telethon_bytes(&bytes)
        } else {
            Err(StringSessionError::UnknownLayout(bytes.len()))
        }
    } else {
        Err(StringSessionError::UnknownVersion { start: string.chars().take(8).collect() })
    }
}

/// Reads a GramJS `StringSession` string.
pub fn decode_gramjs(string: &str) -> Result<SessionData, StringSessionError> {
    decode_gramjs_bytes(&base64_decode(strip_version_one(string)?)?)
}

/// Reads a Telethon `StringSession` string.
pub fn decode_telethon(string: &str) -> Result<SessionData, StringSessionError> {
    decode_telethon_bytes(&base64_decode(strip_version_one(string)?)?)
}

/// `data` in ferrogram's format (`fg1…`).
pub fn encode(data: &SessionData) -> String {
    let mut out = Vec::with_capacity(16 + data.dcs.len() * (AUTH_KEY_LEN + 40));
    let flags = u8::from(data.home_dc.is_some())
        | u8::from(data.user.is_some()) << 1
        | u8::from(data.user.is_some_and(|u| u.bot)) << 2
        | u8::from(data.updates.is_some()) << 3;
    out.push(flags);
    if let Some(dc) = data.home_dc {
        out.extend_from_slice(&dc.to_be_bytes());
    }
    if let Some(user) = data.user {
        out.extend_from_slice(&user.id.to_be_bytes());
    }
    // The count and host lengths are single bytes. Sessions hold a handful of DCs, and hosts are
    // addresses or DNS names (at most 253 bytes), so what does not fit is not a real session;
    // it is cut rather than written wrongly.
    let dcs: Vec<&DcEntry> = data.dcs.values().filter(|dc| dc.host.len() <= 255).take(255).collect();
    out.push(dcs.len() as u8);
    for dc in dcs {
        out.extend_from_slice(&dc.id.to_be_bytes());
        out.extend_from_slice(&dc.port.to_be_bytes());
        out.push(dc.host.len() as u8);
        out.extend_from_slice(dc.host.as_bytes());
        let flags = u8::from(dc.auth_key.is_some())
            | u8::from(dc.server_salt.is_some()) << 1
            | u8::from(dc.time_offset.is_some()) << 2;
        out.push(flags);
        if let Some(key) = &dc.auth_key {
            out.extend_from_slice(key.bytes());
        }
        if let Some(salt) = dc.server_salt {
            out.extend_from_slice(&salt.to_be_bytes());
        }
        if let Some(offset) = dc.time_offset {
            out.extend_from_slice(&offset.to_be_bytes());
        }
    }
    if let Some(state) = &data.updates {
        for value in [state.pts, state.qts, state.date, state.seq] {
            out.extend_from_slice(&value.to_be_bytes());
        }
        // As with DCs: more channels than the count holds is not a real session; cut, not wrong.
        let channels: Vec<_> = state.channels.iter().take(usize::from(u16::MAX)).collect();
        out.extend_from_slice(&(channels.len() as u16).to_be_bytes());
        for (id, pts) in channels {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&pts.to_be_bytes());
        }
    }
    format!("{FERROGRAM_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
}

/// The home DC of `data` as a GramJS `StringSession` string, for going back to GramJS.
pub fn encode_gramjs(data: &SessionData) -> Result<String, StringSessionError> {
    let format = "GramJS";
    let (dc, key) = home_with_key(data, format)?;
    let id =
        u8::try_from(dc.id).map_err(|_| unrepresentable(format, format!("DC id {} does not fit a byte", dc.id)))?;
    let host_len = u16::try_from(dc.host.len()).map_err(|_| unrepresentable(format, "host too long".into()))?;
    let mut out = Vec::with_capacity(5 + dc.host.len() + AUTH_KEY_LEN);
    out.push(id);
    out.extend_from_slice(&host_len.to_be_bytes());
    out.extend_from_slice(dc.host.as_bytes());
    out.extend_from_slice(&dc.port.to_be_bytes());
    out.extend_from_slice(key.bytes());
    Ok(format!("1{}", STANDARD_PAD.encode(out)))
}

/// The home DC of `data` as a Telethon `StringSession` string, for going back to Telethon.
pub fn encode_telethon(data: &SessionData) -> Result<String, StringSessionError> {
    let format = "Telethon";
    let (dc, key) = home_with_key(data, format)?;
    let id =
        u8::try_from(dc.id).map_err(|_| unrepresentable(format, format!("DC id {} does not fit a byte", dc.id)))?;
    let ip: IpAddr =
        dc.host.parse().map_err(|_| unrepresentable(format, format!("host {:?} is not an IP address", dc.host)))?;
    let mut out = vec![id];
    match ip {
        IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
    }
    out.extend_from_slice(&dc.port.to_be_bytes());
    out.extend_from_slice(key.bytes());
    let padded = GeneralPurpose::new(&alphabet::URL_SAFE, GeneralPurposeConfig::new().with_encode_padding(true));
    Ok(format!("1{}", padded.encode(out)))
}

fn home_with_key<'a>(
    data: &'a SessionData,
    format: &'static str,
) -> Result<(&'a DcEntry, &'a AuthKey), StringSessionError> {
    let dc = data.home().ok_or_else(|| unrepresentable(format, "no home DC".into()))?;
    let key = dc.auth_key.as_ref().ok_or_else(|| unrepresentable(format, "the home DC has no auth key".into()))?;
    Ok((dc, key))
}

fn unrepresentable(format: &'static str, reason: String) -> StringSessionError {
    StringSessionError::Unrepresentable { format, reason }
}

fn strip_version_one(string: &str) -> Result<&str, StringSessionError> {
    let string = string.trim();
    string
        .strip_prefix('1')
        .ok_or_else(|| StringSessionError::UnknownVersion { start: string.chars().take(8).collect() })
}

/// Base64 in either alphabet, padded or not.
fn base64_decode(text: &str) -> Result<Vec<u8>, StringSessionError> {
    URL_SAFE_ANY
        .decode(text)
        .or_else(|_| STANDARD_ANY.decode(text))
        .map_err(|e| StringSessionError::Base64(e.to_string()))
}

/// Reads fixed-size fields front to back, reporting which one ran short.
struct Fields<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, offset: 0 }
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], StringSessionError> {
        let rest = &self.bytes[self.offset..];
        if rest.len() < n {
            return Err(StringSessionError::Truncated { field, offset: self.offset, needed: n - rest.len() });
        }
        self.offset += n;
        Ok(&rest[..n])
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], StringSessionError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, StringSessionError> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, StringSessionError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, StringSessionError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64, StringSessionError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    fn finish(&self) -> Result<(), StringSessionError> {
        match self.bytes.len() - self.offset {
            0 => Ok(()),
            n => Err(StringSessionError::TrailingBytes(n)),
        }
    }
}

fn flags(byte: u8, defined: u8, field: &'static str) -> Result<u8, StringSessionError> {
    if byte & !defined != 0 {
        return Err(StringSessionError::UnknownFlags { field, flags: byte });
    }
    Ok(byte)
}

fn utf8_host(bytes: &[u8]) -> Result<String, StringSessionError> {
    match std::str::from_utf8(bytes) {
        Ok(host) if !host.is_empty() => Ok(host.to_string()),
        _ => Err(StringSessionError::BadAddress),
    }
}

fn decode_ferrogram(bytes: &[u8]) -> Result<SessionData, StringSessionError> {
    let mut r = Fields::new(bytes);
    let session_flags = flags(r.u8("flags")?, 0b1111, "flags")?;
    let mut data = SessionData::default();
    if session_flags & 1 != 0 {
        data.home_dc = Some(r.i32("home DC")?);
    }
    if session_flags & 2 != 0 {
        data.user = Some(SignedInUser { id: r.i64("user id")?, bot: session_flags & 4 != 0 });
    } else if session_flags & 4 != 0 {
        // "is a bot" without a user.
        return Err(StringSessionError::UnknownFlags { field: "flags", flags: session_flags });
    }
    let count = r.u8("DC count")?;
    for _ in 0..count {
        let id = r.i32("DC id")?;
        let port = r.u16("port")?;
        let host_len = usize::from(r.u8("host length")?);
        let host = utf8_host(r.take(host_len, "host")?)?;
        let dc_flags = flags(r.u8("DC flags")?, 0b111, "DC flags")?;
        let auth_key = if dc_flags & 1 != 0 { Some(AuthKey::from_bytes(r.array("auth key")?)) } else { None };
        let server_salt = if dc_flags & 2 != 0 { Some(r.i64("server salt")?) } else { None };
        let time_offset = if dc_flags & 4 != 0 { Some(r.i32("time offset")?) } else { None };
        data.set_dc(DcEntry { id, host, port, auth_key, server_salt, time_offset });
    }
    if session_flags & 8 != 0 {
        let (pts, qts, date, seq) = (r.i32("pts")?, r.i32("qts")?, r.i32("date")?, r.i32("seq")?);
        let mut state = UpdateState { pts, qts, date, seq, ..UpdateState::default() };
        for _ in 0..r.u16("channel count")? {
            let id = r.i64("channel id")?;
            state.channels.insert(id, r.i32("channel pts")?);
        }
        data.updates = Some(state);
    }
    r.finish()?;
    Ok(data)
}

/// Whether `bytes` are exactly GramJS's layout: the address length they announce accounts for
/// every byte, with a 256-byte key.
fn gramjs_layout_fits(bytes: &[u8]) -> bool {
    match bytes.get(1..3) {
        Some(len) => bytes.len() == 1 + 2 + usize::from(u16::from_be_bytes([len[0], len[1]])) + 2 + AUTH_KEY_LEN,
        None => false,
    }
}

fn decode_gramjs_bytes(bytes: &[u8]) -> Result<SessionData, StringSessionError> {
    let mut r = Fields::new(bytes);
    let id = i32::from(r.u8("DC id")?);
    let host_len = usize::from(r.u16("address length")?);
    let host = utf8_host(r.take(host_len, "address")?)?;
    let port = r.u16("port")?;
    // GramJS takes whatever follows as the key; a real one is 256 bytes.
    let key = &bytes[r.offset..];
    let key: [u8; AUTH_KEY_LEN] = key.try_into().map_err(|_| StringSessionError::KeyLength(key.len()))?;
    Ok(single_dc(id, host, port, Some(AuthKey::from_bytes(key))))
}

fn decode_telethon_bytes(bytes: &[u8]) -> Result<SessionData, StringSessionError> {
    let ip_len = match bytes.len() {
        263 => 4,
        275 => 16,
        n => return Err(StringSessionError::UnknownLayout(n)),
    };
    let mut r = Fields::new(bytes);
    let id = i32::from(r.u8("DC id")?);
    let ip = r.take(ip_len, "IP address")?;
    let ip: IpAddr = match ip_len {
        4 => <[u8; 4]>::try_from(ip).map(IpAddr::from).map_err(|_| StringSessionError::BadAddress)?,
        _ => <[u8; 16]>::try_from(ip).map(IpAddr::from).map_err(|_| StringSessionError::BadAddress)?,
    };
    let port = r.u16("port")?;
    let key: [u8; AUTH_KEY_LEN] = r.array("auth key")?;
    r.finish()?;
    // Telethon writes an all-zero key for "no key".
    let key = key.iter().any(|&b| b != 0).then(|| AuthKey::from_bytes(key));
    Ok(single_dc(id, ip.to_string(), port, key))
}

fn single_dc(id: i32, host: String, port: u16, auth_key: Option<AuthKey>) -> SessionData {
    let mut data = SessionData { home_dc: Some(id), ..SessionData::default() };
    data.set_dc(DcEntry { id, host, port, auth_key, server_salt: None, time_offset: None });
    data
}
