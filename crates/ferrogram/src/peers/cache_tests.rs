use ferrogram_tl::{enums, types};

use super::*;

fn user(id: i64, hash: i64, min: bool, username: Option<&str>) -> enums::User {
    types::User { id, access_hash: Some(hash), min, username: username.map(Into::into), ..Default::default() }.into()
}

#[test]
fn a_min_constructor_never_replaces_a_full_hash() {
    let mut cache = PeerCache::new(10);
    cache.observe(&[user(1, 111, false, None)], &[]);
    let changed = cache.observe(&[user(1, 999, true, Some("ann"))], &[]);
    let entry = cache.get(Peer::User(1)).unwrap();
    assert_eq!((entry.access_hash, entry.min, entry.username.as_deref()), (Some(111), false, Some("ann")));
    assert_eq!(changed.len(), 1, "the username is news");
    // A full constructor does replace it.
    cache.observe(&[user(1, 222, false, None)], &[]);
    assert_eq!(cache.get(Peer::User(1)).unwrap().access_hash, Some(222));
    // A min one alone is kept, flagged.
    cache.observe(&[user(2, 333, true, None)], &[]);
    assert!(cache.get(Peer::User(2)).unwrap().min);
}

#[test]
fn the_same_user_again_changes_nothing() {
    let mut cache = PeerCache::new(10);
    assert_eq!(cache.observe(&[user(1, 111, false, Some("Ann"))], &[]).len(), 1);
    assert!(cache.observe(&[user(1, 111, false, Some("Ann"))], &[]).is_empty());
    assert_eq!(cache.by_username("ANN").map(|e| e.peer), Some(Peer::User(1)));
}

#[test]
fn the_least_recently_used_goes_first_and_takes_its_names() {
    let mut cache = PeerCache::new(2);
    cache.observe(&[user(1, 1, false, Some("one")), user(2, 2, false, Some("two"))], &[]);
    assert!(cache.get(Peer::User(1)).is_some()); // 2 is now the least recently used
    cache.observe(&[user(3, 3, false, Some("three"))], &[]);
    assert_eq!(cache.len(), 2);
    assert!(cache.get(Peer::User(2)).is_none());
    assert!(cache.by_username("two").is_none());
    assert!(cache.by_username("one").is_some());
    let expected: usize = [1, 3].iter().map(|&id| cache.get(Peer::User(id)).unwrap().cost()).sum();
    assert_eq!(cache.bytes(), expected);
}

#[test]
fn a_username_that_moves_leaves_its_old_holder() {
    let mut cache = PeerCache::new(10);
    cache.observe(&[user(1, 1, false, Some("name"))], &[]);
    cache.observe(&[user(2, 2, false, Some("name"))], &[]);
    assert_eq!(cache.by_username("name").map(|e| e.peer), Some(Peer::User(2)));
    assert_eq!(cache.get(Peer::User(1)).unwrap().username, None);
    let expected: usize = [1, 2].iter().map(|&id| cache.get(Peer::User(id)).unwrap().cost()).sum();
    assert_eq!(cache.bytes(), expected);
}

#[test]
fn overlong_names_are_not_kept() {
    let mut cache = PeerCache::new(10);
    let long = "x".repeat(MAX_NAME_BYTES + 1);
    cache.observe(&[user(1, 1, false, Some(&long))], &[]);
    assert_eq!(cache.get(Peer::User(1)).unwrap().username, None);
}

#[test]
fn chats_and_channels_are_kept_by_kind() {
    let mut cache = PeerCache::new(10);
    let chat: enums::Chat = types::ChatForbidden { id: 5, title: "g".into() }.into();
    let channel: enums::Chat = types::ChannelForbidden {
        broadcast: true,
        megagroup: false,
        monoforum: false,
        id: 5,
        access_hash: 55,
        title: "c".into(),
        until_date: None,
    }
    .into();
    cache.observe(&[], &[chat, channel]);
    assert_eq!(cache.get(Peer::Chat(5)).unwrap().access_hash, None);
    assert_eq!(cache.get(Peer::Channel(5)).unwrap().access_hash, Some(55));
}
