//! [`Dialog`] and [`DialogIter`]: the account's chat list, page by page
//! (<https://core.telegram.org/api/offsets>).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrogram_tl::{enums, functions, types};

use super::{ApiError, Client};
use crate::updates::{Message, Peer};

/// The most dialogs one `messages.getDialogs` returns.
const PAGE: i32 = 100;

/// One chat of the account's chat list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Dialog {
    /// The chat.
    pub peer: Peer,
    /// Its newest message, when the server sent it.
    pub top_message: Option<Message>,
    /// Whether it is pinned to the top of the list.
    pub pinned: bool,
    /// How many incoming messages are unread.
    pub unread_count: i32,
    /// Incoming messages up to this id are read.
    pub read_inbox_max_id: i32,
    /// Outgoing messages up to this id were read by the other side.
    pub read_outbox_max_id: i32,
    /// The dialog as the server sent it.
    pub raw: types::Dialog,
}

/// The account's dialogs, pinned first and then by their newest message, as a
/// [`Stream`](futures_core::Stream) of `Result<Dialog, ApiError>`; made by
/// [`Client::iter_dialogs`]. Pages of up to 100 follow each other by the offset of the last
/// dialog (its top message's date and id), so each dialog comes once; an error ends the stream
/// after it is returned.
pub struct DialogIter {
    client: Client,
    limit: Option<usize>,
    /// The (date, id) of the last top message handed out, and its peer: the next page's offset.
    offset: Option<(i32, i32, Peer)>,
    yielded: usize,
    buffer: VecDeque<Dialog>,
    done: bool,
    fetch: Option<PageFuture>,
}

/// A page being fetched: its dialogs, and whether the server said they are all there are.
type PageFuture = Pin<Box<dyn Future<Output = Result<(Vec<Dialog>, bool), ApiError>> + Send>>;

impl std::fmt::Debug for DialogIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialogIter").field("limit", &self.limit).field("yielded", &self.yielded).finish_non_exhaustive()
    }
}

impl DialogIter {
    /// Stops after `limit` dialogs (all of them by default).
    pub fn limit(mut self, limit: usize) -> DialogIter {
        self.limit = Some(limit);
        self
    }

    /// The next dialog, `None` at the end.
    pub async fn next(&mut self) -> Option<Result<Dialog, ApiError>> {
        std::future::poll_fn(|cx| self.poll_dialog(cx)).await
    }

    fn page_size(&self) -> i32 {
        match self.limit {
            Some(limit) => (limit.saturating_sub(self.yielded + self.buffer.len())).min(PAGE as usize) as i32,
            None => PAGE,
        }
    }

    fn start_fetch(&self) -> PageFuture {
        let client = self.client.clone();
        let limit = self.page_size();
        let offset = self.offset;
        Box::pin(async move {
            let (offset_date, offset_id, offset_peer) = match offset {
                Some((date, id, peer)) => {
                    let input = client.resolve_peer(peer).await.unwrap_or_else(|_| types::InputPeerEmpty {}.into());
                    (date, id, input)
                }
                None => (0, 0, types::InputPeerEmpty {}.into()),
            };
            let request = functions::messages::GetDialogs {
                exclude_pinned: false,
                folder_id: None,
                offset_date,
                offset_id,
                offset_peer,
                limit,
                hash: 0,
            };
            let answer = client.invoke(&request).await?;
            let (dialogs, messages, complete) = match answer {
                enums::messages::Dialogs::Dialogs(d) => (d.dialogs, d.messages, true),
                enums::messages::Dialogs::Slice(d) => (d.dialogs, d.messages, false),
                enums::messages::Dialogs::NotModified(_) => (Vec::new(), Vec::new(), true),
            };
            let self_id = client.self_id();
            let messages: Vec<Message> = messages.iter().filter_map(|m| Message::from_tl(m, self_id)).collect();
            let dialogs = dialogs
                .into_iter()
                .filter_map(|d| match d {
                    enums::Dialog::Dialog(d) => Some(d),
                    _ => None,
                })
                .map(|raw| {
                    let peer = Peer::from_tl(&raw.peer);
                    let top_message = messages.iter().find(|m| m.peer == peer && m.id == raw.top_message).cloned();
                    Dialog {
                        peer,
                        top_message,
                        pinned: raw.pinned,
                        unread_count: raw.unread_count,
                        read_inbox_max_id: raw.read_inbox_max_id,
                        read_outbox_max_id: raw.read_outbox_max_id,
                        raw,
                    }
                })
                .collect();
            Ok((dialogs, complete))
        })
    }

    fn take_page(&mut self, dialogs: Vec<Dialog>, complete: bool, asked: i32) {
        let got = dialogs.len();
        let before = self.offset;
        for dialog in dialogs {
            let at = dialog.top_message.as_ref().map_or((0, dialog.raw.top_message), |m| (m.date, m.id));
            // After the first page every dialog must be older than the offset: a server that
            // repeats one cannot make the list loop.
            if let Some((date, id, _)) = before {
                if at >= (date, id) {
                    continue;
                }
            }
            if !dialog.pinned || before.is_some() {
                self.offset = Some((at.0, at.1, dialog.peer));
            }
            self.buffer.push_back(dialog);
        }
        if complete || got < asked as usize || self.offset == before {
            self.done = true;
        }
    }

    fn poll_dialog(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Dialog, ApiError>>> {
        loop {
            if self.limit.is_some_and(|limit| self.yielded >= limit) {
                return Poll::Ready(None);
            }
            if let Some(dialog) = self.buffer.pop_front() {
                self.yielded += 1;
                return Poll::Ready(Some(Ok(dialog)));
            }
            if self.done || self.page_size() == 0 {
                return Poll::Ready(None);
            }
            let asked = self.page_size();
            if self.fetch.is_none() {
                self.fetch = Some(self.start_fetch());
            }
            let Some(fetch) = self.fetch.as_mut() else { return Poll::Ready(None) };
            let page = match fetch.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(page) => page,
            };
            self.fetch = None;
            match page {
                Ok((dialogs, complete)) => self.take_page(dialogs, complete, asked),
                Err(error) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
    }
}

impl futures_core::Stream for DialogIter {
    type Item = Result<Dialog, ApiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_dialog(cx)
    }
}

impl Client {
    /// The account's dialogs (chat list), pinned first, then the rest newest first, as a
    /// stream; [`limit`](DialogIter::limit) stops early. The users and chats of every page join
    /// the peer cache, so afterwards every chat can be named by id.
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let mut dialogs = client.iter_dialogs();
    /// while let Some(dialog) = dialogs.next().await {
    ///     let dialog = dialog?;
    ///     println!("{:?}: {} unread", dialog.peer, dialog.unread_count);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn iter_dialogs(&self) -> DialogIter {
        DialogIter {
            client: self.clone(),
            limit: None,
            offset: None,
            yielded: 0,
            buffer: VecDeque::new(),
            done: false,
            fetch: None,
        }
    }
}
