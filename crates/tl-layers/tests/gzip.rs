//! `gzip_packed` in the dynamic codec: gzip and zlib payloads (zlib as mtcute sends them) decode
//! in any boxed position, a request of another layer packed that way translates, and the limits
//! of one value hold: a gigabyte bomb is refused at the limit, nested and side-by-side payloads
//! share one budget, nesting deeper than allowed is refused.

use std::io::Write as _;

use ferrogram_tl::fuzzing::zeros_stream;
use ferrogram_tl::inflate::{InflateError, StreamFormat};
use ferrogram_tl::mtproto::GzipPacked;
use ferrogram_tl::Serializable;
use ferrogram_tl_layers::{
    decode_exact, decode_exact_with, encode, CodecError, InflateLimits, Layers, Object, SchemaIndex, TranslateError,
    TypeRef, Value,
};

const SCHEMA: &str = "// LAYER 10
foo#00000001 n:int data:bytes = Foo;
pair#00000002 a:Foo b:Foo = Pair;
---functions---
get#00000003 = Foo;
";

fn schema() -> SchemaIndex {
    SchemaIndex::parse(SCHEMA).unwrap()
}

fn foo(n: i32, data: Vec<u8>) -> Value {
    Object::new("foo").with("n", Value::Int(n)).with("data", Value::Bytes(data)).into()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `bytes` as `gzip_packed` holding a zlib stream.
fn zlib_packed(bytes: &[u8]) -> Vec<u8> {
    GzipPacked { packed_data: zlib(bytes) }.to_bytes()
}

fn gzip_packed(bytes: &[u8]) -> Vec<u8> {
    GzipPacked::pack(bytes).to_bytes()
}

/// `levels` `gzip_packed` around `bytes`, alternately zlib and gzip.
fn nested(bytes: &[u8], levels: usize) -> Vec<u8> {
    (0..levels).fold(bytes.to_vec(), |inner, i| if i % 2 == 0 { zlib_packed(&inner) } else { gzip_packed(&inner) })
}

fn random(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

fn gzip_error(result: Result<Value, CodecError>) -> InflateError {
    match result {
        Err(CodecError::Gzip { error, .. }) => error,
        other => panic!("expected a gzip_packed error, got {:?}", other.map(|v| v.kind())),
    }
}

#[test]
fn zlib_and_gzip_payloads_decode_in_boxed_positions() {
    let schema = schema();
    let foo_type = schema.type_ref("Foo").unwrap();
    let plain = encode(&schema, &foo(7, b"hello".to_vec())).unwrap();
    let value = decode_exact(&schema, &foo_type, &plain).unwrap();
    for packed in [zlib_packed(&plain), gzip_packed(&plain), nested(&plain, 2)] {
        assert_eq!(decode_exact(&schema, &foo_type, &packed).unwrap(), value);
    }
    // Inside a field: pair with one packed, one plain Foo.
    let pair_type = schema.type_ref("Pair").unwrap();
    let mut pair = 2u32.to_le_bytes().to_vec();
    pair.extend_from_slice(&zlib_packed(&plain));
    pair.extend_from_slice(&plain);
    let Value::Object(decoded) = decode_exact(&schema, &pair_type, &pair).unwrap() else { panic!("an object") };
    assert_eq!(decoded.fields, vec![("a".into(), value.clone()), ("b".into(), value)]);
}

#[test]
fn a_zlib_packed_request_of_another_layer_translates() {
    let layers = Layers::embedded().unwrap();
    let schema_198 = layers.schema(198).unwrap();
    let request = Object::new("auth.sendCode")
        .with("phone_number", Value::string("+15550001234"))
        .with("api_id", Value::Int(17349))
        .with("api_hash", Value::string("344583e45741c457fe1862106095a5eb"))
        .with("settings", Object::new("codeSettings").into());
    let plain = encode(schema_198, &request.into()).unwrap();
    let expected = layers.request_to_ours(198, &plain).unwrap();
    assert_eq!(layers.request_to_ours(198, &zlib_packed(&plain)).unwrap(), expected);
    assert_eq!(layers.request_to_ours(198, &gzip_packed(&plain)).unwrap(), expected);
    // The registry's limits apply: none at all allowed refuses the packed form only.
    let strict = layers.clone().with_inflate_limits(InflateLimits { max_depth: 0, ..InflateLimits::default() });
    assert_eq!(strict.request_to_ours(198, &plain).unwrap(), expected);
    let refused = strict.request_to_ours(198, &zlib_packed(&plain)).unwrap_err();
    assert!(
        matches!(&refused, TranslateError::Decode(CodecError::Gzip { error: InflateError::TooDeep { limit: 0 }, .. })),
        "{refused:?}"
    );
    assert_eq!(refused.rpc_error(), (400, "INPUT_FETCH_ERROR"));
}

#[test]
fn a_gigabyte_bomb_is_refused_at_the_limit() {
    let schema = schema();
    let foo_type = schema.type_ref("Foo").unwrap();
    for format in [StreamFormat::Zlib, StreamFormat::Gzip] {
        let bomb = GzipPacked { packed_data: zeros_stream(format, 1024) }.to_bytes();
        let limit = InflateLimits::default().max_total_bytes;
        assert_eq!(gzip_error(decode_exact(&schema, &foo_type, &bomb)), InflateError::TooLarge { limit }, "{format}");
        // Through the layer registry too, as a request.
        let layers = Layers::embedded().unwrap();
        let refused = layers.request_to_ours(198, &bomb).unwrap_err();
        assert!(
            matches!(
                refused,
                TranslateError::Decode(CodecError::Gzip { offset: 0, error: InflateError::TooLarge { .. } })
            ),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("beyond the limit of 16777216 bytes"), "{refused}");
    }
}

#[test]
fn nested_payloads_share_one_budget() {
    // Three levels around a Foo of 200 KiB of random bytes: each level inflates to about 200
    // KiB, under a 300 KiB limit on its own, 600 KiB together.
    let schema = schema();
    let foo_type: TypeRef = schema.type_ref("Foo").unwrap();
    let plain = encode(&schema, &foo(1, random(200 << 10, 5))).unwrap();
    let value = decode_exact(&schema, &foo_type, &plain).unwrap();
    let three = nested(&plain, 3);
    let limits = InflateLimits { max_total_bytes: 300 << 10, max_depth: 8 };
    assert_eq!(
        gzip_error(decode_exact_with(&schema, &foo_type, &three, limits)),
        InflateError::TooLarge { limit: 300 << 10 }
    );
    let one = nested(&plain, 1);
    assert!(decode_exact_with(&schema, &foo_type, &one, limits).unwrap() == value);
    let roomy = InflateLimits { max_total_bytes: 1 << 20, ..limits };
    assert!(decode_exact_with(&schema, &foo_type, &three, roomy).unwrap() == value);
}

#[test]
fn payloads_side_by_side_share_one_budget() {
    let schema = schema();
    let pair_type = schema.type_ref("Pair").unwrap();
    let a = encode(&schema, &foo(1, random(200 << 10, 6))).unwrap();
    let mut pair = 2u32.to_le_bytes().to_vec();
    pair.extend_from_slice(&gzip_packed(&a));
    pair.extend_from_slice(&zlib_packed(&a));
    let limits = InflateLimits { max_total_bytes: 300 << 10, max_depth: 1 };
    assert_eq!(
        gzip_error(decode_exact_with(&schema, &pair_type, &pair, limits)),
        InflateError::TooLarge { limit: 300 << 10 }
    );
    let roomy = InflateLimits { max_total_bytes: 500 << 10, max_depth: 1 };
    assert!(decode_exact_with(&schema, &pair_type, &pair, roomy).is_ok());
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let schema = schema();
    let foo_type = schema.type_ref("Foo").unwrap();
    let plain = encode(&schema, &foo(3, vec![1, 2, 3])).unwrap();
    let limits = InflateLimits { max_total_bytes: 1 << 20, max_depth: 2 };
    assert!(decode_exact_with(&schema, &foo_type, &nested(&plain, 2), limits).is_ok());
    assert_eq!(
        gzip_error(decode_exact_with(&schema, &foo_type, &nested(&plain, 3), limits)),
        InflateError::TooDeep { limit: 2 }
    );
    // The default allows a few levels, not many.
    let deep = nested(&plain, InflateLimits::default().max_depth + 1);
    assert!(matches!(gzip_error(decode_exact(&schema, &foo_type, &deep)), InflateError::TooDeep { .. }));
}

#[test]
fn damaged_payloads_are_refused_with_their_offset() {
    let schema = schema();
    let pair_type = schema.type_ref("Pair").unwrap();
    let plain = encode(&schema, &foo(3, vec![1, 2, 3])).unwrap();
    let mut pair = 2u32.to_le_bytes().to_vec();
    pair.extend_from_slice(&plain);
    let at = pair.len();
    pair.extend_from_slice(&GzipPacked { packed_data: vec![9, 9, 9, 9] }.to_bytes());
    assert_eq!(
        decode_exact(&schema, &pair_type, &pair).map(|v| v.kind()),
        Err(CodecError::Gzip { offset: at, error: InflateError::UnknownFormat })
    );
}
