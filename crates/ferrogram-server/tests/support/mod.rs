//! A raw MTProto client for tests and the load benchmark, built straight from the sans-IO core
//! (not the `ferrogram` client crate): a tokio `TcpStream`, a transport [`Codec`], the client side
//! of the key exchange over plain messages, and a [`ClientSession`] for encrypted calls.
//!
//! It does exactly what a client does on the wire (<https://core.telegram.org/mtproto/description>),
//! and lets a test also do what a broken or hostile one does: write raw bytes, send arbitrary
//! frames, and watch how the server ends the connection. Every read is bounded by
//! [`READ_TIMEOUT`], so a server that hangs fails the test instead of blocking it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrogram_mtproto::authkey::client::{ClientConfig, ClientDone, ClientHandshake, ClientStep};
use ferrogram_mtproto::authkey::{plain, AuthKey, AuthKeyError};
use ferrogram_mtproto::crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use ferrogram_mtproto::session::client::{ClientSession, Event, RequestId};
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::session::{RpcError, SessionError};
use ferrogram_mtproto::transport::{strip_padding, Codec, Incoming, TransportError, TransportKind};
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_tl::{enums, functions, types, Deserializable, RawQuery, RemoteCall, Serializable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest a test waits for the server to say anything.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The api_id every test client announces in `initConnection`.
pub const API_ID: i32 = 12345;
/// The api_hash sent with `auth.sendCode`.
pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// Why a raw client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The socket failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// The server closed the connection (end of stream or reset).
    #[error("the server closed the connection")]
    Closed,
    /// The server said nothing for [`READ_TIMEOUT`].
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The transport failed, or the server sent a transport status such as -404.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// A key exchange answer was not a valid plain message.
    #[error("plain message: {0}")]
    Plain(#[from] plain::PlainError),
    /// The server's key exchange answers failed the client's checks.
    #[error("key exchange: {0}")]
    KeyExchange(#[from] AuthKeyError),
    /// An encrypted packet from the server was refused by the session layer.
    #[error("session: {0}")]
    Session(#[from] SessionError),
    /// An encrypted call was attempted before any key was made or given.
    #[error("no auth key yet")]
    NoKey,
    /// The session had no packet to send after a request was queued.
    #[error("the session made no packet for a queued request")]
    NothingToSend,
    /// The server refused the request with a `bad_msg_notification` resending cannot fix.
    #[error("request rejected with bad_msg_notification {0}")]
    Rejected(i32),
    /// The server answered the call with an RPC error.
    #[error("rpc error {} {}", .0.code, .0.message())]
    Rpc(RpcError),
    /// The answer does not decode as the method's result type.
    #[error("answer does not decode: {0}")]
    Decode(#[from] ferrogram_tl::DeserializeError),
}

impl ClientError {
    /// `(code, message)` of an RPC error, `None` for every other failure.
    pub fn rpc(&self) -> Option<(i32, String)> {
        match self {
            ClientError::Rpc(e) => Some((e.code, e.message())),
            _ => None,
        }
    }
}

/// Wall-clock time since the Unix epoch (the core takes time as an argument).
pub fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// The operating system's generator as a [`ferrogram_mtproto::RandomSource`].
pub fn os_fill(buf: &mut [u8]) {
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, buf);
}

/// One RSA key for every server a test binary starts (generating one takes a while).
pub fn shared_rsa_key() -> RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut os_fill)).clone()
}

/// An in-memory server with three DCs on ephemeral loopback ports.
pub async fn start_server() -> LocalServer {
    let options = ServerOptions { rsa_key: Some(shared_rsa_key()), ..ServerOptions::ephemeral() };
    LocalServer::start(options).await.expect("the server starts")
}

/// A server on `dir` (its own RSA key, made on first start and kept there).
pub async fn start_server_on(dir: &Path) -> LocalServer {
    let options = ServerOptions { data_dir: Some(dir.to_path_buf()), ..ServerOptions::ephemeral() };
    LocalServer::start(options).await.expect("the server starts on its data dir")
}

/// What a client needs to come back with a key it made earlier.
#[derive(Debug, Clone)]
pub struct SavedKey {
    /// The key.
    pub key: AuthKey,
    /// A server salt it used (possibly stale: the server corrects it).
    pub salt: i64,
    /// Server time minus local time, seconds.
    pub time_offset: i64,
}

/// A client connection: transport, key exchange, one session.
pub struct RawClient {
    stream: TcpStream,
    codec: Codec,
    dc_id: i32,
    plain_ids: MsgIdGenerator,
    session: Option<ClientSession>,
    /// The layer announced with the first call (wrapped in `invokeWithLayer(initConnection(..))`).
    layer: i32,
    initialized: bool,
    read_buf: Vec<u8>,
    /// Updates the server pushed, oldest first, not yet taken with [`RawClient::next_update`].
    updates: std::collections::VecDeque<Vec<u8>>,
}

impl RawClient {
    /// Connects to `addr` (DC `dc_id`) speaking `kind`.
    pub async fn connect(addr: SocketAddr, kind: TransportKind, dc_id: i32) -> Result<RawClient, ClientError> {
        let stream = tokio::time::timeout(READ_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| ClientError::Timeout(READ_TIMEOUT))??;
        RawClient::over(stream, kind, dc_id)
    }

    /// Connects from the local address `from` (any 127.x.y.z is loopback on Linux: a client of
    /// another IP address as far as the server's per-address limits go).
    pub async fn connect_from(
        from: std::net::IpAddr,
        addr: SocketAddr,
        kind: TransportKind,
        dc_id: i32,
    ) -> Result<RawClient, ClientError> {
        let socket = if from.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.bind(SocketAddr::new(from, 0))?;
        let stream = tokio::time::timeout(READ_TIMEOUT, socket.connect(addr))
            .await
            .map_err(|_| ClientError::Timeout(READ_TIMEOUT))??;
        RawClient::over(stream, kind, dc_id)
    }

    fn over(stream: TcpStream, kind: TransportKind, dc_id: i32) -> Result<RawClient, ClientError> {
        stream.set_nodelay(true)?;
        let codec = Codec::client(kind, dc_id as i16, &mut os_fill);
        Ok(RawClient {
            stream,
            codec,
            dc_id,
            plain_ids: MsgIdGenerator::new(),
            session: None,
            layer: ferrogram_tl::LAYER,
            initialized: false,
            read_buf: vec![0; 64 * 1024],
            updates: std::collections::VecDeque::new(),
        })
    }

    /// Connects to DC `dc` of `server`.
    pub async fn to_dc(server: &LocalServer, dc: i32, kind: TransportKind) -> Result<RawClient, ClientError> {
        let addr = server.dc_addr(dc).expect("the server serves this DC");
        RawClient::connect(addr, kind, dc).await
    }

    /// Announces `layer` instead of ours with the first call.
    pub fn announce_layer(&mut self, layer: i32) {
        self.layer = layer;
    }

    /// Writes bytes as they are, outside any framing.
    pub async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.stream.write_all(bytes).await?;
        Ok(())
    }

    /// Sends one transport frame carrying `payload` (the transport header goes first on the
    /// first frame).
    pub async fn send_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let mut out = Vec::new();
        self.codec.pack(payload, &mut os_fill, &mut out)?;
        self.write_raw(&out).await
    }

    /// The next frame from the server.
    pub async fn recv_frame(&mut self) -> Result<Vec<u8>, ClientError> {
        loop {
            match self.codec.poll()? {
                Some(Incoming::Frame { payload, .. }) => return Ok(payload),
                Some(Incoming::QuickAck(_)) => continue,
                None => {}
            }
            let read = tokio::time::timeout(READ_TIMEOUT, self.stream.read(&mut self.read_buf))
                .await
                .map_err(|_| ClientError::Timeout(READ_TIMEOUT))?;
            match read {
                Ok(0) => return Err(ClientError::Closed),
                Ok(n) => self.codec.feed(&self.read_buf[..n]),
                Err(e) if is_reset(&e) => return Err(ClientError::Closed),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads until the server ends the connection; returns how it ended (`Closed`, a transport
    /// status such as -404, ...) or `Timeout` if it stays open. Frames before the end are
    /// returned alongside.
    pub async fn until_closed(&mut self) -> (Vec<Vec<u8>>, ClientError) {
        let mut frames = Vec::new();
        loop {
            match self.recv_frame().await {
                Ok(frame) => frames.push(frame),
                Err(end) => return (frames, end),
            }
        }
    }

    /// Closes our writing half, as a client that gives up mid-frame does.
    pub async fn finish_writes(&mut self) -> Result<(), ClientError> {
        self.stream.shutdown().await?;
        Ok(())
    }

    /// Whether the server closes the socket within [`READ_TIMEOUT`], reading (and dropping) any
    /// bytes before the end without parsing them.
    pub async fn server_closes(&mut self) -> bool {
        loop {
            match tokio::time::timeout(READ_TIMEOUT, self.stream.read(&mut self.read_buf)).await {
                Err(_) => return false,
                Ok(Ok(0)) => return true,
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => return is_reset(&e),
            }
        }
    }

    /// The encrypted packet the session would send for `request`, without sending it (for tests
    /// that damage it first). The request stays pending in the session.
    pub fn seal(&mut self, request: Vec<u8>) -> Result<Vec<u8>, ClientError> {
        let session = self.session.as_mut().ok_or(ClientError::NoKey)?;
        session.enqueue(request);
        session.poll_transmit(unix_now(), &mut os_fill).ok_or(ClientError::NothingToSend)
    }

    /// Sends whatever the session has queued (acks, mostly), so that the next sealed request
    /// travels alone rather than in a container.
    pub async fn send_pending(&mut self) -> Result<(), ClientError> {
        self.flush().await
    }

    /// Like [`seal`](Self::seal), and also returns the request's id in the session, to await its
    /// answer with [`send_sealed`](Self::send_sealed).
    pub fn seal_request(&mut self, request: Vec<u8>) -> Result<(RequestId, Vec<u8>), ClientError> {
        let session = self.session.as_mut().ok_or(ClientError::NoKey)?;
        let id = session.enqueue(request);
        let packet = session.poll_transmit(unix_now(), &mut os_fill).ok_or(ClientError::NothingToSend)?;
        Ok((id, packet))
    }

    /// Sends a packet made by [`seal_request`](Self::seal_request) and returns the answer to
    /// `request`.
    pub async fn send_sealed(&mut self, request: RequestId, packet: &[u8]) -> Result<Vec<u8>, ClientError> {
        self.send_frame(packet).await?;
        self.answer_to(request).await
    }

    /// The next update the server pushes (one already received first), within the read timeout.
    pub async fn next_update(&mut self) -> Result<Vec<u8>, ClientError> {
        loop {
            if let Some(update) = self.updates.pop_front() {
                return Ok(update);
            }
            let frame = self.recv_frame().await?;
            let session = self.session.as_mut().ok_or(ClientError::NoKey)?;
            session.handle_packet(strip_padding(&frame), unix_now())?;
            while let Some(event) = session.poll_event() {
                if let Event::Update(body) = event {
                    self.updates.push_back(body);
                }
            }
            self.flush().await?;
        }
    }

    /// The user of `phone` as this client learns it: imported as a contact (its access hash is
    /// this account's).
    pub async fn import_contact(&mut self, phone: &str) -> Result<types::User, ClientError> {
        let contact = types::InputPhoneContact {
            client_id: 1,
            phone: phone.into(),
            first_name: "Friend".into(),
            last_name: String::new(),
            note: None,
        };
        let enums::contacts::ImportedContacts::ImportedContacts(imported) =
            self.invoke(&functions::contacts::ImportContacts { contacts: vec![contact.into()] }).await?;
        match imported.users.into_iter().next() {
            Some(enums::User::User(user)) => Ok(user),
            other => panic!("expected the imported user, got {other:?}"),
        }
    }

    /// Updates received and not yet taken.
    pub fn pending_updates(&self) -> usize {
        self.updates.len()
    }

    /// Reads until the answer to `request` arrives. A message the server refused (bad salt,
    /// clock) is queued again by the session and goes out with the acks after each packet.
    async fn answer_to(&mut self, request: RequestId) -> Result<Vec<u8>, ClientError> {
        loop {
            let frame = self.recv_frame().await?;
            let session = self.session.as_mut().ok_or(ClientError::NoKey)?;
            session.handle_packet(strip_padding(&frame), unix_now())?;
            if let Some(answer) = take_answer(session, request, &mut self.updates) {
                return answer;
            }
            self.flush().await?;
        }
    }

    /// Runs the key exchange against a server trusting `server_key`, and starts a session on the
    /// new key.
    pub async fn exchange_key(&mut self, server_key: &RsaPublicKey) -> Result<SavedKey, ClientError> {
        let config = ClientConfig::new(vec![server_key.clone()], self.dc_id);
        let (mut handshake, mut body) = ClientHandshake::start(config, &mut os_fill);
        let done: ClientDone = loop {
            let msg_id = self.plain_ids.next(unix_now(), IdKind::Client);
            self.send_frame(&plain::wrap(msg_id, &body)).await?;
            let answer = self.recv_frame().await?;
            let (_, answer) = plain::unwrap(strip_padding(&answer))?;
            match handshake.handle(answer, unix_now(), &mut os_fill)? {
                ClientStep::Send(next) => body = next,
                ClientStep::Done(done) => break done,
            }
        };
        let saved = SavedKey { key: done.auth_key, salt: done.first_salt, time_offset: i64::from(done.time_offset) };
        self.resume(&saved);
        Ok(saved)
    }

    /// Starts a new session on a key made earlier (possibly on another connection).
    pub fn resume(&mut self, saved: &SavedKey) {
        self.session = Some(ClientSession::new(saved.key.clone(), saved.salt, saved.time_offset, &mut os_fill));
        self.initialized = false;
    }

    /// The session, once there is a key.
    pub fn session(&self) -> Option<&ClientSession> {
        self.session.as_ref()
    }

    /// The session on the current key, to queue requests by hand.
    pub fn session_mut(&mut self) -> Option<&mut ClientSession> {
        self.session.as_mut()
    }

    /// Sends everything the session has queued (requests, resends, acks).
    async fn flush(&mut self) -> Result<(), ClientError> {
        let session = self.session.as_mut().ok_or(ClientError::NoKey)?;
        let packets: Vec<Vec<u8>> = std::iter::from_fn(|| session.poll_transmit(unix_now(), &mut os_fill)).collect();
        for packet in packets {
            self.send_frame(&packet).await?;
        }
        Ok(())
    }

    /// Invokes a serialized request and returns the serialized answer. The first call of a session
    /// is wrapped in `invokeWithLayer(initConnection(..))`, as clients do.
    pub async fn invoke_raw(&mut self, request: Vec<u8>) -> Result<Vec<u8>, ClientError> {
        let body = if self.initialized {
            request
        } else {
            self.initialized = true;
            functions::InvokeWithLayer { layer: self.layer, query: init_connection(RawQuery(request)) }.to_bytes()
        };
        let request = self.session.as_mut().ok_or(ClientError::NoKey)?.enqueue(body);
        self.flush().await?;
        self.answer_to(request).await
    }

    /// Invokes a typed request.
    pub async fn invoke<R: RemoteCall>(&mut self, request: &R) -> Result<R::Return, ClientError> {
        let answer = self.invoke_raw(request.to_bytes()).await?;
        Ok(R::Return::from_bytes_exact(&answer)?)
    }

    /// `auth.sendCode`, expecting `auth.sentCode`.
    pub async fn send_code(&mut self, phone: &str) -> Result<types::auth::SentCode, ClientError> {
        match self.invoke(&send_code_request(phone)).await? {
            enums::auth::SentCode::SentCode(sent) => Ok(sent),
            other => panic!("expected auth.sentCode, got {other:?}"),
        }
    }

    /// `auth.signIn` with the code.
    pub async fn sign_in(
        &mut self,
        phone: &str,
        hash: &str,
        code: Option<&str>,
    ) -> Result<enums::auth::Authorization, ClientError> {
        self.invoke(&sign_in_request(phone, hash, code)).await
    }

    /// `auth.signUp`.
    pub async fn sign_up(
        &mut self,
        phone: &str,
        hash: &str,
        first_name: &str,
    ) -> Result<enums::auth::Authorization, ClientError> {
        let request = functions::auth::SignUp {
            no_joined_notifications: false,
            phone_number: phone.into(),
            phone_code_hash: hash.into(),
            first_name: first_name.into(),
            last_name: String::new(),
        };
        self.invoke(&request).await
    }

    /// `users.getUsers([inputUserSelf])`: the signed-in user.
    pub async fn get_self(&mut self) -> Result<types::User, ClientError> {
        let users = self.invoke(&functions::users::GetUsers { id: vec![types::InputUserSelf {}.into()] }).await?;
        match users.into_iter().next() {
            Some(enums::User::User(user)) => Ok(user),
            other => panic!("expected the signed-in user, got {other:?}"),
        }
    }

    /// The whole login of a test-DC number (`99966XYYYY`, code `XXXXX`): sendCode, signIn, and
    /// signUp if the number is new. Returns the user.
    pub async fn log_in_test_number(&mut self, phone: &str, first_name: &str) -> Result<types::User, ClientError> {
        let code = test_code(phone);
        let sent = self.send_code(phone).await?;
        let user = match self.sign_in(phone, &sent.phone_code_hash, Some(&code)).await? {
            enums::auth::Authorization::SignUpRequired(_) => {
                authorized_user(self.sign_up(phone, &sent.phone_code_hash, first_name).await?)
            }
            auth => authorized_user(auth),
        };
        Ok(user)
    }
}

/// The answer to `request` among the session's events, if it came.
fn take_answer(
    session: &mut ClientSession,
    request: RequestId,
    updates: &mut std::collections::VecDeque<Vec<u8>>,
) -> Option<Result<Vec<u8>, ClientError>> {
    let mut answer = None;
    while let Some(event) = session.poll_event() {
        match event {
            Event::Update(body) => updates.push_back(body),
            Event::Result { request: r, result } if r == request => answer = Some(result.map_err(ClientError::Rpc)),
            Event::Rejected { request: r, error_code } if r == request => {
                answer = Some(Err(ClientError::Rejected(error_code)))
            }
            _ => {}
        }
    }
    answer
}

/// A connection reset or aborted by the peer counts as closed.
fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::BrokenPipe
    )
}

/// `initConnection` with fixed test values around `query`.
pub fn init_connection<X>(query: X) -> functions::InitConnection<X> {
    functions::InitConnection {
        api_id: API_ID,
        device_model: "raw test client".into(),
        system_version: std::env::consts::OS.into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        system_lang_code: "en".into(),
        lang_pack: String::new(),
        lang_code: "en".into(),
        proxy: None,
        params: None,
        query,
    }
}

/// `auth.sendCode` for `phone` with the test api_id/api_hash.
pub fn send_code_request(phone: &str) -> functions::auth::SendCode {
    functions::auth::SendCode {
        phone_number: phone.into(),
        api_id: API_ID,
        api_hash: API_HASH.into(),
        settings: types::CodeSettings::default().into(),
    }
}

/// `auth.signIn`.
pub fn sign_in_request(phone: &str, hash: &str, code: Option<&str>) -> functions::auth::SignIn {
    functions::auth::SignIn {
        phone_number: phone.into(),
        phone_code_hash: hash.into(),
        phone_code: code.map(Into::into),
        email_verification: None,
    }
}

/// The code of a test-DC number `99966XYYYY`: `X` five times.
pub fn test_code(phone: &str) -> String {
    let digit = phone.trim_start_matches('+').chars().nth(5).expect("a test-DC number has 10 digits");
    digit.to_string().repeat(5)
}

/// The user of an `auth.authorization`.
pub fn authorized_user(auth: enums::auth::Authorization) -> types::User {
    match auth {
        enums::auth::Authorization::Authorization(a) => match a.user {
            enums::User::User(u) => u,
            other => panic!("expected a user, got {other:?}"),
        },
        other => panic!("expected auth.authorization, got {other:?}"),
    }
}

/// Asserts that `result` is the RPC error `code message`.
#[track_caller]
pub fn assert_rpc_error<T: std::fmt::Debug>(result: Result<T, ClientError>, code: i32, message: &str) {
    match result {
        Err(e) => assert_eq!(e.rpc(), Some((code, message.to_string())), "wrong failure: {e}"),
        Ok(v) => panic!("expected {code} {message}, got {v:?}"),
    }
}
