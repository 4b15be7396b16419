//! Embeds every `api-*.tl` of `data/tl/layers` (besides our own `data/tl/api.tl`), so that adding a
//! layer to the server is adding its schema file there: this script lists the directory and writes
//! the `include_str!` table `Layers::embedded` reads.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../../data/tl/layers");
    // Re-run when a file is added to or removed from the directory.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.to_string();
            (name.starts_with("api-") && name.ends_with(".tl") && path.is_file()).then_some((name, path))
        })
        .collect();
    files.sort();
    let mut code = String::from("/// The other layers' schema files: `(file name, text)`, in name order.\n");
    code.push_str("const EMBEDDED_LAYERS: &[(&str, &str)] = &[\n");
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let path = path.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let _ = writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_layers.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
