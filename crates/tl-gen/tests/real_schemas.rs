//! The parser and generator on the real schema files in `data/tl`.

use std::path::PathBuf;

use tl_gen::schema::ParameterType;
use tl_gen::{parse_schema, Category};

fn data(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/tl").join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const FILES: &[&str] = &[
    "api.tl",
    "mtproto.tl",
    "layers/api-158.tl",
    "layers/api-198.tl",
    "layers/api-223.tl",
    "layers/api-227.tl",
    "layers/api-229.tl",
    "layers/mtproto-gramjs.tl",
];

#[test]
fn every_schema_file_parses() {
    for f in FILES {
        let s = parse_schema(&data(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(s.definitions.len() >= 4, "{f}");
    }
    assert_eq!(parse_schema(&data("api.tl")).unwrap().layer, Some(230));
    for (file, layer) in [("158", 158), ("223", 223), ("227", 227), ("229", 229)] {
        assert_eq!(parse_schema(&data(&format!("layers/api-{file}.tl"))).unwrap().layer, Some(layer), "{file}");
    }
    // GramJS's file carries no `// LAYER` line: its layer comes from the file name.
    assert_eq!(parse_schema(&data("layers/api-198.tl")).unwrap().layer, None);
}

/// Recomputing every declared id from its definition text is a strong check that each line was
/// read completely and correctly (the id is a CRC32 of the normalised definition).
#[test]
fn every_declared_id_matches_its_definition() {
    let mut checked = 0;
    let mut mismatched = Vec::new();
    for f in FILES {
        for def in parse_schema(&data(f)).unwrap().definitions {
            if !def.id_declared {
                continue;
            }
            let line = def.to_tl();
            let reparsed = parse_schema(&strip_id(&line)).unwrap();
            if reparsed.definitions[0].id != def.id && !KNOWN_ODD_IDS.contains(&def.full_name().as_str()) {
                mismatched.push(format!("{f}: {line}"));
            }
            checked += 1;
        }
    }
    assert!(mismatched.is_empty(), "{} of {checked} ids differ:\n{}", mismatched.len(), mismatched.join("\n"));
    assert!(checked > 4000, "only {checked} ids checked");
}

/// Definitions whose declared id is not the CRC32 of their text as written in these files: legacy
/// constructors kept under new names, mtcute's own `mtcute.customMethod`, GramJS's IP-config types
/// and `future_salts` (whose file spells the bare element type `mt_future_salt`).
const KNOWN_ODD_IDS: &[&str] = &[
    "inputPeerPhotoFileLocationLegacy",
    "inputStickerSetThumbLegacy",
    "mtcute.customMethod",
    "future_salts",
    "ipPortSecret",
    "accessPointRule",
    "help.configSimple",
];

fn strip_id(line: &str) -> String {
    let (head, rest) = line.split_once(' ').unwrap_or((line, "= X;"));
    let name = head.split('#').next().unwrap();
    format!("{name} {rest}")
}

#[test]
fn sign_in_is_read_with_its_flags() {
    let s = parse_schema(&data("api.tl")).unwrap();
    let sign_in = s.definitions.iter().find(|d| d.full_name() == "auth.signIn").unwrap();
    assert_eq!(sign_in.id, 0x8d52a951);
    assert_eq!(sign_in.category, Category::Function);
    assert_eq!(sign_in.ty.full_name(), "auth.Authorization");
    let names: Vec<_> = sign_in.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["flags", "phone_number", "phone_code_hash", "phone_code", "email_verification"]);
    match &sign_in.params[4].ty {
        ParameterType::Normal { ty, flag: Some(f) } => {
            assert_eq!(ty.name, "EmailVerification");
            assert_eq!((f.name.as_str(), f.index), ("flags", 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ids_without_declaration_are_inferred() {
    // GramJS's MTProto file has `tlsClientHello blocks:vector<TlsBlock> = TlsClientHello;`.
    let s = parse_schema(&data("layers/mtproto-gramjs.tl")).unwrap();
    let hello = s.definitions.iter().find(|d| d.name == "tlsClientHello").unwrap();
    assert!(!hello.id_declared);
    assert_eq!(hello.id, crc32fast::hash(b"tlsClientHello blocks:vector TlsBlock = TlsClientHello"));
}

#[test]
fn generator_accepts_both_schemas() {
    let docs = tl_gen::docs::Docs::load(
        &data("api-schema-227.json"),
        Some(&data("mtp-schema.json")),
        &data("raw-errors.json"),
    )
    .unwrap();
    let api = parse_schema(&data("api.tl")).unwrap();
    let code =
        tl_gen::codegen::generate(&api, &docs, &tl_gen::codegen::Config { root: "crate".into(), api_extras: true })
            .unwrap();
    assert!(code.contains("pub struct SignIn {"));
    assert!(code.contains("pub const LAYER: i32 = 230;"));
    let mt = parse_schema(&data("mtproto.tl")).unwrap();
    let code = tl_gen::codegen::generate(
        &mt,
        &docs,
        &tl_gen::codegen::Config { root: "crate::mtproto".into(), api_extras: false },
    )
    .unwrap();
    assert!(code.contains("pub struct ResPq {"));
}
