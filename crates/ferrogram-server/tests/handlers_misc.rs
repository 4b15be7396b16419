//! The dispatcher around the login methods, through `Api::call`: wrappers, config, users,
//! methods it does not serve and requests that do not parse.

mod common;

use common::*;
use ferrogram_tl::{enums, functions, types, RawQuery, Serializable};

#[test]
fn unknown_methods_and_malformed_requests_get_errors_not_hangs() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    // Drafts are not kept here (yet): a method the server does not serve.
    let unserved = functions::messages::GetAllDrafts {};
    assert_error(api.call(&ctx, &unserved.to_bytes()), 400, "INPUT_METHOD_INVALID");
    assert_error(api.call(&ctx, &[0xde, 0xad, 0xbe, 0xef, 1, 2, 3]), 400, "INPUT_METHOD_INVALID");
    assert_error(api.call(&ctx, &[1, 2]), 400, "INPUT_FETCH_ERROR");
    let sign_in = sign_in_request(PHONE_DC2, "abc", Some("12345")).to_bytes();
    assert_error(api.call(&ctx, &sign_in[..sign_in.len() - 3]), 400, "INPUT_FETCH_ERROR");
    let mut trailing = sign_in.clone();
    trailing.extend_from_slice(&[0; 4]);
    assert_error(api.call(&ctx, &trailing), 400, "INPUT_FETCH_ERROR");
    // Wrappers nested without end are refused, not followed.
    let mut nested = functions::help::GetNearestDc {}.to_bytes();
    for _ in 0..20 {
        nested = functions::InvokeWithoutUpdates { query: RawQuery(nested) }.to_bytes();
    }
    assert_error(api.call(&ctx, &nested), 400, "INPUT_REQUEST_TOO_LONG");
}

#[test]
fn wrappers_record_layer_and_client_and_run_the_query() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let init = functions::InitConnection {
        api_id: 12345,
        device_model: "test rig".into(),
        system_version: "Linux".into(),
        app_version: "1.0".into(),
        system_lang_code: "en".into(),
        lang_pack: String::new(),
        lang_code: "en".into(),
        proxy: None,
        params: None,
        query: RawQuery(
            functions::InvokeAfterMsg {
                msg_id: 42,
                query: RawQuery(functions::InvokeWithoutUpdates { query: functions::help::GetConfig {} }.to_bytes()),
            }
            .to_bytes(),
        ),
    };
    let wrapped = functions::InvokeWithLayer { layer: 198, query: RawQuery(init.to_bytes()) };
    let answer = api.call(&ctx, &wrapped.to_bytes()).unwrap();
    assert_eq!(answer, api.call(&ctx, &functions::help::GetConfig {}.to_bytes()).unwrap());
    let key = api.auth_key(ctx.auth_key_id).unwrap().unwrap();
    assert_eq!(key.layer, Some(198));
    assert_eq!(key.client.api_id, Some(12345));
    assert_eq!(key.client.device_model.as_deref(), Some("test rig"));
    let bad_layer = functions::InvokeWithLayer { layer: 0, query: functions::help::GetConfig {} };
    assert_error(api.call(&ctx, &bad_layer.to_bytes()), 400, "INPUT_LAYER_INVALID");
}

#[test]
fn config_lists_every_dc_of_the_process() {
    let api = api();
    let ctx = new_key(&api, 3, 1);
    let enums::Config::Config(config) = call(&api, &ctx, &functions::help::GetConfig {}).unwrap();
    assert_eq!(config.this_dc, 3);
    assert_eq!(i64::from(config.date), T0);
    assert!(config.expires > config.date);
    let options: Vec<types::DcOption> = config.dc_options.into_iter().map(|enums::DcOption::DcOption(o)| o).collect();
    let addresses = [(1, 4430), (2, 4431), (3, 4432)];
    // Each DC three times, as Telegram's production config lists them: plain, `static` (the only
    // entries grammers routes by) and `media_only`, all at the DC's one address.
    for (id, port) in addresses {
        let of_dc: Vec<&types::DcOption> = options.iter().filter(|o| o.id == id).collect();
        assert_eq!(of_dc.len(), 3, "DC {id}: {of_dc:?}");
        assert!(of_dc.iter().all(|o| (o.ip_address.as_str(), o.port) == ("127.0.0.1", port) && !o.ipv6 && !o.cdn));
        let flags: Vec<(bool, bool)> = of_dc.iter().map(|o| (o.r#static, o.media_only)).collect();
        assert_eq!(flags, [(false, false), (true, false), (false, true)], "DC {id}");
    }
    assert_eq!(options.len(), 3 * addresses.len());
    let enums::NearestDc::NearestDc(nearest) = call(&api, &ctx, &functions::help::GetNearestDc {}).unwrap();
    assert_eq!((nearest.this_dc, nearest.nearest_dc), (3, 3));
}

#[test]
fn users_are_found_by_self_id_or_id_and_access_hash() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let me = sign_up(&api, &ctx, PHONE_DC2, "Ada");
    let other = sign_up(&api, &new_key(&api, 2, 2), OTHER_PHONE_DC2, "Bob");
    // Access hashes depend on who asks (https://core.telegram.org/api/peers): the hash Bob's
    // own session got for himself names nobody for Ada. (handlers_peers.rs resolves others with
    // the hashes their viewer got.)
    let ids = vec![
        types::InputUser { user_id: me.id, access_hash: 0 }.into(),
        types::InputUser { user_id: other.id, access_hash: other.access_hash.unwrap() }.into(),
        types::InputUser { user_id: other.id, access_hash: 1 }.into(),
    ];
    let users = call(&api, &ctx, &functions::users::GetUsers { id: ids }).unwrap();
    let [enums::User::User(a), enums::User::Empty(b), enums::User::Empty(c)] = users.as_slice() else {
        panic!("{users:?}");
    };
    assert!(a.is_self && a.phone.is_some());
    assert_eq!((b.id, c.id), (other.id, other.id));

    let enums::users::UserFull::UserFull(full) =
        call(&api, &ctx, &functions::users::GetFullUser { id: types::InputUserSelf {}.into() }).unwrap();
    let enums::UserFull::UserFull(inner) = full.full_user;
    assert_eq!(inner.id, me.id);
    assert!(matches!(full.users.as_slice(), [enums::User::User(u)] if u.id == me.id));
    let stranger = functions::users::GetFullUser { id: types::InputUser { user_id: 77, access_hash: 0 }.into() };
    assert_error(call(&api, &ctx, &stranger), 400, "USER_ID_INVALID");
}

#[test]
fn admin_functions_check_their_input() {
    let api = api();
    let user = ferrogram_server::AdminUser { phone: "12".into(), first_name: "A".into(), ..Default::default() };
    assert!(matches!(api.create_user(&user, T0), Err(ferrogram_server::AdminError::InvalidPhone(_))));
    let user = ferrogram_server::AdminUser { phone: PHONE_DC2.into(), first_name: "A".into(), ..Default::default() };
    api.create_user(&user, T0).unwrap();
    assert!(matches!(api.create_user(&user, T0), Err(ferrogram_server::AdminError::PhoneTaken(_))));
    assert!(matches!(api.create_bot("!!", T0), Err(ferrogram_server::AdminError::InvalidBotName(_))));
    // Codes are listed newest first.
    let ctx = new_key(&api, 2, 1);
    let first = send_code(&api, &ctx, PHONE_DC2);
    let mut later = ctx.clone();
    later.now += 1;
    let second = send_code(&api, &later, TEST_PHONE_DC2);
    let codes = api.recent_codes(2).unwrap();
    assert_eq!(codes.len(), 2);
    assert_eq!(codes[0].phone_code_hash, second.phone_code_hash);
    assert_eq!(codes[1].phone_code_hash, first.phone_code_hash);
}
