//! Criterion benchmark `tl`: encode and decode a realistic `messages.messages` (100 messages with
//! text and entities, 20 users, 5 channels) with ferrogram-tl and, in the same run, with the
//! published `grammers-tl-types` (0.11, layer 230: the same schema in its own types).
//!
//! Run: `cargo bench -p ferrogram-tl --bench tl`

// `criterion_group!` defines a public function that cannot carry documentation.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

mod tl_data;

fn bench(c: &mut Criterion) {
    let ours = tl_data::ours();
    let theirs = tl_data::grammers();
    let our_bytes = ferrogram_tl::Serializable::to_bytes(&ours);
    let their_bytes = grammers_tl_types::Serializable::to_bytes(&theirs);
    // Both decode to what was encoded.
    assert_eq!(
        <ferrogram_tl::enums::messages::Messages as ferrogram_tl::Deserializable>::from_bytes_exact(&our_bytes)
            .unwrap(),
        ours
    );
    assert!(<grammers_tl_types::enums::messages::Messages as grammers_tl_types::Deserializable>::from_bytes(
        &their_bytes
    )
    .is_ok());

    let mut group = c.benchmark_group("messages.messages x100");
    group.throughput(Throughput::Bytes(our_bytes.len() as u64));
    group.bench_function("decode/ferrogram", |b| {
        b.iter(|| {
            <ferrogram_tl::enums::messages::Messages as ferrogram_tl::Deserializable>::from_bytes(black_box(&our_bytes))
                .unwrap()
        })
    });
    group.bench_function("decode/grammers", |b| {
        b.iter(|| {
            <grammers_tl_types::enums::messages::Messages as grammers_tl_types::Deserializable>::from_bytes(black_box(
                &their_bytes,
            ))
            .unwrap()
        })
    });
    let mut buf = Vec::with_capacity(our_bytes.len());
    group.bench_function("encode/ferrogram", |b| {
        b.iter(|| {
            buf.clear();
            ferrogram_tl::Serializable::serialize(black_box(&ours), &mut buf);
            buf.len()
        })
    });
    let mut buf = Vec::with_capacity(their_bytes.len());
    group.bench_function("encode/grammers", |b| {
        b.iter(|| {
            buf.clear();
            grammers_tl_types::Serializable::serialize(black_box(&theirs), &mut buf);
            buf.len()
        })
    });
    group.finish();
    println!("encoded sizes: ferrogram {} bytes, grammers {} bytes", our_bytes.len(), their_bytes.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
