//! `send`, `history`, `dialogs` and `resolve` between two accounts of a `ferrogram serve
//! --memory`, and what each says to bad input.

mod common;

use std::path::Path;

use common::{run, serve, stdout, text};
use serde_json::Value;

/// The JSON lines a successful command printed.
fn lines(args: &[&str], dir: &Path) -> Vec<Value> {
    let out = run(args, dir);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    stdout(&out).lines().map(|line| serde_json::from_str(line).expect("each line is JSON")).collect()
}

/// The `error: ` line of a command that must fail.
fn error(args: &[&str], dir: &Path) -> String {
    let out = run(args, dir);
    assert!(!out.status.success(), "{args:?} should fail: {}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    stderr.lines().find(|line| line.starts_with("error: ")).unwrap_or_else(|| panic!("{args:?}: {stderr}")).to_owned()
}

const A: &str = "a.session";
const B: &str = "b.session";

/// `COMMAND --session SESSION ARGS...`.
fn on<'a>(session: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    [&args[..1], &["--session", session][..], &args[1..]].concat()
}

fn texts(messages: &[Value]) -> Vec<&str> {
    messages.iter().map(|m| m["text"].as_str().expect("a text")).collect()
}

#[test]
fn two_accounts_message_each_other_through_the_commands() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let info_dir = dir.join("info");
    let _server = serve(&info_dir);
    let info = info_dir.join("server.json").display().to_string();
    for (phone, name, username) in [("+9996620101", "Ann", "ann_sender"), ("+9996620102", "Bea", "bea_reader")] {
        let made = run(
            &[
                "admin",
                "--server-info",
                &info,
                "create-user",
                "--phone",
                phone,
                "--first-name",
                name,
                "--username",
                username,
            ],
            dir,
        );
        assert!(made.status.success(), "{}", text(&made));
    }
    for (session, phone) in [("a.session", "+9996620101"), ("b.session", "+9996620102")] {
        let login =
            run(&["login", "--session", session, "--server-info", &info, "--phone", phone, "--code", "22222"], dir);
        assert!(login.status.success(), "{}", text(&login));
    }

    // A finds B, by username (any case, `@` optional) and by phone.
    let found = lines(&on(A, &["resolve", "@Bea_Reader"]), dir);
    assert_eq!(found.len(), 1);
    let bea = &found[0];
    assert_eq!((bea["type"].as_str(), bea["name"].as_str()), (Some("user"), Some("Bea")), "{bea}");
    assert_eq!(bea["username"], "bea_reader", "{bea}");
    let bea_id = bea["id"].as_str().expect("the id is a string").to_owned();
    let hash = bea["access_hash"].as_str().expect("the access hash is a string");
    assert!(hash.parse::<i64>().is_ok_and(|h| h != 0), "{bea}");
    let by_phone = lines(&on(A, &["resolve", "+9996620102", "--long-numbers"]), dir);
    assert_eq!(by_phone[0]["id"].as_i64().map(|id| id.to_string()), Some(bea_id.clone()), "{}", by_phone[0]);

    // A sends three messages: by @username, by phone (a silent one), and a Markdown reply.
    let first = lines(&on(A, &["send", "@bea_reader", "hello Bea"]), dir);
    assert_eq!(first.len(), 1, "one line per sent message");
    let first_id = first[0]["id"].as_i64().expect("an id");
    assert!(first[0]["date"].as_i64().is_some_and(|d| d > 0), "{}", first[0]);
    assert_eq!(first[0]["out"], true);
    let second = lines(&on(A, &["send", "+9996620102", "second, quietly", "--silent"]), dir);
    assert!(second[0]["id"].as_i64().expect("an id") > first_id);
    let reply_to = first_id.to_string();
    let third = lines(&on(A, &["send", "bea_reader", "**third**", "--markdown", "--reply-to", &reply_to]), dir);
    assert_eq!(third[0]["text"], "third", "markup is not sent as text: {}", third[0]);

    // B's chat list has A's chat, three unread; it also teaches B's session who A is by id.
    let dialogs = lines(&on(B, &["dialogs"]), dir);
    let with_ann = dialogs.iter().find(|d| d["name"] == "Ann").unwrap_or_else(|| panic!("{dialogs:?}"));
    let ann_id = with_ann["peer"]["id"].as_str().expect("the id is a string").to_owned();
    assert_eq!(with_ann["peer"]["type"], "user");
    assert_eq!(with_ann["username"], "ann_sender");
    assert_eq!(with_ann["unread_count"], 3, "{with_ann}");
    assert_eq!(with_ann["pinned"], false);
    assert!(with_ann["top_message"].as_i64().is_some(), "{with_ann}");
    assert_eq!(lines(&on(B, &["dialogs", "--limit", "1"]), dir).len(), 1);

    // B reads the chat newest first, oldest first, and by A's numeric id.
    let history = lines(&on(B, &["history", "@ann_sender"]), dir);
    assert_eq!(texts(&history), ["third", "second, quietly", "hello Bea"]);
    for message in &history {
        assert_eq!(message["sender_id"].as_str(), Some(ann_id.as_str()), "{message}");
        assert_eq!(message["out"], false, "{message}");
        assert!(message["edit_date"].is_null(), "{message}");
    }
    assert_eq!(history[0]["reply_to"].as_i64(), history[2]["id"].as_i64(), "the reply names the first message");
    let oldest_first = lines(&on(B, &["history", "@ann_sender", "--reverse"]), dir);
    assert_eq!(texts(&oldest_first), ["hello Bea", "second, quietly", "third"]);
    let by_id = lines(&on(B, &["history", &ann_id, "--limit", "2"]), dir);
    assert_eq!(texts(&by_id), ["third", "second, quietly"]);
    let newest = history[0]["id"].to_string();
    let older = lines(&on(B, &["history", "+9996620101", "--offset-id", &newest]), dir);
    assert_eq!(texts(&older), ["second, quietly", "hello Bea"]);

    // A's side of the same chat: its own messages, out.
    let sent = lines(&on(A, &["history", &bea_id, "--limit", "1"]), dir);
    assert_eq!((sent[0]["text"].as_str(), &sent[0]["out"]), (Some("third"), &Value::Bool(true)));

    // A basic group: listed with its title, named by its negative id.
    let params = format!(
        r#"{{"users": [{{"_": "inputUser", "user_id": "{bea_id}", "access_hash": "{hash}"}}], "title": "Team"}}"#
    );
    let made = run(&on(A, &["invoke", "messages.createChat", "--json", &params]), dir);
    assert!(made.status.success(), "{}", text(&made));
    let a_dialogs = lines(&on(A, &["dialogs"]), dir);
    let team = a_dialogs.iter().find(|d| d["name"] == "Team").unwrap_or_else(|| panic!("{a_dialogs:?}"));
    assert_eq!(team["peer"]["type"], "chat", "{team}");
    assert!(team["username"].is_null(), "{team}");
    let group = format!("-{}", team["peer"]["id"].as_str().expect("the id is a string"));
    let in_group = lines(&on(A, &["send", &group, "hello team"]), dir);
    assert_eq!(in_group[0]["peer"], team["peer"], "{}", in_group[0]);
    let group_history = lines(&on(B, &["history", &group, "--limit", "1"]), dir);
    assert_eq!(texts(&group_history), ["hello team"]);
    assert_eq!(group_history[0]["sender_id"].as_str(), Some(ann_id.as_str()));

    // Bad input: one line saying what is wrong, a failing exit, no panic.
    let said = error(&on(A, &["resolve", "@nobody_here"]), dir);
    assert!(said.contains("no user @nobody_here"), "{said}");
    let said = error(&on(A, &["send", "@nobody_here", "hi"]), dir);
    assert!(said.contains("no user @nobody_here"), "{said}");
    let said = error(&on(A, &["send", "@bea_reader", "   "]), dir);
    assert!(said.contains("the message is empty"), "{said}");
    let long = "x".repeat(5000);
    let said = error(&on(A, &["send", "@bea_reader", &long]), dir);
    assert!(said.contains("too long") && said.contains("5000") && said.contains("4096"), "{said}");
    assert!(!said.contains("MESSAGE_TOO_LONG"), "worded for people: {said}");
    let said = error(&on(A, &["history", "not a name!"]), dir);
    assert!(said.contains("not a username"), "{said}");
    let said = error(&on(A, &["history", "@bea_reader", "--limit", "0"]), dir);
    assert!(said.contains("at least 1"), "{said}");
    let said = error(&on(A, &["dialogs", "--limit", "0"]), dir);
    assert!(said.contains("at least 1"), "{said}");
    let said = error(&on(A, &["resolve", "12345"]), dir);
    assert!(said.contains("a number, not a username"), "{said}");
    let said = error(&on(A, &["history", "777000"]), dir);
    assert!(said.contains("777000") && said.contains("has not seen"), "{said}");
    for command in [&["send", "me", "hi"][..], &["history", "me"], &["dialogs"], &["resolve", "bea_reader"]] {
        let said = error(&[command, &["--session", "nobody.session"][..]].concat(), dir);
        assert!(said.contains("not signed in"), "{command:?}: {said}");
        assert!(!dir.join("nobody.session").exists(), "{command:?} left a session file");
    }
}
