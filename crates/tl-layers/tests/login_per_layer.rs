//! For every layer the server ships, the constructors of a login (`invokeWithLayer`,
//! `initConnection`, `auth.sendCode`, `auth.signIn`, `auth.signUp` one way; `auth.sentCode`,
//! `auth.authorization`, `user` the other) translate between that layer and ours: requests written
//! with the layer's schema read as our generated types, and our answers written by our generated
//! types read with the layer's schema, under the ids that layer's own text declares.

use ferrogram_tl::{enums, functions, types, Deserializable, RawQuery, Serializable};
use ferrogram_tl_layers::{answer_to_json, json_to_request, Layers};
use serde_json::{json, Value as Json};

/// The layers `data/tl` ships (ours last).
const SHIPPED: [i32; 6] = [158, 198, 223, 227, 229, 230];

fn layers() -> Layers {
    Layers::embedded().expect("embedded schemas compile")
}

/// The id layer `layer`'s schema declares for `name`.
fn id_in(layers: &Layers, layer: i32, name: &str) -> u32 {
    layers.schema(layer).and_then(|s| s.definition(name)).unwrap_or_else(|| panic!("{name} not in layer {layer}")).id
}

/// A request of layer `layer`, written from JSON with that layer's schema, wrapped as clients send
/// their first call: `invokeWithLayer(initConnection(query))`.
fn first_call(layers: &Layers, layer: i32, query: Json) -> Vec<u8> {
    let wrapped = json!({
        "_": "invokeWithLayer",
        "layer": layer,
        "query": {
            "_": "initConnection",
            "api_id": 17349,
            "device_model": "PC",
            "system_version": "Linux",
            "app_version": "1.0",
            "system_lang_code": "en",
            "lang_pack": "",
            "lang_code": "en",
            "query": query,
        },
    });
    json_to_request(layers.schema(layer).expect("shipped"), &wrapped).unwrap_or_else(|e| panic!("layer {layer}: {e}"))
}

/// Unwraps `invokeWithLayer(initConnection(q))` in our types, checking the wrappers' fields.
fn unwrap_first_call(layer: i32, ours: &[u8]) -> Vec<u8> {
    let with_layer = functions::InvokeWithLayer::<RawQuery>::from_bytes_exact(ours).expect("invokeWithLayer");
    assert_eq!(with_layer.layer, layer, "the announced layer is kept as sent");
    let init = functions::InitConnection::<RawQuery>::from_bytes_exact(&with_layer.query.0).expect("initConnection");
    assert_eq!((init.api_id, init.device_model.as_str(), init.lang_code.as_str()), (17349, "PC", "en"));
    init.query.0
}

#[test]
fn every_shipped_layer_is_known() {
    let layers = layers();
    assert_eq!(layers.known_layers().collect::<Vec<_>>(), SHIPPED);
}

#[test]
fn send_code_sign_in_and_sign_up_lift_into_our_types() {
    let layers = layers();
    for layer in SHIPPED {
        let send_code = json!({
            "_": "auth.sendCode", "phone_number": "15550001234", "api_id": 17349,
            "api_hash": "344583e45741c457fe1862106095a5eb", "settings": { "_": "codeSettings", "current_number": true },
        });
        let ours = layers.request_to_ours(layer, &first_call(&layers, layer, send_code)).unwrap();
        let call = functions::auth::SendCode::from_bytes_exact(&unwrap_first_call(layer, &ours)).unwrap();
        assert_eq!((call.phone_number.as_str(), call.api_id), ("15550001234", 17349), "layer {layer}");
        let enums::CodeSettings::CodeSettings(settings) = call.settings;
        assert!(settings.current_number && !settings.allow_flashcall, "layer {layer}");

        let sign_in = json!({
            "_": "auth.signIn", "phone_number": "15550001234", "phone_code_hash": "hash", "phone_code": "12345",
        });
        let ours = layers.request_to_ours(layer, &first_call(&layers, layer, sign_in)).unwrap();
        let call = functions::auth::SignIn::from_bytes_exact(&unwrap_first_call(layer, &ours)).unwrap();
        assert_eq!(call.phone_code.as_deref(), Some("12345"), "layer {layer}");
        assert_eq!(call.phone_code_hash, "hash");

        // Layer 158's auth.signUp#80eee427 has no flags; ours (#aac7b717) does.
        let sign_up = json!({
            "_": "auth.signUp", "phone_number": "15550001234", "phone_code_hash": "hash",
            "first_name": "Ada", "last_name": "Lovelace",
        });
        let request = first_call(&layers, layer, sign_up);
        let sign_up_id = id_in(&layers, layer, "auth.signUp");
        assert!(request.windows(4).any(|w| w == sign_up_id.to_le_bytes()), "layer {layer} writes its own id");
        let ours = layers.request_to_ours(layer, &request).unwrap();
        let call = functions::auth::SignUp::from_bytes_exact(&unwrap_first_call(layer, &ours)).unwrap();
        assert_eq!((call.first_name.as_str(), call.last_name.as_str()), ("Ada", "Lovelace"), "layer {layer}");
        assert!(!call.no_joined_notifications);
    }
}

fn our_user() -> enums::User {
    types::User {
        is_self: true,
        id: 1_000_001,
        access_hash: Some(0x0123_4567_89ab_cdef),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        phone: Some("15550001234".into()),
        status: Some(types::UserStatusOnline { expires: 1_800_000_000 }.into()),
        ..Default::default()
    }
    .into()
}

#[test]
fn sent_code_authorization_and_user_lower_into_each_layer() {
    let layers = layers();
    let sent = enums::auth::SentCode::from(types::auth::SentCode {
        r#type: types::auth::SentCodeTypeSms { length: 5 }.into(),
        phone_code_hash: "hash-1".into(),
        next_type: None,
        timeout: Some(60),
    })
    .to_bytes();
    let authorization = enums::auth::Authorization::from(types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: our_user(),
    })
    .to_bytes();
    for layer in SHIPPED {
        let schema = layers.schema(layer).expect("shipped");

        let bytes = layers.answer_to_layer(layer, "auth.sendCode", &sent).unwrap();
        assert_eq!(bytes[..4], id_in(&layers, layer, "auth.sentCode").to_le_bytes(), "layer {layer}");
        let json = answer_to_json(schema, "auth.sendCode", &bytes).unwrap();
        assert_eq!((json["_"].as_str(), json["phone_code_hash"].as_str()), (Some("auth.sentCode"), Some("hash-1")));
        assert_eq!(json["type"]["length"], 5, "layer {layer}: {json}");

        for method in ["auth.signIn", "auth.signUp"] {
            let bytes = layers.answer_to_layer(layer, method, &authorization).unwrap();
            assert_eq!(bytes[..4], id_in(&layers, layer, "auth.authorization").to_le_bytes(), "layer {layer}");
            // The user inside is written as this layer's `user` (its id differs from layer to layer).
            assert!(bytes.windows(4).any(|w| w == id_in(&layers, layer, "user").to_le_bytes()), "layer {layer}");
            let json = answer_to_json(schema, method, &bytes).unwrap_or_else(|e| panic!("layer {layer}: {e}"));
            let user = &json["user"];
            assert_eq!(user["_"], "user", "layer {layer}: {json}");
            assert_eq!((user["id"].as_i64(), user["first_name"].as_str()), (Some(1_000_001), Some("Ada")));
            assert_eq!(user["self"], true, "layer {layer}");
            assert_eq!(user["phone"], "15550001234", "layer {layer}");
        }
    }
}

#[test]
fn user_ids_differ_where_the_issue_saw_clients_fail() {
    // Kurigram (229) and grammers (230) read `user#b1b8cc83`; layer 227 has `user#31774388`.
    let layers = layers();
    assert_eq!(id_in(&layers, 229, "user"), 0xb1b8cc83);
    assert_eq!(id_in(&layers, 230, "user"), 0xb1b8cc83);
    assert_eq!(id_in(&layers, 227, "user"), 0x31774388);
    assert_eq!(id_in(&layers, 158, "auth.signUp"), 0x80eee427);
}
