//! Entry point of the fuzz target `layers_decode` (`fuzz/fuzz_targets/layers_decode.rs`) and of the
//! stable test that runs it on many inputs (`tests/fuzz.rs`): the schema-driven decoder and the
//! translation between layers, fed arbitrary bytes, must return a value or an error, never panic,
//! and never allocate from a length it did not check against the input. Not part of the public API.
//!
//! The first input byte picks the layer (`data[0] >> 3`, modulo the number of embedded layers) and
//! what is done with the rest (`data[0] & 7`):
//!
//! | `data[0] & 7` | what the rest is read as |
//! |---|---|
//! | 0 | any function of the layer ([`decode`](crate::decode())); a value read is written back |
//! | 1 | any object of the layer, spanning all of it ([`decode_exact`](crate::decode_exact)); written back |
//! | 2 | a request in that layer, translated to ours ([`Layers::request_to_ours`]) |
//! | 3 | 2 bytes picking one of our methods, then our answer to it, translated to the layer |
//! | 4 | 2 bytes picking one of our boxed types, then an object of it, translated to the layer |
//! | 5 | a request whose announced layer is read, then shown as JSON with our schema |
//! | 6, 7 | 2 bytes picking a boxed type of the layer, then a value of that type; written back |
//!
//! Every value that is read is also written back with the same schema, read again and written
//! again: the second writing must succeed and give the same bytes as the first (a value this
//! decoder accepts is one its encoder can write, and reading what it wrote changes nothing).

use std::sync::OnceLock;

use ferrogram_tl::InflateLimits;
use tl_gen::Category;

use crate::{decode_exact_with, decode_with, encode_as, Layers, SchemaIndex, TypeRef, Value};

/// The `gzip_packed` budget of every run: enough for real payloads; a smaller one than the
/// default (16 MiB) so that a fuzzer-made bomb costs milliseconds, not a second, per execution.
/// The limit is checked by the same code whatever its value.
const LIMITS: InflateLimits = InflateLimits { max_total_bytes: 1 << 20, max_depth: 4 };

/// What every run reads from, built once (compiling the embedded schemas costs far more than a
/// run).
struct Fixture {
    layers: Layers,
    /// Every known layer, ascending.
    layer_numbers: Vec<i32>,
    /// Our functions' TL names (`auth.signIn`).
    our_methods: Vec<String>,
    /// Our boxed types' TL names.
    our_types: Vec<String>,
    /// Each known layer's boxed types' TL names, in the order of `layer_numbers`.
    layer_types: Vec<Vec<String>>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // The embedded schemas are compiled in and checked by this crate's tests: this cannot
        // fail in a build that passed them.
        let layers = Layers::embedded().unwrap_or_else(|e| panic!("embedded schemas: {e}")).with_inflate_limits(LIMITS);
        let layer_numbers: Vec<i32> = layers.known_layers().collect();
        let names = |schema: &SchemaIndex, category: Category| -> Vec<String> {
            let mut names: Vec<String> = schema
                .definitions()
                .filter(|d| d.category == category)
                .map(|d| if category == Category::Function { d.full_name() } else { d.ty.full_name() })
                .collect();
            names.sort();
            names.dedup();
            names
        };
        let ours = layers.our_schema();
        let our_methods = names(ours, Category::Function);
        let our_types = names(ours, Category::Type);
        let layer_types =
            layer_numbers.iter().filter_map(|&l| layers.schema(l)).map(|s| names(s, Category::Type)).collect();
        Fixture { layers, layer_numbers, our_methods, our_types, layer_types }
    })
}

/// The name `data[..2]` picks from `names`, and the rest of `data`.
fn pick<'a>(names: &'a [String], data: &'a [u8]) -> Option<(&'a str, &'a [u8])> {
    let (&[a, b], rest) = data.split_first_chunk::<2>()?;
    let name = names.get(usize::from(u16::from_le_bytes([a, b])) % names.len().max(1))?;
    Some((name, rest))
}

/// Runs the decoder on fuzzer input (see the module docs for the layout). Never panics on any
/// input unless the decoder or encoder has a bug; that is what the fuzz target and its stable test
/// check.
pub fn decode(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let f = fixture();
    let index = usize::from(selector >> 3) % f.layer_numbers.len();
    let layer = f.layer_numbers[index];
    let Some(schema) = f.layers.schema(layer) else { return };
    match selector & 7 {
        0 => {
            if let Ok((value, _)) = decode_with(schema, &TypeRef::any_function(), rest, LIMITS) {
                write_back(schema, &TypeRef::any_function(), &value);
            }
        }
        1 => {
            if let Ok(value) = decode_exact_with(schema, &TypeRef::any_object(), rest, LIMITS) {
                write_back(schema, &TypeRef::any_object(), &value);
            }
        }
        2 => {
            let _ = f.layers.request_to_ours(layer, rest);
        }
        3 => {
            let Some((method, answer)) = pick(&f.our_methods, rest) else { return };
            let _ = f.layers.answer_to_layer(layer, method, answer);
        }
        4 => {
            let Some((type_name, object)) = pick(&f.our_types, rest) else { return };
            let _ = f.layers.object_to_layer(layer, type_name, object);
        }
        5 => {
            let _ = f.layers.announced_layer(rest);
            let _ = crate::request_to_json(f.layers.our_schema(), rest);
        }
        _ => {
            let Some((type_name, bytes)) = pick(&f.layer_types[index], rest) else { return };
            let Ok(ty) = schema.type_ref(type_name) else { return };
            if let Ok(value) = decode_exact_with(schema, &ty, bytes, LIMITS) {
                write_back(schema, &ty, &value);
            }
        }
    }
}

/// Writes a value that was read, reads it back and writes it again: both writings must succeed
/// and agree.
fn write_back(schema: &SchemaIndex, ty: &TypeRef, value: &Value) {
    let first = encode_as(schema, ty, value).unwrap_or_else(|e| panic!("a value read cannot be written: {e}"));
    let again = decode_exact_with(schema, ty, &first, LIMITS)
        .unwrap_or_else(|e| panic!("what was written cannot be read back: {e}"));
    let second = encode_as(schema, ty, &again).unwrap_or_else(|e| panic!("a value read back cannot be written: {e}"));
    assert!(first == second, "writing, reading and writing again changed the bytes");
}
