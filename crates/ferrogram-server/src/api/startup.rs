//! What popular clients ask right after connecting, answered with what a local server has:
//! `help.getAppConfig` (an empty configuration, <https://core.telegram.org/api/config#client-configuration>),
//! `help.getCountriesList` (no countries), `help.getPromoData` (no promotion),
//! `help.getTermsOfServiceUpdate` (no update), and the language packs
//! (<https://core.telegram.org/api/localization>): `langpack.getLanguages`,
//! `langpack.getLangPack` and `langpack.getStrings`, all empty (clients keep their built-in
//! strings).
//!
//! None of these needs a signed-in user: clients ask some of them before the login.

use ferrogram_tl::functions::{help, langpack};
use ferrogram_tl::{enums, types, Serializable};
use sha2::{Digest, Sha256};

use super::failure::fail;
use super::{tl, Api};
use crate::context::{CallContext, RpcError};

/// How long a client may go before asking `help.getPromoData` or
/// `help.getTermsOfServiceUpdate` again, in seconds.
pub const RECHECK_AFTER: i64 = 3600;

/// The longest language code accepted (`pt-br`, `zh-hans-raw`, ...).
const MAX_LANG_CODE_CHARS: usize = 16;

/// The client configuration: an empty JSON object (no keys, so every client uses its defaults).
fn app_config() -> enums::JsonValue {
    types::JsonObject { value: Vec::new() }.into()
}

/// A nonzero 32-bit hash of what `help.getAppConfig` serves, so clients may cache it and
/// change with it.
fn app_config_hash(config: &enums::JsonValue) -> i32 {
    let digest = Sha256::digest(config.to_bytes());
    let hash = i32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]);
    if hash == 0 {
        1
    } else {
        hash
    }
}

/// Whether `code` looks like a language code: 1 to 16 ASCII letters, digits, `-` or `_`.
fn valid_lang_code(code: &str) -> bool {
    (1..=MAX_LANG_CODE_CHARS).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Api {
    /// `help.getAppConfig`: the empty configuration with its hash, or
    /// `help.appConfigNotModified` when the client sends that hash.
    pub(crate) fn get_app_config(&self, _ctx: &CallContext, req: help::GetAppConfig) -> Result<Vec<u8>, RpcError> {
        let config = app_config();
        let hash = app_config_hash(&config);
        if req.hash == hash {
            return Ok(enums::help::AppConfig::from(types::help::AppConfigNotModified {}).to_bytes());
        }
        Ok(enums::help::AppConfig::from(types::help::AppConfig { hash, config }).to_bytes())
    }

    /// `help.getCountriesList`: no countries (clients fall back to their own list); its hash
    /// is 0, which a client never sends for a cached list, so the (empty) list is always sent.
    pub(crate) fn get_countries_list(
        &self,
        _ctx: &CallContext,
        _req: help::GetCountriesList,
    ) -> Result<Vec<u8>, RpcError> {
        Ok(enums::help::CountriesList::from(types::help::CountriesList { countries: Vec::new(), hash: 0 }).to_bytes())
    }

    /// `help.getPromoData`: `help.promoDataEmpty`, to be asked again [`RECHECK_AFTER`] from now.
    /// `expires` is a Unix time, as Telegram's servers send it and clients read it.
    pub(crate) fn get_promo_data(&self, ctx: &CallContext, _req: help::GetPromoData) -> Result<Vec<u8>, RpcError> {
        Ok(enums::help::PromoData::from(types::help::PromoDataEmpty {
            expires: tl::clamp_i32(ctx.now + RECHECK_AFTER),
        })
        .to_bytes())
    }

    /// `help.getTermsOfServiceUpdate`: `help.termsOfServiceUpdateEmpty`, to be asked again
    /// [`RECHECK_AFTER`] from now (a Unix time, as for `help.getPromoData`).
    pub(crate) fn get_terms_of_service_update(
        &self,
        ctx: &CallContext,
        _req: help::GetTermsOfServiceUpdate,
    ) -> Result<Vec<u8>, RpcError> {
        Ok(enums::help::TermsOfServiceUpdate::from(types::help::TermsOfServiceUpdateEmpty {
            expires: tl::clamp_i32(ctx.now + RECHECK_AFTER),
        })
        .to_bytes())
    }

    /// `langpack.getLanguages`: no language packs are served (an empty list).
    pub(crate) fn get_languages(&self, _ctx: &CallContext, _req: langpack::GetLanguages) -> Result<Vec<u8>, RpcError> {
        Ok(Vec::<enums::LangPackLanguage>::new().to_bytes())
    }

    /// `langpack.getLangPack`: an empty pack of version 0 for the language asked
    /// (`LANG_CODE_NOT_SUPPORTED` for what is no language code).
    pub(crate) fn get_lang_pack(&self, _ctx: &CallContext, req: langpack::GetLangPack) -> Result<Vec<u8>, RpcError> {
        if !valid_lang_code(&req.lang_code) {
            return Err(fail(langpack::GetLangPack::POSSIBLE_ERRORS, "LANG_CODE_NOT_SUPPORTED"));
        }
        Ok(enums::LangPackDifference::from(types::LangPackDifference {
            lang_code: req.lang_code,
            from_version: 0,
            version: 0,
            strings: Vec::new(),
        })
        .to_bytes())
    }

    /// `langpack.getStrings`: none of the asked strings is known (an empty list;
    /// `LANG_CODE_NOT_SUPPORTED` for what is no language code).
    pub(crate) fn get_strings(&self, _ctx: &CallContext, req: langpack::GetStrings) -> Result<Vec<u8>, RpcError> {
        if !valid_lang_code(&req.lang_code) {
            return Err(fail(langpack::GetStrings::POSSIBLE_ERRORS, "LANG_CODE_NOT_SUPPORTED"));
        }
        Ok(Vec::<enums::LangPackString>::new().to_bytes())
    }
}
