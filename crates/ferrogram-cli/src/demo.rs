//! `ferrogram demo`: GramJS's `auth.SignIn` example end to end, with no set-up. An embedded server starts on
//! ephemeral loopback ports; the library connects to it (key exchange, encryption), asks for a
//! code, reads it where a developer would (the server's code log), and signs in with
//! `auth.signIn`, printing the `auth.Authorization` as JSON.

use anyhow::Context as _;
use ferrogram::{Client, ClientConfig, ServerAddress, StringSession, TransportKind};
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_tl::{enums, functions, Serializable};

/// Options of `ferrogram demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The phone number to sign in with (a new number is signed up first).
    #[arg(long, default_value = "+15550001234")]
    phone: String,
    /// The MTProto transport the client speaks.
    #[arg(long, default_value = "full")]
    transport: TransportKind,
}

/// The api id and hash the demo introduces itself with (any values work with a local server).
pub const DEMO_API_ID: i32 = 12345;
/// See [`DEMO_API_ID`].
pub const DEMO_API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// Runs the demo and prints the `auth.Authorization` JSON on stdout (progress on stderr).
pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let server = LocalServer::start(ServerOptions::ephemeral()).await.context("starting the embedded server")?;
    let main_dc = server.main_dc();
    let addr = server.dc_addr(main_dc).context("the server has no main DC")?;
    eprintln!("server: DC {main_dc} on {addr}, RSA key {:016x}", server.public_key().fingerprint() as u64);

    let result = run(&server, addr.port(), &args).await;
    server.shutdown().await;
    let json = result?;
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

async fn run(server: &LocalServer, port: u16, args: &DemoArgs) -> anyhow::Result<serde_json::Value> {
    let config = ClientConfig {
        transport: args.transport,
        server: Some(ServerAddress::new("127.0.0.1", port, server.main_dc(), server.public_key().clone())),
        ..ClientConfig::default()
    };
    // As in GramJS's example: a client made from a session, an api id and an api hash.
    let session = StringSession::new("").context("an empty string session")?;
    let client = Client::new(session, DEMO_API_ID, DEMO_API_HASH, config);
    client.connect().await.context("connecting")?;
    eprintln!("connected over {}: authorization key created", args.transport);

    let token = client.send_code(&args.phone).await.context("auth.sendCode")?;
    let code = read_code(server, &token.phone_code_hash)?;
    eprintln!("auth.sendCode: code {code} (read from the server's code log)");

    // The example's call: auth.signIn with the phone number, the hash from auth.sendCode, the code.
    let request = functions::auth::SignIn {
        phone_number: args.phone.clone(),
        phone_code_hash: token.phone_code_hash.clone(),
        phone_code: Some(code.clone()),
        email_verification: None,
    };
    let mut authorization: enums::auth::Authorization = client.invoke(&request).await.context("auth.signIn")?;
    if let enums::auth::Authorization::SignUpRequired(_) = authorization {
        eprintln!("auth.signIn: auth.authorizationSignUpRequired (a new number): signing up");
        client.sign_up(&token, "Ada", "Lovelace").await.context("auth.signUp")?;
        client.log_out().await.context("auth.logOut")?;
        eprintln!("signed up and logged out; signing in again to the existing account (the example's path)");
        let token = client.send_code(&args.phone).await.context("auth.sendCode")?;
        let code = read_code(server, &token.phone_code_hash)?;
        let request =
            functions::auth::SignIn { phone_code_hash: token.phone_code_hash, phone_code: Some(code), ..request };
        authorization = client.invoke(&request).await.context("auth.signIn")?;
    }
    let me = client.get_me().await.context("users.getUsers(self)")?;
    eprintln!(
        "signed in as user {} ({} {})",
        me.id,
        me.first_name.as_deref().unwrap_or(""),
        me.last_name.as_deref().unwrap_or("")
    );
    let json =
        ferrogram_tl_layers::answer_to_json(server.layers().our_schema(), "auth.signIn", &authorization.to_bytes())
            .context("printing the result as JSON")?;
    client.disconnect().await.ok();
    Ok(json)
}

/// The code the server issued for `phone_code_hash`, from its code log.
fn read_code(server: &LocalServer, phone_code_hash: &str) -> anyhow::Result<String> {
    let codes = server.api().recent_codes(50).context("reading the server's codes")?;
    codes
        .into_iter()
        .find(|c| c.phone_code_hash == phone_code_hash)
        .map(|c| c.code)
        .context("the server issued no code for this request")
}
