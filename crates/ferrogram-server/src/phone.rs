//! Phone numbers: validation of the international form clients send to `auth.sendCode` /
//! `auth.signIn` (<https://core.telegram.org/method/auth.sendCode>: "Phone number in
//! international format") and the home DC of each number (<https://core.telegram.org/api/datacenter>:
//! a number that belongs to another DC gets `303 PHONE_MIGRATE_X`).

/// Fewest digits a number may have (short national numbers of small countries with their
/// country code are at least this long).
pub const MIN_DIGITS: usize = 5;
/// Most digits ITU-T E.164 allows.
pub const MAX_DIGITS: usize = 15;

/// A phone number in international form, as digits only (no `+`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses what a client sent: an optional leading `+`, then 5..=15 digits, the first not 0
    /// (international form starts with a country code, and none starts with 0). Anything else
    /// (letters, spaces, a national `0…` number) is `None`: `PHONE_NUMBER_INVALID`.
    pub fn parse(sent: &str) -> Option<PhoneNumber> {
        let digits = sent.strip_prefix('+').unwrap_or(sent);
        let valid = (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        valid.then(|| PhoneNumber(digits.to_owned()))
    }

    /// The digits.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// For numbers of Telegram's test-DC form `99966XYYYY`, the DC digit `X`
    /// (<https://core.telegram.org/api/auth#test-accounts>).
    pub fn test_dc(&self) -> Option<i32> {
        let b = self.0.as_bytes();
        (b.len() == 10 && self.0.starts_with("99966")).then(|| i32::from(b[5] - b'0'))
    }

    /// The login code test-DC numbers get: the DC digit five times (`22222` on DC 2), as on
    /// Telegram's own test servers, so scripted clients need no code channel.
    pub fn test_code(&self) -> Option<String> {
        self.test_dc().map(|dc| dc.to_string().repeat(5))
    }

    /// The DC this number lives on, among `dcs` (non-empty, the configured DC ids).
    ///
    /// Test-DC numbers live on their DC digit when that DC exists; every other number on
    /// `dcs[n mod len]` where `n` is the number itself: stable across restarts and
    /// configurations with the same DC list.
    pub fn home_dc(&self, dcs: &[i32]) -> i32 {
        if let Some(dc) = self.test_dc().filter(|dc| dcs.contains(dc)) {
            return dc;
        }
        let Some(len) = u64::try_from(dcs.len()).ok().filter(|&l| l > 0) else {
            return self.test_dc().unwrap_or(1);
        };
        // At most 15 digits, so the number fits in a u64.
        let n: u64 = self.0.parse().unwrap_or(0);
        let index = usize::try_from(n % len).unwrap_or(0);
        dcs.get(index).copied().unwrap_or(1)
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "+{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_form_only() {
        assert_eq!(PhoneNumber::parse("+15550001234").unwrap().digits(), "15550001234");
        assert_eq!(PhoneNumber::parse("15550001234").unwrap().digits(), "15550001234");
        for bad in
            ["", "+", "1234", "0155500012", "1555000123456789", "+1 555 0001", "++1555000", "1555abc00", "+-15550"]
        {
            assert_eq!(PhoneNumber::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn test_numbers_live_on_their_dc_and_get_repeated_codes() {
        let p = PhoneNumber::parse("9996621234").unwrap();
        assert_eq!(p.test_dc(), Some(2));
        assert_eq!(p.test_code().as_deref(), Some("22222"));
        assert_eq!(p.home_dc(&[1, 2, 3]), 2);
        assert_eq!(PhoneNumber::parse("9996631234").unwrap().home_dc(&[1, 2, 3]), 3);
        assert_eq!(PhoneNumber::parse("99966212345").unwrap().test_dc(), None);
    }

    #[test]
    fn other_numbers_spread_over_the_dcs() {
        let dcs = [1, 2, 3];
        let homes: Vec<i32> = ["15550001234", "15550001235", "15550001236"]
            .iter()
            .map(|p| PhoneNumber::parse(p).unwrap().home_dc(&dcs))
            .collect();
        assert_eq!(homes, vec![3, 1, 2]);
        assert_eq!(PhoneNumber::parse("15550001234").unwrap().home_dc(&[2]), 2);
    }
}
