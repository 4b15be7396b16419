//! The `ferrogram` command: the local server, the demo of the seed's sign-in flow, and a small
//! client for trying the API by hand.

mod account;
mod admin;
mod demo;
mod qr;
mod serve;

use clap::{Parser, Subcommand};

/// ferrogram: a Telegram MTProto client library for Rust, and a local Telegram-compatible server.
#[derive(Debug, Parser)]
#[command(name = "ferrogram", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in to an embedded local server through the library, as the seed's example does, and
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
    Whoami(account::ClientArgs),
    /// Log the session out.
    Logout(account::ClientArgs),
    /// Call any API method with JSON parameters and print the result as JSON.
    Invoke(account::InvokeArgs),
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
            Command::ImportSession(args) => account::import_session(args),
            Command::Admin(args) => admin::admin(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
