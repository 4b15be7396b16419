//! Generates the API and MTProto types from the schema files in `data/tl` (the workspace's copy of
//! the TL data, with its provenance note) into `OUT_DIR`.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let data = manifest.join("../../data/tl");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let read = |name: &str| {
        let path = data.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    };
    let parse = |name: &str| tl_gen::parse_schema(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));

    // Our schema is layer 230 (`api.tl`); the newest docs data is layer 227's. Definitions the docs
    // lack are documented by their TL line, which every generated item carries.
    let docs = tl_gen::docs::Docs::load(
        &read("api-schema-227.json"),
        Some(&read("mtp-schema.json")),
        &read("raw-errors.json"),
    )
    .unwrap_or_else(|e| panic!("docs data: {e}"));
    let api = parse("api.tl");
    let mtproto = parse("mtproto.tl");

    let api_code =
        tl_gen::codegen::generate(&api, &docs, &tl_gen::codegen::Config { root: "crate".into(), api_extras: true })
            .unwrap_or_else(|e| panic!("generating the API: {e}"));
    let mt_code = tl_gen::codegen::generate(
        &mtproto,
        &docs,
        &tl_gen::codegen::Config { root: "crate::mtproto".into(), api_extras: false },
    )
    .unwrap_or_else(|e| panic!("generating MTProto: {e}"));
    let api_tests = tl_gen::codegen::generate_roundtrip_tests(
        &api,
        "ferrogram_tl",
        Some("ferrogram_tl::functions::help::GetConfig {}"),
    )
    .unwrap_or_else(|e| panic!("generating API tests: {e}"));
    let mt_tests = tl_gen::codegen::generate_roundtrip_tests(&mtproto, "ferrogram_tl::mtproto", None)
        .unwrap_or_else(|e| panic!("generating MTProto tests: {e}"));

    for (name, code) in [
        ("api.rs", api_code),
        ("mtproto.rs", mt_code),
        ("api_roundtrip.rs", api_tests),
        ("mtproto_roundtrip.rs", mt_tests),
    ] {
        std::fs::write(out.join(name), code).unwrap_or_else(|e| panic!("writing {name}: {e}"));
    }
}
