//! [`InitParams`]: what a new connection's first call tells the server about the application
//! (`invokeWithLayer(initConnection(..))`).

use ferrogram_tl::{functions, RawQuery, Serializable, LAYER};

/// What `initConnection` tells the server about the application.
pub(super) struct InitParams {
    pub(super) api_id: i32,
    pub(super) device_model: String,
    pub(super) system_version: String,
    pub(super) app_version: String,
    pub(super) system_lang_code: String,
    pub(super) lang_pack: String,
    pub(super) lang_code: String,
}

impl InitParams {
    /// `invokeWithLayer(LAYER, initConnection(.., query))`.
    pub(super) fn wrap(&self, query: Vec<u8>) -> Vec<u8> {
        functions::InvokeWithLayer {
            layer: LAYER,
            query: functions::InitConnection {
                api_id: self.api_id,
                device_model: self.device_model.clone(),
                system_version: self.system_version.clone(),
                app_version: self.app_version.clone(),
                system_lang_code: self.system_lang_code.clone(),
                lang_pack: self.lang_pack.clone(),
                lang_code: self.lang_code.clone(),
                proxy: None,
                params: None,
                query: RawQuery(query),
            },
        }
        .to_bytes()
    }
}
