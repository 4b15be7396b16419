//! Telegram's production DCs and RSA keys, the defaults when no
//! [`ServerAddress`](super::ServerAddress) override is configured
//! (<https://core.telegram.org/mtproto/auth_key>, <https://core.telegram.org/api/datacenter>).

use ferrogram_mtproto::crypto::rsa::RsaPublicKey;

/// Telegram's production DCs (IPv4, port 443), as clients ship them before `help.getConfig`
/// says more.
pub const PRODUCTION_DCS: [(i32, &str, u16); 5] = [
    (1, "149.154.175.53", 443),
    (2, "149.154.167.51", 443),
    (3, "149.154.175.100", 443),
    (4, "149.154.167.91", 443),
    (5, "91.108.56.130", 443),
];

/// The DC a new session starts on when nothing says otherwise (the server redirects a phone
/// number to its own DC with `PHONE_MIGRATE_X`).
pub const DEFAULT_DC: i32 = 2;

/// The address of production DC `id`.
pub fn production_dc(id: i32) -> Option<(&'static str, u16)> {
    PRODUCTION_DCS.iter().find(|(dc, _, _)| *dc == id).map(|&(_, host, port)| (host, port))
}

/// Telegram's server RSA keys, keyed by fingerprint, as published with the official clients.
/// The same data is in `data/tl/rsa-keys.json` with its provenance.
pub const TELEGRAM_RSA_KEYS_JSON: &str = include_str!("../../../../data/tl/rsa-keys.json");

/// Why the embedded key data could not be read (only a broken build can cause this; a test
/// checks every key).
#[derive(Debug, thiserror::Error)]
pub enum KeyDataError {
    /// The JSON does not parse or lacks a field.
    #[error("rsa-keys.json: {0}")]
    Format(String),
    /// A modulus or exponent is not a valid RSA key.
    #[error("rsa-keys.json key {fingerprint}: {source}")]
    Key {
        /// The key's fingerprint as written.
        fingerprint: String,
        /// What the RSA parser said.
        #[source]
        source: ferrogram_mtproto::crypto::rsa::RsaError,
    },
}

/// Every key of [`TELEGRAM_RSA_KEYS_JSON`] with the fingerprint it is listed under (hex) and
/// whether Telegram marks it old.
pub fn telegram_rsa_keys_listed() -> Result<Vec<(String, RsaPublicKey, bool)>, KeyDataError> {
    let json: serde_json::Value =
        serde_json::from_str(TELEGRAM_RSA_KEYS_JSON).map_err(|e| KeyDataError::Format(e.to_string()))?;
    let object = json.as_object().ok_or_else(|| KeyDataError::Format("not an object".into()))?;
    let mut keys = Vec::new();
    for (fingerprint, entry) in object {
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(|v| v.as_str())
                .and_then(hex_decode)
                .ok_or_else(|| KeyDataError::Format(format!("key {fingerprint}: missing or non-hex {name}")))
        };
        let key = RsaPublicKey::from_components(&field("modulus")?, &field("exponent")?)
            .map_err(|source| KeyDataError::Key { fingerprint: fingerprint.clone(), source })?;
        let old = entry.get("old").and_then(|v| v.as_bool()).unwrap_or(false);
        keys.push((fingerprint.clone(), key, old));
    }
    Ok(keys)
}

/// Telegram's RSA public keys (current and old: the server picks which one it offers).
pub fn telegram_rsa_keys() -> Vec<RsaPublicKey> {
    match telegram_rsa_keys_listed() {
        Ok(keys) => keys.into_iter().map(|(_, key, _)| key).collect(),
        Err(error) => {
            tracing::error!(%error, "the built-in RSA keys are unreadable");
            Vec::new()
        }
    }
}

/// Hex digits to bytes (written here because it is four lines, not worth a dependency).
fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_the_fingerprint_it_is_listed_under() {
        let keys = telegram_rsa_keys_listed().unwrap();
        assert_eq!(keys.len(), 10);
        assert!(keys.iter().any(|(_, _, old)| !old));
        for (listed, key, _) in &keys {
            assert_eq!(&format!("{:016x}", key.fingerprint() as u64), listed);
        }
        assert_eq!(telegram_rsa_keys().len(), 10);
    }

    #[test]
    fn production_table() {
        assert_eq!(production_dc(2), Some(("149.154.167.51", 443)));
        assert_eq!(production_dc(6), None);
        assert_eq!(hex_decode("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex_decode("0g"), None);
    }
}
