//! Hand-checked byte vectors: each expected encoding is written out from the TL rules
//! (<https://core.telegram.org/mtproto/serialize>) with a comment per field, not produced by the
//! code under test.

use ferrogram_tl::mtproto::GzipPacked;
use ferrogram_tl::{enums, functions, types, Deserializable, Serializable};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn check<T: Serializable + Deserializable + PartialEq + std::fmt::Debug>(value: &T, expected: &str) {
    let expected = hex(expected);
    assert_eq!(value.to_bytes(), expected, "encoding of {value:?}");
    assert_eq!(&T::from_bytes_exact(&expected).unwrap(), value, "decoding");
}

#[test]
fn sign_in_without_email_verification() {
    let request = functions::auth::SignIn {
        phone_number: "123".into(),
        phone_code_hash: "ab".into(),
        phone_code: Some("5".into()),
        email_verification: None,
    };
    check(
        &request,
        "51a9528d   // auth.signIn#8d52a951
         01000000   // flags: bit 0 (phone_code)
         03313233   // phone_number: len 3, \"123\"
         02616200   // phone_code_hash: len 2, \"ab\", 1 byte padding
         01350000   // phone_code: len 1, \"5\", 2 bytes padding"
            .lines()
            .map(|l| l.split("//").next().unwrap())
            .collect::<String>()
            .as_str(),
    );
}

fn strip_comments(s: &str) -> String {
    s.lines().map(|l| l.split("//").next().unwrap()).collect()
}

#[test]
fn sign_in_with_email_verification() {
    let request = functions::auth::SignIn {
        phone_number: "123".into(),
        phone_code_hash: "ab".into(),
        phone_code: None,
        email_verification: Some(types::EmailVerificationCode { code: "777".into() }.into()),
    };
    check(
        &request,
        &strip_comments(
            "51a9528d   // auth.signIn#8d52a951
             02000000   // flags: bit 1 (email_verification), phone_code absent
             03313233   // phone_number \"123\"
             02616200   // phone_code_hash \"ab\"
             a9552e92   // emailVerificationCode#922e55a9
             03373737   // code \"777\"",
        ),
    );
}

#[test]
fn send_code_with_code_settings() {
    let request = functions::auth::SendCode {
        phone_number: "+1".into(),
        api_id: 12345,
        api_hash: "h".into(),
        settings: types::CodeSettings {
            allow_flashcall: true,
            current_number: true,
            token: Some("t".into()),
            app_sandbox: Some(true),
            ..Default::default()
        }
        .into(),
    };
    check(
        &request,
        &strip_comments(
            "4f2477a6   // auth.sendCode#a677244f
             022b3100   // phone_number \"+1\"
             39300000   // api_id 12345
             01680000   // api_hash \"h\"
             783d25ad   // codeSettings#ad253d78
             03010000   // flags: bits 0, 1 (allow_flashcall, current_number) and 8 (token, app_sandbox)
             01740000   // token \"t\"
             b5757299   // app_sandbox: boolTrue",
        ),
    );
}

fn small_user(id: i64) -> enums::User {
    types::User { is_self: true, id, first_name: Some("Ada".into()), ..Default::default() }.into()
}

const SMALL_USER_7: &str = "83ccb8b1   // user#b1b8cc83
                            02040000   // flags: bit 1 (first_name), bit 10 (self)
                            00000000   // flags2: none
                            0700000000000000 // id 7
                            03416461   // first_name \"Ada\"";

#[test]
fn authorization_with_a_user() {
    let auth: enums::auth::Authorization = types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: small_user(7),
    }
    .into();
    let expected = format!(
        "d4c0a22e   // auth.authorization#2ea2c0d4
         00000000   // flags: none
         {SMALL_USER_7}"
    );
    check(&auth, &strip_comments(&expected));
}

#[test]
fn vector_of_users() {
    let users = vec![small_user(7), types::UserEmpty { id: 2 }.into()];
    let expected = format!(
        "15c4b51c   // vector#1cb5c415
         02000000   // 2 elements
         {SMALL_USER_7}
         7a4bbcd3   // userEmpty#d3bc4b7a
         0200000000000000 // id 2"
    );
    check(&users, &strip_comments(&expected));
}

#[test]
fn gzip_packed_wrapping() {
    // Python: gzip.compress(bytes.fromhex("b5757299"), mtime=0): boolTrue, gzipped.
    let stream = hex("1f8b0800000000000203db5a5a3413009bfb08cd04000000");
    let mut expected = hex("a1cf7230"); // gzip_packed#3072cfa1
    expected.push(stream.len() as u8); // bytes: 1-byte length 24
    expected.extend_from_slice(&stream);
    expected.extend_from_slice(&[0, 0, 0]); // padding 1 + 24 -> 28
    let packed = GzipPacked::from_bytes_exact(&expected).unwrap();
    assert_eq!(packed.packed_data, stream);
    assert_eq!(packed.to_bytes(), expected);
    let inner = packed.unpack().unwrap();
    assert_eq!(inner, hex("b5757299"));
    assert!(bool::from_bytes_exact(&inner).unwrap());
    // Our own packing inflates back to the same object.
    assert_eq!(GzipPacked::pack(&inner).unpack().unwrap(), inner);
}

#[test]
fn gzip_packed_rejects_garbage_and_bombs() {
    assert!(GzipPacked { packed_data: vec![1, 2, 3] }.unpack().is_err());
    let bomb = GzipPacked::pack(&vec![0u8; ferrogram_tl::InflateLimits::DEFAULT.max_total_bytes + 1]);
    assert!(bomb.packed_data.len() < 100_000);
    assert!(bomb.unpack().is_err());
}

#[test]
fn invoke_with_layer_init_connection_get_config() {
    let request = functions::InvokeWithLayer {
        layer: 230,
        query: functions::InitConnection {
            api_id: 1,
            device_model: "d".into(),
            system_version: "s".into(),
            app_version: "a".into(),
            system_lang_code: "en".into(),
            lang_pack: "".into(),
            lang_code: "en".into(),
            proxy: None,
            params: None,
            query: functions::help::GetConfig {},
        },
    };
    check(
        &request,
        &strip_comments(
            "0d0d9bda   // invokeWithLayer#da9b0d0d
             e6000000   // layer 230
             a95ecdc1   // initConnection#c1cd5ea9
             00000000   // flags: no proxy, no params
             01000000   // api_id 1
             01640000   // device_model \"d\"
             01730000   // system_version \"s\"
             01610000   // app_version \"a\"
             02656e00   // system_lang_code \"en\"
             00000000   // lang_pack \"\"
             02656e00   // lang_code \"en\"
             6b18f9c4   // help.getConfig#c4f9186b",
        ),
    );
    assert_eq!(ferrogram_tl::LAYER, 230);
    // The result type of the whole wrapper is the inner query's.
    fn returns<R: ferrogram_tl::RemoteCall<Return = enums::Config>>(_: &R) {}
    returns(&request);
}

#[test]
fn long_strings_use_the_four_byte_length() {
    let s = "x".repeat(300);
    let mut expected = vec![0xfe, 0x2c, 0x01, 0x00]; // 254 marker, length 300 little-endian
    expected.extend_from_slice(s.as_bytes());
    // 4 + 300 = 304, already a multiple of 4: no padding.
    assert_eq!(s.to_bytes(), expected);
    assert_eq!(String::from_bytes_exact(&expected).unwrap(), s);
}

#[test]
fn mtproto_functions_are_functions() {
    use ferrogram_tl::mtproto::{enums as menums, functions as mfunctions};
    fn returns<R: ferrogram_tl::RemoteCall<Return = menums::ResPq>>(_: &R) {}
    returns(&mfunctions::ReqPqMulti { nonce: [1; 16] });
    fn returns_pong<R: ferrogram_tl::RemoteCall<Return = menums::Pong>>(_: &R) {}
    returns_pong(&mfunctions::Ping { ping_id: 1 });
    // req_pq_multi#be7e8ef1 nonce:int128
    let mut expected = hex("f18e7ebe");
    expected.extend_from_slice(&[1; 16]);
    assert_eq!(mfunctions::ReqPqMulti { nonce: [1; 16] }.to_bytes(), expected);
}
