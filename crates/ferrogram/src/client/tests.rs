//! Unit tests of the client: its traits, the init wrapper, the DC defaults.

use super::*;
use ferrogram_tl::{RawQuery, Serializable, LAYER};

#[test]
fn client_is_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Client>();
}

#[test]
fn first_call_is_wrapped_in_init_connection() {
    let init = InitParams {
        api_id: 7,
        device_model: "d".into(),
        system_version: "s".into(),
        app_version: "a".into(),
        system_lang_code: "en".into(),
        lang_pack: String::new(),
        lang_code: "en".into(),
    };
    let query = functions::help::GetConfig {}.to_bytes();
    let wrapped = init.wrap(query.clone());
    let outer = functions::InvokeWithLayer::<RawQuery>::from_bytes_exact(&wrapped).unwrap();
    assert_eq!(outer.layer, LAYER);
    let inner = functions::InitConnection::<RawQuery>::from_bytes_exact(&outer.query.0).unwrap();
    assert_eq!((inner.api_id, inner.query.0), (7, query));
}

#[test]
fn override_decides_the_first_dc_and_keys() {
    let config = ClientConfig::default();
    let client = Client::new(crate::MemorySession::new(), 1, "h", config);
    assert_eq!(client.home_dc(), dcs::DEFAULT_DC);
    assert_eq!(client.inner.rsa_keys.len(), 10);
    assert_eq!(client.default_entry(4).map(|e| e.host), Some("149.154.167.91".into()));
}

mod send_tests {
    use super::super::*;

    /// Calls must be spawnable on a multi-threaded runtime.
    #[allow(dead_code)]
    fn futures_are_send(client: &Client, token: crate::PasswordToken) {
        fn send<T: Send>(_: T) {}
        send(client.invoke(&functions::help::GetConfig {}));
        send(client.connect());
        send(client.next_update());
        send(client.start(crate::StartCallbacks::bot("t")));
        send(client.check_password(token, "x"));
    }
}
