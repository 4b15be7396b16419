//! Translation between layer 198 (GramJS's schema) and ours, cross-checked with the generated
//! types of `ferrogram-tl` and with the text of `data/tl/layers/api-198.tl`.

use ferrogram_tl::{enums, functions, types, Deserializable, Identifiable, Serializable};
use ferrogram_tl_layers::{decode_exact, encode, json_to_request, Layers, Object, SchemaIndex, TranslateError, Value};

const API_198: &str = include_str!("../../../data/tl/layers/api-198.tl");

fn layers() -> Layers {
    Layers::embedded().expect("embedded schemas compile")
}

/// The id api-198.tl declares for `name`, read from the text itself.
fn id_in_198_text(name: &str) -> u32 {
    let prefix = format!("{name}#");
    let line = API_198.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("{name} not in api-198.tl"));
    let hex = line[prefix.len()..].split_whitespace().next().unwrap();
    u32::from_str_radix(hex, 16).unwrap()
}

fn s(text: &str) -> Value {
    Value::string(text)
}

/// A request built with the 198 schema by name.
fn encode_198(layers: &Layers, value: Object) -> Vec<u8> {
    encode(layers.schema(198).unwrap(), &Value::Object(value)).unwrap()
}

fn send_code_198() -> Object {
    Object::new("auth.sendCode")
        .with("phone_number", s("+15550001234"))
        .with("api_id", Value::Int(17349))
        .with("api_hash", s("344583e45741c457fe1862106095a5eb"))
        .with("settings", Object::new("codeSettings").with("allow_flashcall", Value::True).into())
}

#[test]
fn embedded_layers_and_selection() {
    let layers = layers();
    assert_eq!(layers.our_layer(), ferrogram_tl::LAYER);
    // Every schema file of data/tl/layers is compiled in.
    assert_eq!(layers.known_layers().collect::<Vec<_>>(), [158, 198, 223, 227, 229, layers.our_layer()]);
    assert_eq!(layers.our_layer(), 230);
    assert_eq!(layers.layer_for(198), Some(198));
    assert_eq!(layers.layer_for(210), Some(198), "between 198 and 223: 198");
    assert_eq!(layers.layer_for(228), Some(227));
    assert_eq!(layers.layer_for(157), None, "older than all: refused");
    assert_eq!(layers.layer_for(500), Some(layers.our_layer()));
    fn shareable<T: Send + Sync>(_: &T) {}
    shareable(&layers);
}

#[test]
fn send_code_and_sign_in_from_198_decode_with_our_types() {
    let layers = layers();
    let bytes = layers.request_to_ours(198, &encode_198(&layers, send_code_198())).unwrap();
    let call = functions::auth::SendCode::from_bytes_exact(&bytes).unwrap();
    assert_eq!(call.phone_number, "+15550001234");
    assert_eq!(call.api_id, 17349);
    let enums::CodeSettings::CodeSettings(settings) = call.settings;
    assert!(settings.allow_flashcall && !settings.current_number);

    let sign_in = Object::new("auth.signIn")
        .with("phone_number", s("+15550001234"))
        .with("phone_code_hash", s("abc"))
        .with("phone_code", s("12345"));
    let bytes = layers.request_to_ours(198, &encode_198(&layers, sign_in)).unwrap();
    let call = functions::auth::SignIn::from_bytes_exact(&bytes).unwrap();
    assert_eq!((call.phone_code_hash.as_str(), call.phone_code.as_deref()), ("abc", Some("12345")));
    assert!(call.email_verification.is_none());
}

#[test]
fn wrapped_request_from_198_decodes_with_our_types() {
    let layers = layers();
    let init = Object::new("initConnection")
        .with("api_id", Value::Int(1))
        .with("device_model", s("node"))
        .with("system_version", s("linux"))
        .with("app_version", s("1.0"))
        .with("system_lang_code", s("en"))
        .with("lang_pack", s(""))
        .with("lang_code", s("en"))
        .with("query", Object::new("help.getConfig").into());
    let wrapped = Object::new("invokeWithLayer").with("layer", Value::Int(198)).with("query", init.into());
    let request = encode_198(&layers, wrapped);
    assert_eq!(layers.announced_layer(&request), Some(198));
    let bytes = layers.request_to_ours(198, &request).unwrap();
    type Call = functions::InvokeWithLayer<functions::InitConnection<functions::help::GetConfig>>;
    let call = Call::from_bytes_exact(&bytes).unwrap();
    assert_eq!(call.layer, 198, "the announced layer is kept");
    assert_eq!(call.query.device_model, "node");
    assert_eq!(call.query.query, functions::help::GetConfig {});
}

#[test]
fn request_fields_our_layer_added_get_neutral_values() {
    let layers = layers();
    // 198: channels.toggleForum#a4298b29 channel enabled; ours adds a required `tabs:Bool`.
    let toggle = Object::new("channels.toggleForum")
        .with(
            "channel",
            Object::new("inputChannel").with("channel_id", Value::Long(7)).with("access_hash", Value::Long(9)).into(),
        )
        .with("enabled", Value::Bool(true));
    let request = encode_198(&layers, toggle);
    assert_eq!(u32::from_le_bytes(request[..4].try_into().unwrap()), id_in_198_text("channels.toggleForum"));
    let call =
        functions::channels::ToggleForum::from_bytes_exact(&layers.request_to_ours(198, &request).unwrap()).unwrap();
    assert!(call.enabled && !call.tabs);

    // 198: messages.setChatTheme emoticon:string; ours: theme:InputChatTheme. The string is
    // dropped, the object becomes the type's neutral `inputChatThemeEmpty`.
    let theme = Object::new("messages.setChatTheme")
        .with("peer", Object::new("inputPeerSelf").into())
        .with("emoticon", s("🙂"));
    let bytes = layers.request_to_ours(198, &encode_198(&layers, theme)).unwrap();
    let call = functions::messages::SetChatTheme::from_bytes_exact(&bytes).unwrap();
    assert!(matches!(call.theme, enums::InputChatTheme::Empty(_)));
}

#[test]
fn unknown_methods_are_input_method_invalid() {
    let layers = layers();
    let unknown = layers.request_to_ours(198, &0xdead_beefu32.to_le_bytes()).unwrap_err();
    assert!(matches!(&unknown, TranslateError::UnknownMethod { name } if name == "0xdeadbeef"), "{unknown}");
    assert_eq!(unknown.rpc_error(), (400, "INPUT_METHOD_INVALID"));
    // A method of 198 that our layer removed.
    let removed = Object::new("users.getIsPremiumRequiredToContact").with("id", Value::Vector(vec![]));
    let err = layers.request_to_ours(198, &encode_198(&layers, removed)).unwrap_err();
    assert!(matches!(&err, TranslateError::UnknownMethod { name } if name == "users.getIsPremiumRequiredToContact"));
    // Wrapped, too.
    let wrapped = Object::new("invokeWithLayer").with("layer", Value::Int(198)).with(
        "query",
        Object::new("invokeWithoutUpdates")
            .with(
                "query",
                Object::new("payments.canPurchasePremium")
                    .with("purpose", Object::new("inputStorePaymentPremiumSubscription").into())
                    .into(),
            )
            .into(),
    );
    let err = layers.request_to_ours(198, &encode_198(&layers, wrapped)).unwrap_err();
    assert_eq!(err.rpc_error(), (400, "INPUT_METHOD_INVALID"), "{err}");
    // Our own answer to an unknown method name.
    assert!(matches!(layers.answer_to_layer(198, "auth.nope", &[]), Err(TranslateError::UnknownMethod { .. })));
}

fn our_user() -> types::User {
    types::User {
        is_self: true,
        bot_forum_view: true, // a flag 198 does not have
        id: 777000,
        access_hash: Some(-5),
        first_name: Some("Ada".into()),
        phone: Some("15550001234".into()),
        stories_max_id: Some(enums::RecentStory::RecentStory(types::RecentStory { live: true, max_id: Some(3) })),
        send_paid_messages_stars: Some(10),
        ..Default::default()
    }
}

#[test]
fn authorization_with_user_goes_to_198_with_198_ids() {
    let layers = layers();
    let answer = enums::auth::Authorization::Authorization(types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: Some(vec![1, 2, 3]),
        user: enums::User::User(our_user()),
    })
    .to_bytes();
    let bytes = layers.answer_to_layer(198, "auth.signIn", &answer).unwrap();
    assert_ne!(bytes, answer, "user's id differs between the layers");

    let l198 = layers.schema(198).unwrap();
    let ty = l198.result_type("auth.signIn").unwrap();
    let value = decode_exact(l198, &ty, &bytes).unwrap();
    let auth = value.as_object().unwrap();
    assert_eq!((auth.name.as_str(), auth.id), ("auth.authorization", id_in_198_text("auth.authorization")));
    assert_eq!(auth.get("future_auth_token"), Some(&Value::Bytes(vec![1, 2, 3])));
    let user = auth.get("user").and_then(Value::as_object).unwrap();
    assert_eq!((user.name.as_str(), user.id), ("user", id_in_198_text("user")));
    assert_ne!(user.id, types::User::CONSTRUCTOR_ID);
    assert_eq!(user.get("id"), Some(&Value::Long(777000)));
    assert_eq!(user.get("first_name").and_then(Value::as_str), Some("Ada"));
    assert_eq!(user.get("self"), Some(&Value::True));
    // Dropped: a flag and a field 198 lacks, and `stories_max_id`, an int in 198 but an object in ours.
    assert!(!user.has("bot_forum_view") && !user.has("send_paid_messages_stars") && !user.has("stories_max_id"));

    // A vector result: users.getUsers.
    let users = vec![enums::User::User(our_user()), enums::User::Empty(types::UserEmpty { id: 1 })].to_bytes();
    let out = layers.answer_to_layer(198, "users.getUsers", &users).unwrap();
    let value = decode_exact(l198, &l198.type_ref("Vector<User>").unwrap(), &out).unwrap();
    let Value::Vector(items) = value else { panic!("not a vector") };
    let ids: Vec<u32> = items.iter().map(|v| v.as_object().unwrap().id).collect();
    assert_eq!(ids, [id_in_198_text("user"), id_in_198_text("userEmpty")]);

    // Sign-up required exists in 198 with the same id.
    assert_eq!(
        id_in_198_text("auth.authorizationSignUpRequired"),
        types::auth::AuthorizationSignUpRequired::CONSTRUCTOR_ID
    );
    let signup =
        enums::auth::Authorization::SignUpRequired(types::auth::AuthorizationSignUpRequired { terms_of_service: None })
            .to_bytes();
    assert_eq!(layers.answer_to_layer(198, "auth.signIn", &signup).unwrap(), signup);
}

#[test]
fn sent_code_of_a_type_198_lacks_falls_back() {
    let layers = layers();
    assert!(layers.schema(198).unwrap().definition("auth.sentCodePaymentRequired").is_none());
    let answer = enums::auth::SentCode::PaymentRequired(types::auth::SentCodePaymentRequired {
        store_product: "p".into(),
        phone_code_hash: "hash-1".into(),
        support_email_address: "a@b".into(),
        support_email_subject: "s".into(),
        premium_days: 30,
        currency: "USD".into(),
        amount: 100,
    })
    .to_bytes();
    let bytes = layers.answer_to_layer(198, "auth.sendCode", &answer).unwrap();
    let l198 = layers.schema(198).unwrap();
    let value = decode_exact(l198, &l198.type_ref("auth.SentCode").unwrap(), &bytes).unwrap();
    let sent = value.as_object().unwrap();
    // The constructor sharing a field (phone_code_hash) wins over the one with fewest fields.
    assert_eq!((sent.name.as_str(), sent.id), ("auth.sentCode", id_in_198_text("auth.sentCode")));
    assert_eq!(sent.get("phone_code_hash").and_then(Value::as_str), Some("hash-1"));
    assert!(sent.get("type").and_then(Value::as_object).is_some(), "required object made neutral");

    // A plain sentCode is unchanged (same definition in both layers).
    let plain = enums::auth::SentCode::SentCode(types::auth::SentCode {
        r#type: enums::auth::SentCodeType::Sms(types::auth::SentCodeTypeSms { length: 5 }),
        phone_code_hash: "h".into(),
        next_type: None,
        timeout: Some(60),
    })
    .to_bytes();
    assert_eq!(layers.answer_to_layer(198, "auth.sendCode", &plain).unwrap(), plain);
}

#[test]
fn answer_fields_198_needs_get_neutral_values() {
    let layers = layers();
    // 198: starsTransaction has a required `stars:StarsAmount` that ours renamed `amount`.
    let l198 = layers.schema(198).unwrap();
    let ours = layers.our_schema();
    let ty = ours.type_ref("StarsTransaction").unwrap();
    let ours_def = ours.definition("starsTransaction").unwrap();
    assert!(ours_def.params.iter().all(|p| p.name != "stars"));
    let tx = Object::new("starsTransaction")
        .with("id", s("tx1"))
        .with("amount", Object::new("starsAmount").with("amount", Value::Long(5)).with("nanos", Value::Int(0)).into())
        .with("date", Value::Int(1_700_000_000))
        .with("peer", Object::new("starsTransactionPeerFragment").into());
    let bytes = ferrogram_tl_layers::encode_as(ours, &ty, &Value::Object(tx)).unwrap();
    let out = layers.object_to_layer(198, "StarsTransaction", &bytes).unwrap();
    let value = decode_exact(l198, &l198.type_ref("StarsTransaction").unwrap(), &out).unwrap();
    let tx = value.as_object().unwrap();
    assert_eq!(tx.id, id_in_198_text("starsTransaction"));
    let stars = tx.get("stars").and_then(Value::as_object).expect("missing required object made neutral");
    assert_eq!(stars.name, "starsAmount");
    assert_eq!(stars.fields, [("amount".to_string(), Value::Long(0)), ("nanos".to_string(), Value::Int(0))]);
    assert_eq!(tx.get("id").and_then(Value::as_str), Some("tx1"));
    assert!(!tx.has("amount"));
}

#[test]
fn rpc_errors_pass_through() {
    let layers = layers();
    let mut err = 0x2144_ca19u32.to_le_bytes().to_vec();
    err.extend(400i32.to_le_bytes());
    err.extend([4, b'N', b'O', b'P', b'E', 0, 0, 0]);
    assert_eq!(layers.answer_to_layer(198, "auth.signIn", &err).unwrap(), err);
}

/// A small deterministic generator (xorshift64*), so the test is reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn malformed_input_never_panics() {
    let layers = layers();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let valid = encode_198(&layers, send_code_198());
    let ids = [valid[..4].to_vec(), 0xda9b_0d0du32.to_le_bytes().to_vec(), 0x3072_cfa1u32.to_le_bytes().to_vec()];
    for round in 0..20_000 {
        let len = (rng.next() % 96) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        match round % 3 {
            // A known id in front, so decoding gets past the first word.
            0 => bytes.splice(0..0, ids[(rng.next() % 3) as usize].iter().copied()).for_each(drop),
            // A valid request with a few bytes flipped or cut short.
            1 => {
                bytes = valid.clone();
                for _ in 0..1 + rng.next() % 3 {
                    let i = (rng.next() as usize) % bytes.len();
                    bytes[i] ^= rng.next() as u8 | 1;
                }
                bytes.truncate((rng.next() as usize) % (valid.len() + 1));
            }
            _ => {}
        }
        let _ = layers.request_to_ours(198, &bytes);
        let _ = layers.answer_to_layer(198, "auth.signIn", &bytes);
        let _ = layers.object_to_layer(198, "Updates", &bytes);
        let _ = ferrogram_tl_layers::request_to_json(layers.our_schema(), &bytes);
    }
}

/// A sample value of `ty` of schema `from`, with every optional field present, whose nested
/// constructors are defined identically (same TL line) in `other`. `None` when the type cannot be
/// sampled that way (generic queries, or no identical constructor).
fn sample(from: &SchemaIndex, other: &SchemaIndex, ty: &tl_gen::Type, depth: usize) -> Option<Value> {
    if ty.generic_ref {
        return None;
    }
    if let Some(elem) = &ty.generic_arg {
        return Some(Value::Vector(sample(from, other, elem, depth + 1).into_iter().collect()));
    }
    let name = ty.full_name();
    Some(match name.as_str() {
        "int" => Value::Int(-7),
        "long" => Value::Long(1 << 40),
        "double" => Value::Double(2.5),
        "int128" => Value::Int128([3; 16]),
        "int256" => Value::Int256([4; 32]),
        "bytes" => Value::Bytes(vec![1, 2, 3, 4, 5]),
        "string" => Value::string("text"),
        "Bool" => Value::Bool(true),
        "true" => Value::True,
        _ if depth > 4 => return None,
        _ => {
            let identical =
                |d: &&&tl_gen::Definition| other.definition(&d.full_name()).is_some_and(|o| o.to_tl() == d.to_tl());
            let candidates: Vec<&tl_gen::Definition> =
                if ty.bare { from.definition(&name).into_iter().collect() } else { from.constructors(&name) };
            let def = candidates.iter().find(identical)?;
            Value::Object(sample_object(from, other, def, depth)?)
        }
    })
}

fn sample_object(from: &SchemaIndex, other: &SchemaIndex, def: &tl_gen::Definition, depth: usize) -> Option<Object> {
    let mut o = Object::new(&def.full_name());
    for p in &def.params {
        if let tl_gen::ParameterType::Normal { ty, flag } = &p.ty {
            match (sample(from, other, ty, depth + 1), flag) {
                (Some(v), _) => o.fields.push((p.name.clone(), v)),
                (None, Some(_)) => {}
                (None, None) => return None,
            }
        }
    }
    Some(o)
}

/// Every definition of 198 that ours has with the same id, sampled with 198's fields: read with
/// one layer and written with the other, it is what the other layer writes for the same value.
/// (Telegram sometimes adds flags without changing an id, so "same id" is not "same bytes".)
#[test]
fn shared_definitions_translate_to_themselves() {
    let layers = layers();
    let (ours, l198) = (layers.our_schema(), layers.schema(198).unwrap());
    let (mut compared, mut skipped) = (0, 0);
    for def in l198.definitions() {
        let name = def.full_name();
        if ours.definition(&name).is_none_or(|o| o.id != def.id) {
            continue;
        }
        let Some(object) = sample_object(l198, ours, def, 0) else {
            skipped += 1;
            continue;
        };
        let value = Value::Object(object);
        let in_198 = encode(l198, &value).unwrap_or_else(|e| panic!("{name}: {e}"));
        // A 198 field our definition dropped cannot be written with ours: nothing to compare.
        let Ok(in_ours) = encode(ours, &value) else {
            skipped += 1;
            continue;
        };
        if def.category == tl_gen::Category::Function {
            let lifted = layers.request_to_ours(198, &in_198).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(lifted, in_ours, "{name}");
        } else {
            let type_name = def.ty.full_name();
            let out = layers.object_to_layer(198, &type_name, &in_ours).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(out, in_198, "{name}");
        }
        compared += 1;
    }
    // Most of the API did not change between 198 and ours (1913 compared, 32 skipped when written).
    assert!(compared > 1500 && skipped < 100, "{compared} compared, {skipped} skipped");
}

#[test]
fn json_requests_match_the_generated_types() {
    let layers = layers();
    let ours = layers.our_schema();
    let json = serde_json::json!({
        "_": "auth.sendCode", "phone_number": "+15550001234", "api_id": 17349, "api_hash": "x",
        "settings": {"_": "codeSettings", "current_number": true, "logout_tokens": ["AQID"]}
    });
    let expected = functions::auth::SendCode {
        phone_number: "+15550001234".into(),
        api_id: 17349,
        api_hash: "x".into(),
        settings: enums::CodeSettings::CodeSettings(types::CodeSettings {
            current_number: true,
            logout_tokens: Some(vec![vec![1, 2, 3]]),
            ..Default::default()
        }),
    };
    let bytes = json_to_request(ours, &json).unwrap();
    assert_eq!(bytes, expected.to_bytes());
    assert_eq!(ferrogram_tl_layers::request_to_json(ours, &bytes).unwrap(), json);

    let json = serde_json::json!({"_": "invokeWithLayer", "layer": 223, "query": {"_": "initConnection",
        "api_id": 1, "device_model": "d", "system_version": "s", "app_version": "a", "system_lang_code": "en",
        "lang_pack": "", "lang_code": "en", "query": {"_": "help.getConfig"}}});
    let bytes = json_to_request(ours, &json).unwrap();
    type Call = functions::InvokeWithLayer<functions::InitConnection<functions::help::GetConfig>>;
    assert_eq!(Call::from_bytes_exact(&bytes).unwrap().query.device_model, "d");
    assert_eq!(ferrogram_tl_layers::request_to_json(ours, &bytes).unwrap(), json);

    let answer = enums::auth::Authorization::Authorization(types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: Some(2),
        future_auth_token: None,
        user: enums::User::Empty(types::UserEmpty { id: -1 }),
    });
    let json = ferrogram_tl_layers::answer_to_json(ours, "auth.signIn", &answer.to_bytes()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"_": "auth.authorization", "tmp_sessions": 2, "user": {"_": "userEmpty", "id": -1}})
    );
}

#[test]
fn json_errors_name_the_path() {
    let ours = layers();
    let ours = ours.our_schema();
    let json = serde_json::json!({"_": "auth.sendCode", "phone_number": "+1", "api_id": 1, "api_hash": "x",
        "settings": {"_": "codeSettings", "logout_tokens": ["AQID", "not base64!"]}});
    let err = json_to_request(ours, &json).unwrap_err();
    assert!(err.to_string().starts_with("$.settings.logout_tokens[1]: expected bytes"), "{err}");
    let json = serde_json::json!({"_": "auth.sendCode", "phone_number": "+1", "api_id": 1, "api_hash": "x",
        "settings": {"_": "userEmpty", "id": 1}});
    let err = json_to_request(ours, &json).unwrap_err();
    assert_eq!(err.to_string(), "$.settings: `userEmpty` is not a CodeSettings of this schema");
}
