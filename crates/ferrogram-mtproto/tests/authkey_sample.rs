//! Telegram's published worked example of creating an authorization key
//! (<https://core.telegram.org/mtproto/samples-auth_key>, mirrored in MarshalX/telegram-crawler at
//! `data/web/corefork.telegram.org/mtproto/samples-auth_key.html`), replayed through our client
//! with the example's random values injected.
//!
//! What can be reproduced byte for byte, and is: the `req_pq_multi` body; the `p_q_inner_data_dc`
//! and its `RSA_PAD` input (data + the example's `random_padding_bytes`), the `req_DH_params`
//! fields; the decryption and checks of the example's `server_DH_params_ok`; `g_b`, the
//! `client_DH_inner_data`, the whole `set_client_DH_params` body (with the example's `b` and
//! padding); the auth key; and the acceptance of the example's `dh_gen_ok`.
//!
//! What cannot: the `encrypted_data` of `req_DH_params`, because `RSA_PAD` also draws a 32-byte
//! temporary key the page does not give, and only Telegram holds the private key. So the test
//! offers the client our own RSA key under the example's `resPQ` (its fingerprint swapped in),
//! decrypts what the client sent with our private key, and checks the padded plaintext against the
//! page. Our server state machine then accepts the example's `req_pq_multi` and (re-encrypted)
//! `req_DH_params`, with the example's server_nonce, p and q injected; the server's secret `a` is
//! not published, so its later messages cannot match the page's.

use std::collections::HashMap;
use std::time::Duration;

use ferrogram_mtproto::authkey::client::{ClientConfig, ClientHandshake, ClientStep};
use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerStep};
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

const NONCE: &str = "15A084B3B9CA2A17F03925F44B78FE68";
const SERVER_NONCE: &str = "D6701FCD212CEB87C966E5318F5564A8";
const NEW_NONCE: &str = "845FAD32D10A4C7967DA49A89FBE508AD24AA3150992B499B3B2C72CDC0F364C";
const PQ_INNER_DATA: &str = "955FF5A9081460E7D3FA727791000000043C2357CF0000000456BFB29F00000015A084B3B9CA2A17F03925F44B78FE68D6701FCD212CEB87C966E5318F5564A8845FAD32D10A4C7967DA49A89FBE508AD24AA3150992B499B3B2C72CDC0F364C02000000";
const RANDOM_PADDING: &str = "5C3E7244F0896A34C58F66FC548B7A2D0A4153B5E703A8FF11FBF623B7E2F9BA25E3539490DA77CEB9AB45A44F9D7D3CB5DE7C0F69F0D5819112F5CACF06C964AE5D8BC3C727AC39A058681B8E80AAB76BF06CD90FCBC2B7CFBF8135";
const ENCRYPTED_ANSWER: &str = "FEF627AC3A88027BC6583F95D82E610066A87B839614EE343CD8D37F2B2C81FC964561BA164F44E4B3C39A6CC74C6E2F2687C2E5872658E4301734B3814D420C684D94C0B93C4B335DBB346266CDAD20B3EEC91AE49B59E130EAB877FD03C07BA786DA8EFF7BDDCB773E0C4C1C7C66FE5C5A39D32A76400D71FBD2A09D5BFDF3B3976F17C1DA7FD77349CBD97EBC5217181541F43D8DEDB3027DC3989623DCF849FF391832F409903E7620EBBF7675CEFA13CEC90570BB0EE196C5BB67DB169DB902C1192F67D9A74B1B9782FF02FD4DB78C76117D6639A6ED87F5DEB37ED49296F2C94EA835D0988A270749C3E6D1D0B0BE88F3985D683E48F2E2AC7648175EE72BEA1B52641C23EC8EEFBD6025516E91CCE20C25CB5159B5C9D9CA19A15DD4A44F422946B758EC4C968BDE0832E2389D5B9F3C3AC520AC58753747717F7276A7DF3FF841A7ABD18524A3150F537471F73A9818097E82D9645A9CE38F858D510FFC79CE11D96173C22DDE2B0AE490B8CC7B10BCC7BB8879027872E724DCC648DDF7AE6F14C3229E7D611463E513D38BE913D0D50E9D439337C0FD8D71C9EF70C602A47173D699308216C7C44C40615BF8E9806A5DFA56F4529AD70E784C1904A9488A019A6C7AB7D822A9A6926A1916891302C1827CE54E9D8829EE079D19730DFEBA218D317EB4F22A2418EF9343DA75131FC6F37A80D5EEB93309711244AE3A1D4CA1906F10B4F06C8F9BF547A6FEA9A8D0CC910B15E7DA9A0ACF0C2E7934F7A7DBA8EFFE4D135DBD207C609BFC3BAC89BA949DDF754879712F6B97C50A54F560D0A75DA8A078A039F21BCA129FCB";
const B: &str = "A521C97B9D210812C56055C62FE8C3CE7FC97A75E51D4428F78F7D5F7325FCE03FF70D99039502FB75059DC40E36CF4F4D7A073937CC6DBC86AB864E7B3F26EFE833F766856033931BC41F031507DD571FCFEBB28F1B3DF1577A90C25B95C56894AAB64C681961AC68AFA9AADF03752D0E26EADD645A02D7895B64846EB83B3DDD458D856870CD8C0765B985C1ED50D5D802DDE67B159C899898A9B738D17802F3D50B83A868738D8502BBE33B8D7FBC3348E3E444352816FD84D300A2A8E2117CAC0EAEC654235183187D85548791BF25ABFD1AC97EAB7FA685F67A57E7BBE47B96A99B8F34B8EB523C18AEE074EABACB6FA9A28A41F4F961F41D86B19F4EC1";
const CLIENT_DH_PADDING: &str = "C320374A97C7BB863CFF9F97";
const CLIENT_ENCRYPTED_DATA: &str = "79CA5B557095AD847C53D6308A38B62FC9A6F2356C07F298D21C9B0DB4002D90C4C0FB9C72626F9F146B4E3A81F59ED5CC6A0B4F59BC7411CDCA6BDA8C27B6C3B6DB548F076BB6CCB6791DB116E6368C7328BA21212121446CE754EC118CF380ED0CB0D798418CE54D7F68FCAE7AF146F4F8DF31F98794FF6EE06C35DE10A86518434A9F83CDC05FD5B151A50F63AD87D8529D7AA032498AF9C17C6F02E7EE1E8733F5752186880FA475F2977C7F00E1D8384E20613971F98EFD81A3C6BFB3B8F97969FB39D172527961341BBFDC9D2895306365A52F2CB9087C122E53990800BD596E05AA25A5642996AFB43061178A580F21E3C47080418B4CF0B6B10FC0C78595D486B3A3DD401D1BF37257C2584BFD5D71A708B138A6E22F853E522696AA6D1A8532461ABAEA7935A975E3C978A7A00C792CB3ADF688D0B1480C6C016B04CD1BC36546CD9ACABAA0C84DB571749B";
const AUTH_KEY: &str = "77379866D71627E6C3635361F9681B03C9EE8A7AAB9552EF513A13315EABC18A118ED649614AE1F01DAB8F71D83341309C5999AD4889E5D9F3E911AAAD00D9DDC24273D7B97DD92151F969242F347C8F9D5DE44E8D7E87A69C2AE1757F5ECD20AAFC586EDD34C89AC8D5B8F7C9EB33A0C7F06A69632BCEB8DE03E336E5AF0332D4B1F52BA73FBE7A3A6FE8C2268C10B9357E5474A7CCEB0E39FE3B4A92900CD09AF3C307D8FA90CB9DA2AD35643FB0335BD0B7E6D30D1038741EB632E6A97B692A1F76F418AF74337D05539B59DF1D4E16B7E0C87240595DDFD26037CDB7E70DB4B6C5CAE532F49BC6974F6F46FD3CBDCD90EBB6795FD9A43421BCDF893D5C46";
const NEW_NONCE_HASH1: &str = "677F483BB89FD206B244A2D1AC38CB31";
const SERVER_TIME: Duration = Duration::from_secs(1705754877);

/// Serves scripted byte strings by requested length (in order per length), and pseudo-random
/// bytes for requests the script does not cover (RSA_PAD's temporary key).
struct Script {
    by_len: HashMap<usize, Vec<Vec<u8>>>,
    fallback: u64,
    log: Vec<usize>,
}

impl Script {
    fn new(items: &[&str]) -> Self {
        let mut by_len: HashMap<usize, Vec<Vec<u8>>> = HashMap::new();
        for item in items.iter().rev() {
            let v = hex(item);
            by_len.entry(v.len()).or_default().push(v);
        }
        Script { by_len, fallback: 99, log: vec![] }
    }
    fn fill(&mut self, buf: &mut [u8]) {
        self.log.push(buf.len());
        if let Some(v) = self.by_len.get_mut(&buf.len()).and_then(Vec::pop) {
            buf.copy_from_slice(&v);
            return;
        }
        for b in buf {
            self.fallback ^= self.fallback << 13;
            self.fallback ^= self.fallback >> 7;
            self.fallback ^= self.fallback << 17;
            *b = self.fallback as u8;
        }
    }
}

fn res_pq_with_fingerprint(fingerprint: i64) -> Vec<u8> {
    let mut body = hex(&format!(
        "63241605 {NONCE} {SERVER_NONCE} 081460E7D3FA727791000000 15C4B51C 03000000 A5B7F709355FC30B 216BE86C022BB4C3"
    ));
    body.extend_from_slice(&fingerprint.to_le_bytes());
    body
}

#[test]
fn telegrams_worked_example_is_reproduced() {
    let mut s = 5u64;
    let mut key_random = |b: &mut [u8]| {
        for x in b {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *x = (s >> 33) as u8;
        }
    };
    let our_key = RsaPrivateKey::generate(&mut key_random);

    // The example's client randomness, served by length: nonce (16), new_nonce (32; the RSA_PAD
    // temporary key, also 32, falls back to pseudo-random after it), RSA_PAD padding (92),
    // b (256), client_DH_inner_data padding (12).
    let mut script = Script::new(&[NONCE, NEW_NONCE, RANDOM_PADDING, B, CLIENT_DH_PADDING]);
    let mut random = |b: &mut [u8]| script.fill(b);

    // 1) req_pq_multi
    let (mut client, req_pq) =
        ClientHandshake::start(ClientConfig::new(vec![our_key.public_key().clone()], 2), &mut random);
    assert_eq!(req_pq, hex(&format!("F18E7EBE {NONCE}")));

    // 2)-5) resPQ -> req_DH_params
    let res_pq = res_pq_with_fingerprint(our_key.public_key().fingerprint());
    let ClientStep::Send(req_dh) = client.handle(&res_pq, SERVER_TIME, &mut random).unwrap() else {
        panic!("expected req_DH_params")
    };
    let fixed = hex(&format!("BEE412D7 {NONCE} {SERVER_NONCE} 043C2357CF000000 0456BFB29F000000"));
    assert_eq!(&req_dh[..fixed.len()], &fixed[..], "req_DH_params nonce, server_nonce, p, q");
    assert_eq!(&req_dh[fixed.len()..fixed.len() + 8], &our_key.public_key().fingerprint().to_le_bytes());
    assert_eq!(&req_dh[fixed.len() + 8..fixed.len() + 12], &hex("FE000100"), "256-byte encrypted_data");
    let encrypted = &req_dh[fixed.len() + 12..];
    assert_eq!(encrypted.len(), 256);
    let padded = our_key.rsa_pad_decrypt(encrypted).unwrap();
    let mut expected_padded = hex(PQ_INNER_DATA);
    expected_padded.extend_from_slice(&hex(RANDOM_PADDING));
    assert_eq!(padded.to_vec(), expected_padded, "RSA_PAD input: p_q_inner_data_dc + random_padding_bytes");

    // 6)-7) server_DH_params_ok -> set_client_DH_params, byte for byte.
    let dh_params_ok = hex(&format!("5C07E8D0 {NONCE} {SERVER_NONCE} FE500200 {ENCRYPTED_ANSWER}"));
    let ClientStep::Send(set_client_dh) = client.handle(&dh_params_ok, SERVER_TIME, &mut random).unwrap() else {
        panic!("expected set_client_DH_params")
    };
    assert_eq!(set_client_dh, hex(&format!("1F5F04F5 {NONCE} {SERVER_NONCE} FE500100 {CLIENT_ENCRYPTED_DATA}")));

    // 8)-9) dh_gen_ok -> the example's auth key.
    let dh_gen_ok = hex(&format!("34F7CB3B {NONCE} {SERVER_NONCE} {NEW_NONCE_HASH1}"));
    let ClientStep::Done(done) = client.handle(&dh_gen_ok, SERVER_TIME, &mut random).unwrap() else {
        panic!("expected done")
    };
    assert_eq!(done.auth_key.bytes().to_vec(), hex(AUTH_KEY));
    assert_eq!(done.time_offset, 0);
    // The order of draws the script assumed.
    assert_eq!(script.log[..3], [16, 32, 92]);
    assert_eq!(script.log[script.log.len() - 2..], [256, 12]);
}

#[test]
fn server_accepts_the_examples_first_messages() {
    let mut s = 9u64;
    let mut key_random = |b: &mut [u8]| {
        for x in b {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *x = (s >> 33) as u8;
        }
    };
    let our_key = RsaPrivateKey::generate(&mut key_random);
    // Server randomness: server_nonce, then p and q as 4 little-endian bytes each.
    let mut server_script = Script::new(&[SERVER_NONCE, "CF57233C", "9FB2BF56"]);
    let mut server_random = |b: &mut [u8]| server_script.fill(b);
    let mut server = ServerHandshake::new(ServerConfig::new(our_key.clone(), 2));
    let ServerStep::Send(res_pq) =
        server.handle(&hex(&format!("F18E7EBE {NONCE}")), SERVER_TIME, &mut server_random).unwrap()
    else {
        panic!()
    };
    // The example's resPQ up to and including pq (same nonces, same pq from the injected p and q),
    // then a vector of our single fingerprint where the example lists Telegram's three.
    let mut expected = hex(&format!("63241605 {NONCE} {SERVER_NONCE} 081460E7D3FA727791000000 15C4B51C 01000000"));
    expected.extend_from_slice(&our_key.public_key().fingerprint().to_le_bytes());
    assert_eq!(res_pq, expected, "resPQ with the example's nonces and pq");

    // The example's client, with its randomness, answers; the server accepts its req_DH_params.
    let mut script = Script::new(&[NONCE, NEW_NONCE, RANDOM_PADDING]);
    let mut random = |b: &mut [u8]| script.fill(b);
    let (mut client, _) = ClientHandshake::start(ClientConfig::new(vec![our_key.public_key().clone()], 2), &mut random);
    let ClientStep::Send(req_dh) = client.handle(&res_pq, SERVER_TIME, &mut random).unwrap() else { panic!() };
    match server.handle(&req_dh, SERVER_TIME, &mut server_random).unwrap() {
        ServerStep::Send(body) => assert_eq!(&body[..4], &hex("5C07E8D0"), "server_DH_params_ok"),
        other => panic!("{other:?}"),
    }
}
