//! Peers through `Api::call` (<https://core.telegram.org/api/peers>): access hashes that depend
//! on who asks, contacts (import, list with its hash, delete, search, statuses), usernames
//! (set, check, resolve), profiles, and the methods clients call at start.

mod common;

use common::*;
use ferrogram_server::{Api, CallContext};
use ferrogram_tl::{enums, functions, types};

/// A third number on DC 2 (test-DC form).
const THIRD_PHONE_DC2: &str = TEST_PHONE_DC2;

struct People {
    api: Api,
    ada: (CallContext, types::User),
    bob: (CallContext, types::User),
    carol: (CallContext, types::User),
}

fn people() -> People {
    let api = api();
    let (a, b, c) = (new_key(&api, 2, 1), new_key(&api, 2, 2), new_key(&api, 2, 3));
    let ada = sign_up(&api, &a, PHONE_DC2, "Ada");
    let bob = sign_up(&api, &b, OTHER_PHONE_DC2, "Bob");
    let carol = sign_up(&api, &c, THIRD_PHONE_DC2, "Carol");
    People { api, ada: (a, ada), bob: (b, bob), carol: (c, carol) }
}

fn phone_contact(client_id: i64, phone: &str, first_name: &str) -> enums::InputContact {
    types::InputPhoneContact {
        client_id,
        phone: phone.into(),
        first_name: first_name.into(),
        last_name: String::new(),
        note: None,
    }
    .into()
}

fn import(api: &Api, ctx: &CallContext, contacts: Vec<enums::InputContact>) -> types::contacts::ImportedContacts {
    let enums::contacts::ImportedContacts::ImportedContacts(imported) =
        call(api, ctx, &functions::contacts::ImportContacts { contacts }).unwrap();
    imported
}

fn only_user(users: &[enums::User]) -> &types::User {
    match users {
        [enums::User::User(u)] => u,
        other => panic!("expected one user, got {other:?}"),
    }
}

fn input_user(user: &types::User) -> enums::InputUser {
    types::InputUser { user_id: user.id, access_hash: user.access_hash.unwrap() }.into()
}

fn get_user(api: &Api, ctx: &CallContext, input: enums::InputUser) -> enums::User {
    call(api, ctx, &functions::users::GetUsers { id: vec![input] }).unwrap().remove(0)
}

fn get_contacts(api: &Api, ctx: &CallContext, hash: i64) -> enums::contacts::Contacts {
    call(api, ctx, &functions::contacts::GetContacts { hash }).unwrap()
}

/// Telegram's vector hash (<https://core.telegram.org/api/offsets#hash-generation>), written
/// out independently of the server's.
fn telegram_hash(ids: &[i64]) -> i64 {
    let mut hash = 0u64;
    for &id in ids {
        hash ^= hash >> 21;
        hash ^= hash << 35;
        hash ^= hash >> 4;
        hash = hash.wrapping_add(id as u64);
    }
    hash as i64
}

#[test]
fn imported_contacts_come_with_a_hash_only_their_importer_can_use() {
    let People { api, ada: (a, ada), bob: (b, bob), carol: (c, _) } = people();
    let imported = import(
        &api,
        &a,
        vec![
            phone_contact(11, "+1 (555) 000-1239", "Robert"),
            phone_contact(12, "+15559990000", "Nobody"),
            phone_contact(13, "not a number", "X"),
        ],
    );
    assert_eq!(imported.imported, vec![types::ImportedContact { user_id: bob.id, client_id: 11 }.into()]);
    assert!(imported.retry_contacts.is_empty() && imported.popular_invites.is_empty());
    let bob_for_ada = only_user(&imported.users).clone();
    assert!(bob_for_ada.contact && !bob_for_ada.mutual_contact && !bob_for_ada.is_self);
    assert_eq!(bob_for_ada.first_name.as_deref(), Some("Robert"), "the name Ada saved");
    // Bob has not added Ada, but she saved his number: she sees it (Telegram's default phone
    // privacy, "users who already have your number saved in the contacts will also see it").
    assert_eq!(bob_for_ada.phone.as_deref(), Some("15550001239"), "the number Ada saved");
    assert_ne!(bob_for_ada.access_hash, bob.access_hash, "a hash of Ada's own, not Bob's self hash");

    // Ada names Bob with her hash, in users.getUsers and users.getFullUser.
    let enums::User::User(again) = get_user(&api, &a, input_user(&bob_for_ada)) else { panic!() };
    assert_eq!(again, bob_for_ada);
    let full = call(&api, &a, &functions::users::GetFullUser { id: input_user(&bob_for_ada) }).unwrap();
    let enums::users::UserFull::UserFull(full) = full;
    let enums::UserFull::UserFull(inner) = &full.full_user;
    assert_eq!((inner.id, only_user(&full.users).id), (bob.id, bob.id));

    // The same hash names nobody for Carol, nor Bob's own for Ada.
    assert!(matches!(get_user(&api, &c, input_user(&bob_for_ada)), enums::User::Empty(e) if e.id == bob.id));
    let stolen = functions::users::GetFullUser { id: input_user(&bob_for_ada) };
    assert_error(call(&api, &c, &stolen), 400, "USER_ID_INVALID");
    let peer = types::InputPeerUser { user_id: bob.id, access_hash: bob.access_hash.unwrap() };
    let settings = functions::account::GetNotifySettings { peer: types::InputNotifyPeer { peer: peer.into() }.into() };
    assert_error(call(&api, &a, &settings), 400, "PEER_ID_INVALID");

    // Bob adds Ada back: mutual, and each sees the other's number.
    let back = import(&api, &b, vec![phone_contact(1, PHONE_DC2, "")]);
    let ada_for_bob = only_user(&back.users);
    assert!(ada_for_bob.contact && ada_for_bob.mutual_contact);
    assert_eq!(ada_for_bob.first_name.as_deref(), Some("Ada"), "no saved name: her own");
    assert_eq!(ada_for_bob.phone.as_deref(), Some("15550001236"));
    let enums::User::User(bob_now) = get_user(&api, &a, input_user(&bob_for_ada)) else { panic!() };
    assert!(bob_now.mutual_contact && bob_now.phone.as_deref() == Some("15550001239"));
    assert_eq!(ada.id, ada_for_bob.id);
}

#[test]
fn contact_list_hash_and_deletion() {
    let People { api, ada: (a, _), bob: (_, bob), carol: (_, carol) } = people();
    import(&api, &a, vec![phone_contact(1, THIRD_PHONE_DC2, "Carol"), phone_contact(2, OTHER_PHONE_DC2, "Bob")]);
    let enums::contacts::Contacts::Contacts(list) = get_contacts(&api, &a, 0) else { panic!("a list for hash 0") };
    let ids: Vec<i64> = list.contacts.iter().map(|enums::Contact::Contact(c)| c.user_id).collect();
    assert_eq!(ids, vec![bob.id, carol.id], "ascending ids");
    assert_eq!(list.saved_count, 2);
    assert_eq!(list.users.len(), 2);
    let hash = telegram_hash(&ids);
    assert!(matches!(get_contacts(&api, &a, hash), enums::contacts::Contacts::NotModified(_)));
    assert!(matches!(get_contacts(&api, &a, hash ^ 1), enums::contacts::Contacts::Contacts(_)));

    let bob_for_ada = list
        .users
        .iter()
        .find_map(|u| match u {
            enums::User::User(u) if u.id == bob.id => Some(u.clone()),
            _ => None,
        })
        .unwrap();
    let bogus = types::InputUser { user_id: carol.id, access_hash: 1 }.into();
    let deleted = call(&api, &a, &functions::contacts::DeleteContacts { id: vec![input_user(&bob_for_ada), bogus] });
    let enums::Updates::Updates(updates) = deleted.unwrap() else { panic!("an updates") };
    assert!(updates.updates.is_empty() && updates.chats.is_empty());
    assert_eq!((updates.seq, i64::from(updates.date)), (0, T0));
    let gone = only_user(&updates.users);
    assert!(gone.id == bob.id && !gone.contact && gone.first_name.as_deref() == Some("Bob"));
    // The old hash no longer matches; the list now is Carol alone.
    let enums::contacts::Contacts::Contacts(list) = get_contacts(&api, &a, hash) else { panic!("changed") };
    assert_eq!(list.contacts, vec![types::Contact { user_id: carol.id, mutual: false }.into()]);
    // Ada's hash for Bob still names him after the deletion (hashes do not depend on contacts).
    assert!(matches!(get_user(&api, &a, input_user(&bob_for_ada)), enums::User::User(_)));
}

#[test]
fn usernames_are_set_checked_and_resolved_in_any_case() {
    let People { api, ada: (a, ada), bob: (b, _), .. } = people();
    let set =
        |ctx: &CallContext, name: &str| call(&api, ctx, &functions::account::UpdateUsername { username: name.into() });
    let enums::User::User(me) = set(&a, "Ada_Lovelace").unwrap() else { panic!() };
    assert_eq!((me.is_self, me.username.as_deref()), (true, Some("Ada_Lovelace")));
    assert_error(set(&a, "Ada_Lovelace"), 400, "USERNAME_NOT_MODIFIED");
    assert_error(set(&b, "ada_lovelace"), 400, "USERNAME_OCCUPIED");
    for bad in ["ada", "1ada_l", "ada__l", "ada_l_", "ada-lovelace", &"a".repeat(33)] {
        assert_error(set(&b, bad), 400, "USERNAME_INVALID");
    }
    let check =
        |ctx: &CallContext, name: &str| call(&api, ctx, &functions::account::CheckUsername { username: name.into() });
    assert_error(check(&b, "ADA_LOVELACE"), 400, "USERNAME_OCCUPIED");
    assert!(check(&a, "ada_lovelace").unwrap(), "her own");
    assert!(check(&b, "bob_builder").unwrap());
    assert_error(check(&b, "x"), 400, "USERNAME_INVALID");

    let resolve = |ctx: &CallContext, name: &str| {
        call(&api, ctx, &functions::contacts::ResolveUsername { username: name.into(), referer: None })
    };
    let enums::contacts::ResolvedPeer::ResolvedPeer(found) = resolve(&b, "ADA_lovelace").unwrap();
    assert_eq!(found.peer, types::PeerUser { user_id: ada.id }.into());
    let ada_for_bob = only_user(&found.users).clone();
    assert!(!ada_for_bob.is_self && ada_for_bob.phone.is_none());
    // The hash Bob got resolves for Bob.
    assert!(matches!(get_user(&api, &b, input_user(&ada_for_bob)), enums::User::User(u) if u.id == ada.id));
    assert_error(resolve(&b, "nobody_here"), 400, "USERNAME_NOT_OCCUPIED");
    assert_error(resolve(&b, ""), 400, "USERNAME_INVALID");
    assert_error(resolve(&b, "with space"), 400, "USERNAME_INVALID");

    // An empty username removes it; the name is free again.
    let enums::User::User(me) = set(&a, "").unwrap() else { panic!() };
    assert_eq!(me.username, None);
    assert_error(resolve(&b, "ada_lovelace"), 400, "USERNAME_NOT_OCCUPIED");
    assert_error(set(&a, ""), 400, "USERNAME_NOT_MODIFIED");
    assert!(set(&b, "ada_lovelace").is_ok());
}

#[test]
fn profile_updates_and_their_limits() {
    let People { api, ada: (a, ada), bob: (b, _), .. } = people();
    let update = |first: Option<&str>, last: Option<&str>, about: Option<&str>| {
        call(
            &api,
            &a,
            &functions::account::UpdateProfile {
                first_name: first.map(Into::into),
                last_name: last.map(Into::into),
                about: about.map(Into::into),
            },
        )
    };
    let enums::User::User(me) = update(None, Some("  Lovelace "), Some("Analyst")).unwrap() else { panic!() };
    assert_eq!((me.first_name.as_deref(), me.last_name.as_deref()), (Some("Ada"), Some("Lovelace")));
    assert_error(update(Some("   "), None, None), 400, "FIRSTNAME_INVALID");
    assert_error(update(Some(&"x".repeat(65)), None, None), 400, "FIRSTNAME_INVALID");
    assert_error(update(None, Some(&"x".repeat(65)), None), 400, "LASTNAME_INVALID");
    assert_error(update(None, None, Some(&"é".repeat(71))), 400, "ABOUT_TOO_LONG");
    assert!(update(None, None, Some(&"é".repeat(70))).is_ok(), "70 characters, not bytes");

    // Others see the new name and the profile text.
    call(&api, &a, &functions::account::UpdateUsername { username: "ada_l".into() }).unwrap();
    let enums::contacts::ResolvedPeer::ResolvedPeer(found) =
        call(&api, &b, &functions::contacts::ResolveUsername { username: "ada_l".into(), referer: None }).unwrap();
    let ada_for_bob = only_user(&found.users).clone();
    assert_eq!(ada_for_bob.last_name.as_deref(), Some("Lovelace"));
    let enums::users::UserFull::UserFull(full) =
        call(&api, &b, &functions::users::GetFullUser { id: input_user(&ada_for_bob) }).unwrap();
    let enums::UserFull::UserFull(inner) = full.full_user;
    assert_eq!((inner.id, inner.about), (ada.id, Some("é".repeat(70))));
    // An empty text removes it.
    update(None, None, Some("")).unwrap();
    let enums::users::UserFull::UserFull(full) =
        call(&api, &a, &functions::users::GetFullUser { id: types::InputUserSelf {}.into() }).unwrap();
    let enums::UserFull::UserFull(inner) = full.full_user;
    assert_eq!(inner.about, None);
}

#[test]
fn search_splits_contacts_from_public_users_and_clamps_its_limit() {
    let People { api, ada: (a, _), bob: (b, bob), carol: (c, carol) } = people();
    call(&api, &b, &functions::account::UpdateUsername { username: "bobby_b".into() }).unwrap();
    call(&api, &c, &functions::account::UpdateUsername { username: "bobcat".into() }).unwrap();
    import(&api, &a, vec![phone_contact(1, THIRD_PHONE_DC2, "Bobbie")]);
    let search = |q: &str, limit: i32| {
        call(&api, &a, &functions::contacts::Search { broadcasts: false, bots: false, q: q.into(), limit })
    };
    let enums::contacts::Found::Found(found) = search("@bob", 10).unwrap();
    assert_eq!(found.my_results, vec![types::PeerUser { user_id: carol.id }.into()], "Carol, saved as Bobbie");
    assert_eq!(found.results, vec![types::PeerUser { user_id: bob.id }.into()], "Bob by his public name");
    assert_eq!(found.users.len(), 2);
    for limit in [-5, 0, 1] {
        let enums::contacts::Found::Found(found) = search("bob", limit).unwrap();
        assert_eq!(found.my_results.len() + found.results.len(), 1, "limit {limit}");
    }
    let enums::contacts::Found::Found(found) = search("bob", i32::MAX).unwrap();
    assert_eq!(found.users.len(), 2);
    // Any word of a name: Bob's last name.
    call(
        &api,
        &b,
        &functions::account::UpdateProfile { first_name: None, last_name: Some("Van Dyke".into()), about: None },
    )
    .unwrap();
    for q in ["dyk", "van d", "bob van"] {
        let enums::contacts::Found::Found(found) = search(q, 10).unwrap();
        assert_eq!(found.results, vec![types::PeerUser { user_id: bob.id }.into()], "{q}");
    }
    let enums::contacts::Found::Found(found) = search("an dyke", 10).unwrap();
    assert!(found.users.is_empty(), "not from inside a word");
    // LIKE's wildcards are matched literally.
    let enums::contacts::Found::Found(found) = search("%", 10).unwrap();
    assert!(found.users.is_empty());
    let enums::contacts::Found::Found(found) = search(&"b".repeat(100_000), 10).unwrap();
    assert!(found.users.is_empty(), "longer than any name");
    assert_error(search("  ", 10), 400, "SEARCH_QUERY_EMPTY");
    assert_error(search("@", 10), 400, "QUERY_TOO_SHORT");
}

#[test]
fn imports_past_the_limit_are_to_be_retried() {
    let People { api, ada: (a, _), bob: (_, bob), .. } = people();
    let mut contacts: Vec<enums::InputContact> =
        (0..1000).map(|i| phone_contact(i, &format!("+1444{i:07}"), "Someone")).collect();
    contacts.push(phone_contact(5000, OTHER_PHONE_DC2, "Bob"));
    let imported = import(&api, &a, contacts);
    assert!(imported.imported.is_empty(), "Bob came after the per-call limit");
    assert_eq!(imported.retry_contacts, vec![5000]);
    let imported = import(&api, &a, vec![phone_contact(5000, OTHER_PHONE_DC2, "Bob")]);
    assert_eq!(imported.imported, vec![types::ImportedContact { user_id: bob.id, client_id: 5000 }.into()]);
}

#[test]
fn statuses_blocked_and_top_peers() {
    let People { api, ada: (a, _), bob: (_, bob), .. } = people();
    import(&api, &a, vec![phone_contact(1, OTHER_PHONE_DC2, "Bob")]);
    let statuses = call(&api, &a, &functions::contacts::GetStatuses {}).unwrap();
    assert_eq!(
        statuses,
        vec![types::ContactStatus { user_id: bob.id, status: types::UserStatusRecently { by_me: false }.into() }.into()]
    );
    let blocked = call(&api, &a, &functions::contacts::GetBlocked { my_stories_from: false, offset: -1, limit: -1 });
    assert!(matches!(blocked.unwrap(), enums::contacts::Blocked::Blocked(b) if b.blocked.is_empty()));
    let top =
        functions::contacts::GetTopPeers { correspondents: true, offset: 0, limit: 10, hash: 0, ..Default::default() };
    assert!(matches!(call(&api, &a, &top).unwrap(), enums::contacts::TopPeers::TopPeers(t) if t.categories.is_empty()));
    let none = functions::contacts::GetTopPeers { correspondents: false, ..top };
    assert_error(call(&api, &a, &none), 400, "TYPES_EMPTY");
    assert!(call(&api, &a, &functions::account::UpdateStatus { offline: false }).unwrap());
}

#[test]
fn profile_photos_of_a_nameable_user_are_none() {
    // Telethon's get_profile_photos asks photos.getUserPhotos; it
    // was not served (INPUT_METHOD_INVALID).
    let People { api, ada: (a, _), bob: (_, bob), carol: (c, _) } = people();
    let photos = |ctx: &CallContext, user_id: enums::InputUser| {
        call(&api, ctx, &functions::photos::GetUserPhotos { user_id, offset: 0, max_id: 0, limit: 100 })
    };
    let mine = photos(&a, types::InputUserSelf {}.into()).unwrap();
    assert_eq!(mine, types::photos::Photos { photos: vec![], users: vec![] }.into());
    let bob_for_ada = only_user(&import(&api, &a, vec![phone_contact(1, OTHER_PHONE_DC2, "Bob")]).users).clone();
    assert!(
        matches!(photos(&a, input_user(&bob_for_ada)).unwrap(), enums::photos::Photos::Photos(p) if p.photos.is_empty())
    );
    // Ada's hash for Bob names nobody for Carol.
    assert_error(photos(&c, input_user(&bob_for_ada)), 400, "USER_ID_INVALID");
    assert_eq!(bob_for_ada.id, bob.id);
}

#[test]
fn settings_a_signed_in_client_reads() {
    let People { api, ada: (a, _), .. } = people();
    let get = |peer: enums::InputNotifyPeer| call(&api, &a, &functions::account::GetNotifySettings { peer });
    let enums::PeerNotifySettings::PeerNotifySettings(mine) =
        get(types::InputNotifyPeer { peer: types::InputPeerSelf {}.into() }.into()).unwrap();
    assert_eq!(mine, types::PeerNotifySettings::default(), "nothing overridden");
    let enums::PeerNotifySettings::PeerNotifySettings(users) = get(types::InputNotifyUsers {}.into()).unwrap();
    assert_eq!((users.show_previews, users.silent, users.mute_until), (Some(true), Some(false), Some(0)));
    assert_error(get(types::InputNotifyPeer { peer: types::InputPeerEmpty {}.into() }.into()), 400, "PEER_ID_INVALID");
    let channel = types::InputPeerChannel { channel_id: 1, access_hash: 1 };
    assert_error(get(types::InputNotifyPeer { peer: channel.into() }.into()), 400, "CHANNEL_INVALID");
    let privacy = |key: enums::InputPrivacyKey| {
        let enums::account::PrivacyRules::PrivacyRules(rules) =
            call(&api, &a, &functions::account::GetPrivacy { key }).unwrap();
        rules.rules
    };
    assert_eq!(privacy(types::InputPrivacyKeyPhoneNumber {}.into()), vec![types::PrivacyValueAllowContacts {}.into()]);
    assert_eq!(privacy(types::InputPrivacyKeyStatusTimestamp {}.into()), vec![types::PrivacyValueAllowAll {}.into()]);
    let enums::account::ContentSettings::ContentSettings(content) =
        call(&api, &a, &functions::account::GetContentSettings {}).unwrap();
    assert!(!content.sensitive_enabled && content.sensitive_can_change);
}

#[test]
fn start_up_methods_need_no_sign_in() {
    let api = api();
    let ctx = new_key(&api, 2, 9);
    let enums::help::AppConfig::AppConfig(config) =
        call(&api, &ctx, &functions::help::GetAppConfig { hash: 0 }).unwrap()
    else {
        panic!("the config for hash 0")
    };
    assert_eq!(config.config, types::JsonObject { value: Vec::new() }.into());
    assert_ne!(config.hash, 0);
    let cached = call(&api, &ctx, &functions::help::GetAppConfig { hash: config.hash }).unwrap();
    assert!(matches!(cached, enums::help::AppConfig::NotModified(_)));
    let countries = call(&api, &ctx, &functions::help::GetCountriesList { lang_code: "en".into(), hash: 0 }).unwrap();
    assert!(matches!(countries, enums::help::CountriesList::CountriesList(c) if c.countries.is_empty()));
    let promo = call(&api, &ctx, &functions::help::GetPromoData {}).unwrap();
    assert!(matches!(promo, enums::help::PromoData::Empty(p) if i64::from(p.expires) > T0));
    let tos = call(&api, &ctx, &functions::help::GetTermsOfServiceUpdate {}).unwrap();
    assert!(matches!(tos, enums::help::TermsOfServiceUpdate::Empty(t) if i64::from(t.expires) > T0));
    assert!(call(&api, &ctx, &functions::langpack::GetLanguages { lang_pack: "tdesktop".into() }).unwrap().is_empty());
    let pack = functions::langpack::GetLangPack { lang_pack: "android".into(), lang_code: "en".into() };
    let enums::LangPackDifference::LangPackDifference(pack) = call(&api, &ctx, &pack).unwrap();
    assert_eq!((pack.lang_code.as_str(), pack.version, pack.strings.len()), ("en", 0, 0));
    let strings =
        functions::langpack::GetStrings { lang_pack: "".into(), lang_code: "pt-br".into(), keys: vec!["k".into()] };
    assert!(call(&api, &ctx, &strings).unwrap().is_empty());
    let bad = functions::langpack::GetLangPack { lang_pack: "".into(), lang_code: "no such code!".into() };
    assert_error(call(&api, &ctx, &bad), 400, "LANG_CODE_NOT_SUPPORTED");
    // Peers need a signed-in user.
    assert_error(call(&api, &ctx, &functions::contacts::GetContacts { hash: 0 }), 401, "AUTH_KEY_UNREGISTERED");
}

#[test]
fn bots_cannot_keep_contacts() {
    let api = api();
    let token = api.create_bot("Helper", T0).unwrap();
    let ctx = new_key(&api, 2, 4);
    let auth = functions::auth::ImportBotAuthorization {
        flags: 0,
        api_id: 12345,
        api_hash: "0123456789abcdef0123456789abcdef".into(),
        bot_auth_token: token,
    };
    let bot = authorized_user(call(&api, &ctx, &auth).unwrap());
    assert!(bot.bot);
    let import = functions::contacts::ImportContacts { contacts: vec![phone_contact(1, PHONE_DC2, "A")] };
    assert_error(call(&api, &ctx, &import), 400, "BOT_METHOD_INVALID");
    let enums::contacts::ResolvedPeer::ResolvedPeer(me) =
        call(&api, &ctx, &functions::contacts::ResolveUsername { username: "helper_bot".into(), referer: None })
            .unwrap();
    assert!(only_user(&me.users).is_self);
    let enums::users::UserFull::UserFull(full) =
        call(&api, &ctx, &functions::users::GetFullUser { id: types::InputUserSelf {}.into() }).unwrap();
    let enums::UserFull::UserFull(inner) = full.full_user;
    assert!(matches!(inner.bot_info.as_deref(), Some(enums::BotInfo::BotInfo(i)) if i.user_id == Some(bot.id)));
    // The admin functions keep usernames unique in any case too.
    let taken = ferrogram_server::AdminUser {
        phone: "+15550001242".into(),
        first_name: "H".into(),
        username: Some("HELPER_BOT".into()),
        ..Default::default()
    };
    assert!(matches!(api.create_user(&taken, T0), Err(ferrogram_server::AdminError::UsernameTaken(_))));
    assert!(matches!(api.create_bot("helper", T0), Err(ferrogram_server::AdminError::UsernameTaken(_))));
}

#[test]
fn hashes_contacts_and_usernames_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (a, bob_for_ada) = {
        let api = api_on(dir.path(), 1);
        let (a, b) = (new_key(&api, 2, 1), new_key(&api, 2, 2));
        sign_up(&api, &a, PHONE_DC2, "Ada");
        sign_up(&api, &b, OTHER_PHONE_DC2, "Bob");
        call(&api, &b, &functions::account::UpdateUsername { username: "bob_b".into() }).unwrap();
        let imported = import(&api, &a, vec![phone_contact(1, OTHER_PHONE_DC2, "Robert")]);
        (a, only_user(&imported.users).clone())
    };
    let api = api_on(dir.path(), 2);
    let enums::User::User(again) = get_user(&api, &a, input_user(&bob_for_ada)) else { panic!("the hash still works") };
    assert_eq!(again, bob_for_ada);
    let enums::contacts::ResolvedPeer::ResolvedPeer(found) =
        call(&api, &a, &functions::contacts::ResolveUsername { username: "bob_b".into(), referer: None }).unwrap();
    assert_eq!(only_user(&found.users), &bob_for_ada);
}

#[test]
fn add_contact_by_a_nameable_user_and_resolve_by_phone() {
    let People { api, ada: (a, ada), bob: (b, bob), carol: (c, _) } = people();
    // Ada finds Bob by his number (anyone may be found by number), then adds him by id.
    let enums::contacts::ResolvedPeer::ResolvedPeer(found) =
        call(&api, &a, &functions::contacts::ResolvePhone { phone: "+1 555 000 1239".into() }).unwrap();
    assert_eq!(found.peer, types::PeerUser { user_id: bob.id }.into());
    let bob_for_ada = only_user(&found.users).clone();
    assert!(!bob_for_ada.contact && bob_for_ada.phone.is_none());
    let resolve = |phone: &str| call(&api, &a, &functions::contacts::ResolvePhone { phone: phone.into() });
    assert_error(resolve("+15559990000"), 400, "PHONE_NOT_OCCUPIED");
    assert_error(resolve("nope"), 400, "PHONE_NUMBER_INVALID");

    let add = |ctx: &CallContext, id: enums::InputUser, first: &str, last: &str| {
        call(
            &api,
            ctx,
            &functions::contacts::AddContact {
                add_phone_privacy_exception: false,
                id,
                first_name: first.into(),
                last_name: last.into(),
                phone: String::new(),
                note: None,
            },
        )
    };
    let enums::Updates::Updates(updates) = add(&a, input_user(&bob_for_ada), " Bobby ", "B").unwrap() else {
        panic!("an updates")
    };
    assert!(updates.updates.is_empty() && updates.seq == 0);
    let added = only_user(&updates.users);
    assert!(added.contact && added.first_name.as_deref() == Some("Bobby") && added.last_name.as_deref() == Some("B"));
    assert_eq!(added.phone, None, "added by id, without his number: it stays hidden");
    let ids = call(&api, &a, &functions::contacts::GetContactIDs { hash: 0 }).unwrap();
    assert_eq!(ids, vec![i32::try_from(bob.id).unwrap()]);
    // Bob now sees Ada's phone: she has him in her contacts.
    let enums::contacts::ResolvedPeer::ResolvedPeer(ada_for_bob) =
        call(&api, &b, &functions::contacts::ResolvePhone { phone: PHONE_DC2.into() }).unwrap();
    assert_eq!(only_user(&ada_for_bob.users).phone.as_deref(), Some("15550001236"));

    assert_error(add(&a, input_user(&bob_for_ada), " ", ""), 400, "CONTACT_NAME_EMPTY");
    assert_error(add(&a, types::InputUserSelf {}.into(), "Me", ""), 400, "CONTACT_ID_INVALID");
    // Carol cannot use the hash Ada got for Bob.
    assert_error(add(&c, input_user(&bob_for_ada), "Bob", ""), 400, "CONTACT_ID_INVALID");
    assert_eq!(ada.id, only_user(&ada_for_bob.users).id);
}
