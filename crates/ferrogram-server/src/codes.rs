//! Login codes: how they are made (5 random digits, or `XXXXX` for test-DC numbers) and where a
//! developer reads them: an `info` log line and one JSON line per code in `DIR/codes.jsonl` (the
//! contract of `shared/interop/README.md`). Codes never go to a real SMS
//! (<https://core.telegram.org/api/auth#sending-a-verification-code> describes the real delivery).

use std::io::Write;
use std::path::PathBuf;

use ferrogram_mtproto::RandomSource;
use serde::Serialize;

/// Digits in a login code.
pub const CODE_LENGTH: usize = 5;

/// The name of the codes file inside the data dir.
pub const CODES_FILE_NAME: &str = "codes.jsonl";

/// A uniformly random code of [`CODE_LENGTH`] digits.
pub fn random_code(random: &mut dyn RandomSource) -> String {
    const MODULUS: u32 = 100_000;
    // Rejection sampling: values at or above the largest multiple of 100000 below 2^32 would
    // make some codes likelier than others.
    const LIMIT: u32 = u32::MAX - u32::MAX % MODULUS;
    loop {
        let mut bytes = [0u8; 4];
        random.fill(&mut bytes);
        let n = u32::from_le_bytes(bytes);
        if n < LIMIT {
            return format!("{:05}", n % MODULUS);
        }
    }
}

/// `n` random bytes as lower-case hex (`phone_code_hash` values, bot token secrets).
pub fn random_hex(random: &mut dyn RandomSource, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    random.fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One line of `codes.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeLine<'a> {
    /// The phone number exactly as the client sent it.
    pub phone: &'a str,
    /// The code.
    pub code: &'a str,
    /// The `phone_code_hash` it belongs to.
    pub phone_code_hash: &'a str,
    /// The DC that issued it.
    pub dc: i32,
    /// `sms`, `app` or `email`.
    pub delivery: &'a str,
    /// Issued at (Unix seconds).
    pub time: i64,
}

/// Where issued codes are appended (besides the store and the log line).
#[derive(Debug, Clone, Default)]
pub struct CodeLog {
    file: Option<PathBuf>,
}

impl CodeLog {
    /// Codes are only logged and kept in the store (memory mode).
    pub fn none() -> CodeLog {
        CodeLog { file: None }
    }

    /// Codes are also appended to this JSON-lines file.
    pub fn file(path: PathBuf) -> CodeLog {
        CodeLog { file: Some(path) }
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.file.as_deref()
    }

    /// Logs a code: a debug line under this module's target (codes are for developers, and
    /// `ferrogram serve` shows that target by default)
    /// and a JSON line in the file. A file that cannot be written is reported as a warning:
    /// the code is still in the store and in the log.
    pub fn record(&self, line: &CodeLine<'_>) {
        // Debug level: codes stay out of logs above debug (a log is no place for secrets); `ferrogram serve` shows
        // this target at debug by default, since developers read their codes there.
        tracing::debug!(
            dc = line.dc,
            delivery = line.delivery,
            "login code for +{} : {}",
            line.phone.trim_start_matches('+'),
            line.code
        );
        let Some(path) = &self.file else { return };
        let result = serde_json::to_string(line).map_err(std::io::Error::other).and_then(|mut json| {
            json.push('\n');
            // One write of a whole line in append mode: concurrent writers do not interleave.
            // Codes sign accounts in: the file is the server user's only (0600).
            crate::private_files::open_append(path)?.write_all(json.as_bytes())
        });
        if let Err(error) = result {
            tracing::warn!(path = %path.display(), %error, "cannot append login code to codes file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_five_digits_and_skip_biased_values() {
        let mut values = vec![u32::MAX, 123_456_789].into_iter();
        let mut random = |buf: &mut [u8]| buf.copy_from_slice(&values.next().unwrap().to_le_bytes());
        // u32::MAX is in the biased tail and is skipped.
        assert_eq!(random_code(&mut random), "56789");
        let mut zero = |buf: &mut [u8]| buf.fill(0);
        assert_eq!(random_code(&mut zero), "00000");
    }

    #[test]
    fn file_gets_one_json_object_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = CodeLog::file(dir.path().join(CODES_FILE_NAME));
        for code in ["11111", "22222"] {
            log.record(&CodeLine {
                phone: "+15550001234",
                code,
                phone_code_hash: "ab",
                dc: 2,
                delivery: "sms",
                time: 7,
            });
        }
        let text = std::fs::read_to_string(dir.path().join(CODES_FILE_NAME)).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["code"], "22222");
        assert_eq!(lines[0]["phone"], "+15550001234");
        assert_eq!(lines[0]["dc"], 2);
    }
}
