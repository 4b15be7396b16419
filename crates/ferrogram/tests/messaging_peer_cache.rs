//! A million distinct users seen: the peer cache stays at its capacity, within its documented
//! byte bound, and the process's resident memory grows by less than a fixed bound.
//! (Its own test binary, so that no other test's allocations move the RSS it reads.)

use ferrogram::peers::{PeerCache, ENTRY_OVERHEAD_BYTES, MAX_NAME_BYTES};
use ferrogram::{ClientConfig, Peer};
use ferrogram_tl::{enums, types};

const USERS: i64 = 1_000_000;
const BATCH: i64 = 1_000;
/// How much the resident memory may grow while a million users go through a cache of the
/// default capacity (its byte bound, about 5 MB, plus the allocator's slack and one batch).
const RSS_GROWTH_BOUND: usize = 16 << 20;

/// The process's resident memory in bytes (Linux: /proc/self/statm, second field, in pages).
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).expect("resident pages");
    pages * 4096
}

fn user(id: i64) -> enums::User {
    types::User {
        id,
        access_hash: Some(id.wrapping_mul(0x5851_F42D_4C95_7F2D)),
        username: Some(format!("user_{id}")),
        phone: Some(format!("1555{id:07}")),
        ..Default::default()
    }
    .into()
}

#[test]
fn a_million_users_stay_within_the_bounds() {
    let capacity = ClientConfig::default().peer_cache_capacity;
    let mut cache = PeerCache::new(capacity);
    let before = rss();
    let mut peak_bytes = 0;
    for start in (0..USERS).step_by(BATCH as usize) {
        let users: Vec<enums::User> = (start..start + BATCH).map(user).collect();
        let changed = cache.observe(&users, &[]);
        assert_eq!(changed.len(), BATCH as usize, "every user is new");
        peak_bytes = peak_bytes.max(cache.bytes());
    }
    let growth = rss().saturating_sub(before);
    eprintln!(
        "{USERS} users: {} entries, {} bytes (peak {peak_bytes}, bound {}), RSS grew {} bytes (bound {RSS_GROWTH_BOUND})",
        cache.len(),
        cache.bytes(),
        cache.max_bytes(),
        growth
    );
    assert_eq!(cache.len(), capacity);
    assert!(peak_bytes <= cache.max_bytes());
    assert!(cache.max_bytes() <= capacity * (ENTRY_OVERHEAD_BYTES + 4 * MAX_NAME_BYTES + 200));
    assert!(growth < RSS_GROWTH_BOUND, "RSS grew {growth} bytes");

    // The newest are kept, the oldest forgotten, names included.
    let newest = USERS - 1;
    assert!(cache.get(Peer::User(newest)).is_some());
    assert!(cache.get(Peer::User(0)).is_none());
    assert_eq!(cache.by_username(&format!("user_{newest}")).map(|e| e.peer), Some(Peer::User(newest)));
    assert!(cache.by_username("user_0").is_none());
    assert!(cache.by_phone(&format!("+1555{newest:07}")).is_some());
    assert!(cache.by_phone("15550000000").is_none());
}
