//! The `ferrogram` command: the local server, the demo of GramJS's `auth.SignIn` example, and a small
//! client for trying the API by hand.

mod account;
mod admin;
mod demo;
mod listen;
mod messaging;
mod peer_arg;
mod peer_info;
mod peers_cmd;
mod qr;
mod serve;
mod target;

use clap::{Parser, Subcommand};

/// ferrogram: a Telegram MTProto client library for Rust, and a local Telegram-compatible server.
///
/// Client commands (login, whoami, logout, invoke, listen, send, history, dialogs, resolve)
/// connect to the server that --server-info, --data-dir or --server names, or with --production
/// to Telegram's; with none of these, to where the session file already is. They say on
/// standard error where they go.
#[derive(Debug, Parser)]
#[command(name = "ferrogram", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in to an embedded local server through the library, as GramJS's `auth.SignIn` example does, and
    /// print the `auth.Authorization` as JSON. Needs no set-up.
    Demo(demo::DemoArgs),
    /// Run the local Telegram-compatible server until interrupted (SIGINT or SIGTERM).
    Serve(serve::ServeArgs),
    /// Print the login codes a server issued (from DIR/codes.jsonl).
    Codes(serve::CodesArgs),
    /// Sign in (interactively, from --phone/--code/--password/--bot-token, or by --qr code) and
    /// save the session.
    Login(account::LoginArgs),
    /// Accept a QR-login link another app shows, signing it in to this session's account.
    AcceptLogin(qr::AcceptLoginArgs),
    /// Print who the session is signed in as.
    Whoami(target::ClientArgs),
    /// Log the session out.
    Logout(target::ClientArgs),
    /// Call any API method with JSON parameters and print the result as JSON.
    Invoke(account::InvokeArgs),
    /// Print the session's updates as JSON lines until interrupted (or --count N).
    Listen(listen::ListenArgs),
    /// Send a message to PEER (`me`, @username, +phone or a numeric id) and print it as JSON.
    Send(messaging::SendArgs),
    /// Print a chat's messages as JSON lines, newest first (or --reverse), --limit of them.
    History(messaging::HistoryArgs),
    /// Print the account's chat list as JSON lines (name, unread count, pinned, top message).
    Dialogs(peers_cmd::DialogsArgs),
    /// Print who a @username or +phone number is (kind, id, access hash, name) as JSON.
    Resolve(peers_cmd::ResolveArgs),
    /// Import a GramJS, Telethon or ferrogram string session into a session file.
    ImportSession(account::ImportArgs),
    /// Create a bot on a server's data dir and print its token.
    CreateBot(serve::CreateBotArgs),
    /// Ask a running local server's admin channel: make users and bots, read codes, inject
    /// faults (a failing method, withheld updates, dropped connections).
    Admin(admin::AdminArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,ferrogram_server::codes=debug".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => demo::demo(args).await,
            Command::Serve(args) => serve::serve(args).await,
            Command::Codes(args) => serve::codes(args),
            Command::CreateBot(args) => serve::create_bot(args),
            Command::Login(args) => account::login(args).await,
            Command::AcceptLogin(args) => qr::accept_login(args).await,
            Command::Whoami(args) => account::whoami(args).await,
            Command::Logout(args) => account::logout(args).await,
            Command::Invoke(args) => account::invoke(args).await,
            Command::Listen(args) => listen::listen(args).await,
            Command::Send(args) => messaging::send(args).await,
            Command::History(args) => messaging::history(args).await,
            Command::Dialogs(args) => peers_cmd::dialogs(args).await,
            Command::Resolve(args) => peers_cmd::resolve(args).await,
            Command::ImportSession(args) => account::import_session(args),
            Command::Admin(args) => admin::admin(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_text(&error));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `outer: inner`, leaving out each cause whose text the
/// line already says (library errors often repeat their source's message in their own).
fn error_text(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    #[test]
    fn an_error_says_each_text_once() {
        #[derive(Debug)]
        struct Repeating(std::io::Error);
        impl std::fmt::Display for Repeating {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "transport: {}", self.0)
            }
        }
        impl std::error::Error for Repeating {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let inner = std::io::Error::other("frame too long");
        let error = Err::<(), _>(Repeating(inner)).context("connecting").unwrap_err();
        assert_eq!(super::error_text(&error), "connecting: transport: frame too long");
        let plain = anyhow::anyhow!("one").context("two");
        assert_eq!(super::error_text(&plain), "two: one");
    }

    #[test]
    fn a_basic_group_id_is_a_peer_not_a_flag() {
        use clap::Parser as _;
        for args in [&["ferrogram", "history", "-42"][..], &["ferrogram", "send", "-42", "hi", "--silent"]] {
            let parsed = super::Cli::try_parse_from(args);
            assert!(parsed.is_ok(), "{args:?}: {:?}", parsed.err());
        }
    }

    #[test]
    fn help_lists_every_command() {
        use clap::CommandFactory as _;
        let help = super::Cli::command().render_help().to_string();
        for command in super::Cli::command().get_subcommands() {
            assert!(help.contains(command.get_name()), "{} missing from --help:\n{help}", command.get_name());
        }
    }
}
