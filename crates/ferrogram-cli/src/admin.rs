//! `ferrogram admin`: a running local server's admin channel from the command line: make users
//! and bots, read login codes, and inject faults (a method failing, withheld updates, dropped
//! connections) into a server a test did not start in-process.

use std::path::PathBuf;

use anyhow::Context as _;
use ferrogram::client::server_info::{ServerInfo, SERVER_INFO_FILE};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Options of `ferrogram admin`.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// The server's info file (`server.json`, printed by `ferrogram serve` at start) or the
    /// directory holding it.
    #[arg(long, value_name = "PATH", conflicts_with = "data_dir")]
    server_info: Option<PathBuf>,
    /// The server's data dir (its `server.json` is used).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: AdminCommand,
}

/// What to ask the server.
#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create an account (sign in to it with the test number's code, or read the code with `codes`).
    CreateUser {
        /// Phone number (`+` optional).
        #[arg(long)]
        phone: String,
        /// First name.
        #[arg(long)]
        first_name: String,
        /// Last name.
        #[arg(long)]
        last_name: Option<String>,
        /// Username without `@`.
        #[arg(long)]
        username: Option<String>,
        /// A 2FA password.
        #[arg(long)]
        password: Option<String>,
    },
    /// Create a bot and print its token.
    CreateBot {
        /// The bot's name.
        name: String,
    },
    /// Print the most recent login codes, newest first.
    Codes {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Answer the next call(s) of METHOD with ERROR instead of running them.
    FailMethod {
        /// The method's TL name, e.g. `messages.sendMessage`.
        method: String,
        /// The error, e.g. `FLOOD_WAIT_5`, `USER_MIGRATE_3`, `INTERNAL`.
        error: String,
        /// The error code (default: Telegram's for the name: 420, 303, 500, 401 or 400).
        #[arg(long)]
        code: Option<i32>,
        /// How many calls it hits.
        #[arg(long, default_value_t = 1)]
        times: u32,
        /// Only this user's calls (phone number).
        #[arg(long)]
        phone: Option<String>,
    },
    /// Do not send the next COUNT updates to any device of a user (a gap to recover with
    /// updates.getDifference).
    WithholdUpdates {
        /// The user's phone number.
        #[arg(long)]
        phone: String,
        /// How many updates (0 cancels).
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// Close every connection of a user, as a dropped network would.
    DropConnections {
        /// The user's phone number.
        #[arg(long)]
        phone: String,
    },
    /// Drop every waiting fault.
    ClearFaults,
    /// Send a message as any user (its recipients get the updates a real sender causes).
    SendMessage {
        /// The sender's phone number.
        #[arg(long)]
        from: String,
        /// The recipient: a phone number, `@username`, `me` (Saved Messages) or `chat:ID`.
        #[arg(long)]
        to: String,
        /// The text.
        text: String,
    },
    /// Store COUNT messages from one user to another and push them to the receiver's devices as
    /// fast as its clients take them (a load test of a client's updates); answers once all are
    /// pushed.
    FloodMessages {
        /// The sender's phone number.
        #[arg(long)]
        from: String,
        /// The receiver's phone number.
        #[arg(long)]
        to: String,
        /// How many messages (at most 1,000,000).
        #[arg(long)]
        count: u32,
    },
}

impl AdminCommand {
    fn request(&self) -> Value {
        match self {
            AdminCommand::CreateUser { phone, first_name, last_name, username, password } => json!({
                "command": "create_user", "phone": phone, "first_name": first_name,
                "last_name": last_name, "username": username, "password": password,
            }),
            AdminCommand::CreateBot { name } => json!({ "command": "create_bot", "name": name }),
            AdminCommand::Codes { limit } => json!({ "command": "codes", "limit": limit }),
            AdminCommand::FailMethod { method, error, code, times, phone } => json!({
                "command": "fail_method", "method": method, "error": error, "code": code,
                "times": times, "phone": phone,
            }),
            AdminCommand::WithholdUpdates { phone, count } => {
                json!({ "command": "withhold_updates", "phone": phone, "count": count })
            }
            AdminCommand::DropConnections { phone } => json!({ "command": "drop_connections", "phone": phone }),
            AdminCommand::ClearFaults => json!({ "command": "clear_faults" }),
            AdminCommand::SendMessage { from, to, text } => {
                json!({ "command": "send_message", "from": from, "to": to, "text": text })
            }
            AdminCommand::FloodMessages { from, to, count } => {
                json!({ "command": "flood_messages", "from": from, "to": to, "count": count })
            }
        }
    }
}

/// Sends one request to the server's admin channel and prints the answer as JSON. With
/// `--data-dir` and no server running there, the commands that only touch the store (users,
/// bots, codes) run on the data dir itself; faults and messages need the running server.
pub async fn admin(args: AdminArgs) -> anyhow::Result<()> {
    let path = match (&args.server_info, &args.data_dir) {
        (Some(path), _) => path.clone(),
        (None, Some(dir)) => dir.join(SERVER_INFO_FILE),
        (None, None) => {
            anyhow::bail!("which server? give --server-info PATH (printed by `ferrogram serve`) or --data-dir DIR")
        }
    };
    let line = match (ask_running(&path, &args.command).await, &args.data_dir) {
        (Ok(line), _) => line,
        (Err(_), Some(dir)) if offline(&args.command) => return run_offline(dir, &args.command),
        (Err(error), _) => return Err(error),
    };
    let mut answer: Value = serde_json::from_str(&line).context("the answer is not JSON")?;
    if answer["ok"] != json!(true) {
        anyhow::bail!("{}", answer["error"].as_str().unwrap_or("the server refused the request"));
    }
    if let Some(object) = answer.as_object_mut() {
        object.remove("ok");
    }
    match &args.command {
        AdminCommand::CreateBot { .. } => println!("{}", answer["token"].as_str().unwrap_or_default()),
        AdminCommand::Codes { .. } => {
            for code in answer["codes"].as_array().into_iter().flatten() {
                println!(
                    "{} {}",
                    code["phone"].as_str().unwrap_or_default(),
                    code["code"].as_str().unwrap_or_default()
                );
            }
        }
        _ => println!("{}", serde_json::to_string_pretty(&answer)?),
    }
    Ok(())
}

/// One request to the running server of the info file `path`: its answer line.
async fn ask_running(path: &std::path::Path, command: &AdminCommand) -> anyhow::Result<String> {
    let info = ServerInfo::read(path)?;
    let admin = info.admin.with_context(|| format!("the server of {} runs no admin channel", path.display()))?;
    let mut request = command.request();
    request["token"] = json!(admin.token);
    let stream = tokio::net::TcpStream::connect(&admin.address)
        .await
        .with_context(|| format!("connecting to the admin channel at {} (is the server running?)", admin.address))?;
    let (read, mut write) = stream.into_split();
    write.write_all(format!("{request}\n").as_bytes()).await.context("sending the request")?;
    BufReader::new(read)
        .lines()
        .next_line()
        .await
        .context("reading the answer")?
        .context("the server closed the channel without an answer")
}

/// Whether `command` can run on a data dir with no server.
fn offline(command: &AdminCommand) -> bool {
    matches!(command, AdminCommand::CreateUser { .. } | AdminCommand::CreateBot { .. } | AdminCommand::Codes { .. })
}

/// Runs a store-only command on the data dir `dir` itself (no server is running there).
fn run_offline(dir: &std::path::Path, command: &AdminCommand) -> anyhow::Result<()> {
    let config = ferrogram_server::ApiConfig::local(0);
    let api = ferrogram_server::Api::open(Some(dir), config, ferrogram_server::os_random())
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    match command {
        AdminCommand::CreateUser { phone, first_name, last_name, username, password } => {
            let user = ferrogram_server::AdminUser {
                phone: phone.clone(),
                first_name: first_name.clone(),
                last_name: last_name.clone().unwrap_or_default(),
                username: username.clone(),
                password: password.clone(),
                ..Default::default()
            };
            let user = api.create_user(&user, now)?;
            let shown =
                json!({ "user": { "id": user.id.to_string(), "phone": user.phone, "first_name": user.first_name } });
            println!("{}", serde_json::to_string_pretty(&shown)?);
        }
        AdminCommand::CreateBot { name } => println!("{}", api.create_bot(name, now)?),
        AdminCommand::Codes { limit } => {
            for code in api.recent_codes(*limit as usize)? {
                println!("{} {}", code.phone_as_sent, code.code);
            }
        }
        _ => anyhow::bail!("this command needs the running server"),
    }
    Ok(())
}
