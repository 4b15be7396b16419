//! The fuzz target `layers_decode` (`fuzz/fuzz_targets/layers_decode.rs`) on stable: its entry
//! point, `ferrogram_tl_layers::fuzzing::decode`, over real requests and answers (our layer's and
//! layer 198's, some gzip-packed) in every mode and layer, mutations of them, and pseudo-random
//! bytes. A panic fails the test.

use std::io::Write as _;

use ferrogram_tl::{enums, functions, types, Serializable};
use ferrogram_tl_layers::fuzzing::decode;
use ferrogram_tl_layers::{encode, Layers, Object, Value};

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn init_connection(query: Vec<u8>) -> Vec<u8> {
    let init = functions::InitConnection {
        api_id: 17349,
        device_model: "fuzz".into(),
        system_version: "1".into(),
        app_version: "1".into(),
        system_lang_code: "en".into(),
        lang_pack: String::new(),
        lang_code: "en".into(),
        proxy: None,
        params: None,
        query,
    };
    functions::InvokeWithLayer { layer: 198, query: init.to_bytes() }.to_bytes()
}

/// `gzip_packed#3072cfa1 packed_data:bytes` around `body`.
fn gzip_packed(body: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(body);
    let packed = gz.finish().unwrap_or_default();
    ferrogram_tl::mtproto::GzipPacked { packed_data: packed }.to_bytes()
}

/// Real messages: requests and answers of our layer, and a request of layer 198 built by name.
fn seeds() -> Vec<Vec<u8>> {
    let layers = Layers::embedded().expect("embedded schemas compile");
    let send_code = functions::auth::SendCode {
        phone_number: "+15550001234".into(),
        api_id: 17349,
        api_hash: "344583e45741c457fe1862106095a5eb".into(),
        settings: types::CodeSettings { allow_flashcall: true, ..Default::default() }.into(),
    }
    .to_bytes();
    let sign_in = functions::auth::SignIn {
        phone_number: "+15550001234".into(),
        phone_code_hash: "hash".into(),
        phone_code: Some("12345".into()),
        email_verification: None,
    }
    .to_bytes();
    let user =
        types::User { id: 7, first_name: Some("Ada".into()), username: Some("ada".into()), ..Default::default() };
    let authorization: enums::auth::Authorization = types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: Some(3),
        future_auth_token: None,
        user: user.into(),
    }
    .into();
    let send_code_198 = Object::new("auth.sendCode")
        .with("phone_number", Value::string("+15550001234"))
        .with("api_id", Value::Int(17349))
        .with("api_hash", Value::string("344583e45741c457fe1862106095a5eb"))
        .with("settings", Object::new("codeSettings").with("allow_flashcall", Value::True).into());
    let send_code_198 = encode(layers.schema(198).expect("layer 198"), &Value::Object(send_code_198)).expect("encodes");
    vec![
        functions::help::GetConfig {}.to_bytes(),
        init_connection(functions::help::GetConfig {}.to_bytes()),
        init_connection(send_code.clone()),
        init_connection(send_code_198.clone()),
        send_code_198,
        send_code,
        sign_in,
        authorization.to_bytes(),
        gzip_packed(&authorization.to_bytes()),
        init_connection(gzip_packed(&functions::help::GetConfig {}.to_bytes())),
    ]
}

/// `mode` (its low 3 bits) and `layer` (an index into the embedded layers) as the first byte.
fn selector(mode: u8, layer: u8) -> u8 {
    layer << 3 | (mode & 7)
}

#[test]
fn every_seed_in_every_mode_and_layer() {
    decode(&[]);
    let seeds = seeds();
    for layer in 0..8 {
        for mode in 0..8 {
            decode(&[selector(mode, layer)]);
            for seed in &seeds {
                let mut data = vec![selector(mode, layer)];
                // Modes 3, 4, 6, 7 read a 2-byte name index first: a few of them.
                if matches!(mode, 3 | 4 | 6 | 7) {
                    for index in [0u16, 1, 97, 411, u16::MAX] {
                        let mut data = data.clone();
                        data.extend_from_slice(&index.to_le_bytes());
                        data.extend_from_slice(seed);
                        decode(&data);
                    }
                }
                data.extend_from_slice(seed);
                decode(&data);
            }
        }
    }
}

#[test]
fn mutated_seeds() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let seeds = seeds();
    for _ in 0..50_000 {
        let mut m = seeds[(rng.next() as usize) % seeds.len()].clone();
        for _ in 0..1 + rng.next() % 4 {
            let at = (rng.next() as usize) % (m.len() + 1);
            match rng.next() % 4 {
                0 if at < m.len() => m[at] ^= 1 << (rng.next() % 8),
                1 => m.truncate(at),
                // A length field that claims far more than is there.
                2 => m.splice(at..at, [0xfe, 0xff, 0xff, 0x7f]).for_each(drop),
                _ => m.insert(at, rng.next() as u8),
            }
        }
        let mut data = vec![rng.next() as u8];
        if matches!(data[0] & 7, 3 | 4 | 6 | 7) {
            data.extend_from_slice(&rng.bytes(2));
        }
        data.extend_from_slice(&m);
        decode(&data);
    }
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..50_000 {
        let len = (rng.next() % 200) as usize;
        decode(&rng.bytes(len));
    }
}
