//! AES-256-CTR, the stream cipher of the obfuscated transport
//! (<https://core.telegram.org/mtproto/mtproto-transports#transport-obfuscation>).
//!
//! A thin wrapper over RustCrypto's `ctr` with the 128-bit big-endian counter OpenSSL uses, which is
//! what Telegram's clients and servers run. One instance is kept per direction for the whole
//! connection: the counter carries over from one payload to the next.

use aes::cipher::{KeyIvInit, StreamCipher};
use aes::Aes256;

type Ctr = ctr::Ctr128BE<Aes256>;

/// One direction of an AES-256-CTR stream; encrypting and decrypting are the same operation.
pub struct AesCtr(Ctr);

impl AesCtr {
    /// Starts a keystream at `iv` (the initial counter block) under `key`.
    pub fn new(key: &[u8; 32], iv: &[u8; 16]) -> Self {
        AesCtr(Ctr::new(key.into(), iv.into()))
    }

    /// XORs the next `data.len()` keystream bytes into `data`, in place.
    pub fn apply(&mut self, data: &mut [u8]) {
        // The 128-bit counter cannot run out within any connection (2^132 bytes), so
        // `apply_keystream`'s only panic, keystream exhaustion, is unreachable.
        self.0.apply_keystream(data);
    }
}

impl std::fmt::Debug for AesCtr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str("AesCtr(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::AesCtr;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
    #[test]
    fn nist_sp800_38a_f55() {
        let key: [u8; 32] = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4").try_into().unwrap();
        let iv: [u8; 16] = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff").try_into().unwrap();
        let plain = hex(concat!(
            "6bc1bee22e409f96e93d7e117393172a",
            "ae2d8a571e03ac9c9eb76fac45af8e51",
            "30c81c46a35ce411e5fbc1191a0a52ef",
            "f69f2445df4f9b17ad2b417be66c3710"
        ));
        let expected = hex(concat!(
            "601ec313775789a5b7a7f504bbf3d228",
            "f443e3ca4d62b59aca84e990cacaf5c5",
            "2b0930daa23de94ce87017ba2d84988d",
            "dfc9c58db67aada613c2dd08457941a6"
        ));
        let mut data = plain.clone();
        AesCtr::new(&key, &iv).apply(&mut data);
        assert_eq!(data, expected);

        // The counter carries over between calls: encrypting in uneven pieces gives the same bytes.
        let mut pieces = plain.clone();
        let mut ctr = AesCtr::new(&key, &iv);
        let (a, rest) = pieces.split_at_mut(5);
        let (b, c) = rest.split_at_mut(30);
        ctr.apply(a);
        ctr.apply(b);
        ctr.apply(c);
        assert_eq!(pieces, expected);

        AesCtr::new(&key, &iv).apply(&mut data);
        assert_eq!(data, plain);
    }
}
