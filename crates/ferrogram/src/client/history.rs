//! [`MessageIter`]: a chat's history (or a search in it) as a `Stream`, page by page with
//! Telegram's offsets (<https://core.telegram.org/api/offsets>).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrogram_tl::{enums, functions, types};

use super::messages::messages_of;
use super::{ApiError, Client};
use crate::errors::InvocationError;
use crate::peers::PeerRef;
use crate::updates::Message;

/// The most messages one `messages.getHistory` / `messages.search` returns.
const PAGE: i32 = 100;

/// The messages of a chat, newest first (or oldest first with [`reverse`](Self::reverse)), as
/// a [`Stream`](futures_core::Stream) of `Result<Message, ApiError>`; made by
/// [`Client::iter_messages`] or [`Client::search_messages`], adjusted with its builder methods
/// before the first message is asked for.
///
/// It asks for at most 100 messages a call, each call starting where the last ended, until
/// the chat (or [`limit`](Self::limit)) is exhausted, so every message comes once even in a
/// long history. Besides the `Stream` trait, [`next`](Self::next) takes the next message
/// without any other crate. An error ends the stream after it is returned.
pub struct MessageIter {
    client: Client,
    peer: Option<PeerRef>,
    input: Option<enums::InputPeer>,
    query: Option<String>,
    limit: Option<usize>,
    offset_id: i32,
    min_id: i32,
    max_id: i32,
    reverse: bool,
    /// Where the next page starts: below it (newest first), or from it up (reverse).
    cursor: Option<i32>,
    yielded: usize,
    total: Option<i32>,
    buffer: VecDeque<Message>,
    done: bool,
    /// The page being fetched, and how many messages it asked for.
    fetch: Option<(Fetch, i32)>,
}

/// A page being fetched.
type PageFuture = Pin<Box<dyn Future<Output = Result<Page, ApiError>> + Send>>;

/// How a page is being fetched: polled here (the first page), or on its own task while the
/// caller takes the page before it (every later one), so that reading and fetching overlap.
enum Fetch {
    Here(PageFuture),
    Ahead(tokio::task::JoinHandle<Result<Page, ApiError>>),
}

impl Drop for MessageIter {
    /// A page fetched ahead is not needed any more.
    fn drop(&mut self) {
        if let Some((Fetch::Ahead(task), _)) = &self.fetch {
            task.abort();
        }
    }
}

/// One answer: the peer it was asked for, its messages as the server ordered them (newest
/// first), and the total the server counted (`None` when the answer held everything).
struct Page {
    input: enums::InputPeer,
    messages: Vec<Message>,
    total: Option<i32>,
}

impl std::fmt::Debug for MessageIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageIter")
            .field("peer", &self.peer)
            .field("query", &self.query)
            .field("limit", &self.limit)
            .field("reverse", &self.reverse)
            .field("yielded", &self.yielded)
            .finish_non_exhaustive()
    }
}

impl MessageIter {
    fn new(client: Client, peer: PeerRef, query: Option<String>) -> MessageIter {
        MessageIter {
            client,
            peer: Some(peer),
            input: None,
            query,
            limit: None,
            offset_id: 0,
            min_id: 0,
            max_id: 0,
            reverse: false,
            cursor: None,
            yielded: 0,
            total: None,
            buffer: VecDeque::new(),
            done: false,
            fetch: None,
        }
    }

    /// Stops after `limit` messages (all of them by default).
    pub fn limit(mut self, limit: usize) -> MessageIter {
        self.limit = Some(limit);
        self
    }

    /// Starts below message `id` (newest first), or above it (with [`reverse`](Self::reverse));
    /// `id` itself is not included.
    pub fn offset_id(mut self, id: i32) -> MessageIter {
        self.offset_id = id.max(0);
        self
    }

    /// Only messages with an id above `id`.
    pub fn min_id(mut self, id: i32) -> MessageIter {
        self.min_id = id.max(0);
        self
    }

    /// Only messages with an id below `id`.
    pub fn max_id(mut self, id: i32) -> MessageIter {
        self.max_id = id.max(0);
        self
    }

    /// Oldest first (Telethon's `reverse=True`) instead of newest first.
    pub fn reverse(mut self, reverse: bool) -> MessageIter {
        self.reverse = reverse;
        self
    }

    /// How many messages the chat (or the search) has in all, as the server counted them with
    /// the first page; `None` before it.
    pub fn total(&self) -> Option<i32> {
        self.total
    }

    /// The next message, `None` at the end.
    pub async fn next(&mut self) -> Option<Result<Message, ApiError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_message(cx)).await
    }

    /// How many more messages may be asked for in the next page.
    fn page_size(&self) -> i32 {
        match self.limit {
            Some(limit) => (limit.saturating_sub(self.yielded + self.buffer.len())).min(PAGE as usize) as i32,
            None => PAGE,
        }
    }

    fn start_fetch(&mut self) -> PageFuture {
        let client = self.client.clone();
        let peer = self.peer.clone();
        let input = self.input.clone();
        let query = self.query.clone();
        let (limit, min_id, max_id) = (self.page_size(), self.min_id, self.max_id);
        let (offset_id, add_offset) = match (self.reverse, self.cursor) {
            // Reverse: the `limit` messages from the cursor up (`id >= cursor`).
            (true, cursor) => (cursor.unwrap_or(self.offset_id.max(self.min_id) + 1), -limit),
            (false, cursor) => (cursor.unwrap_or(self.offset_id), 0),
        };
        // After the first page, the bounds also exclude what was already read: the same
        // messages come, and the server counts (and skips) only the rest.
        let (min_id, max_id) = match (self.reverse, self.cursor) {
            (true, Some(cursor)) => (min_id.max(cursor - 1), max_id),
            (false, Some(cursor)) if cursor > 0 => (min_id, if max_id > 0 { max_id.min(cursor) } else { cursor }),
            _ => (min_id, max_id),
        };
        Box::pin(async move {
            let input = match input {
                Some(input) => input,
                None => client.resolve_peer(peer.unwrap_or(PeerRef::Me)).await?,
            };
            let answer = match query {
                None => {
                    let request = functions::messages::GetHistory {
                        peer: input.clone(),
                        offset_id,
                        offset_date: 0,
                        add_offset,
                        limit,
                        max_id,
                        min_id,
                        hash: 0,
                    };
                    client.invoke(&request).await?
                }
                Some(q) => {
                    let request = functions::messages::Search {
                        peer: input.clone(),
                        q,
                        from_id: None,
                        saved_peer_id: None,
                        saved_reaction: None,
                        top_msg_id: None,
                        filter: types::InputMessagesFilterEmpty {}.into(),
                        min_date: 0,
                        max_date: 0,
                        offset_id,
                        add_offset,
                        limit,
                        max_id,
                        min_id,
                        hash: 0,
                    };
                    client.invoke(&request).await?
                }
            };
            let total = match &answer {
                enums::messages::Messages::Slice(s) => Some(s.count),
                enums::messages::Messages::ChannelMessages(c) => Some(c.count),
                _ => None,
            };
            let messages = messages_of(answer, client.self_id());
            Ok(Page { input, messages, total })
        })
    }

    /// Takes a page: queues its messages in the order they are handed out, moves the cursor,
    /// and ends the stream when the chat has no more.
    fn take_page(&mut self, page: Page, asked: i32) {
        self.input = Some(page.input);
        self.peer = None;
        let complete = page.total.is_none();
        self.total = Some(page.total.unwrap_or(page.messages.len() as i32).max(self.total.unwrap_or(0)));
        let got = page.messages.len();
        let mut messages = page.messages;
        if self.reverse {
            messages.reverse();
        }
        // Whatever the server sent, each page must move past the last: ids strictly
        // decreasing (newest first) or increasing (reverse), within the bounds asked.
        let (min, max) = (self.min_id, if self.max_id > 0 { self.max_id } else { i32::MAX });
        let mut last = self.cursor;
        for message in messages {
            let beyond_cursor = match (self.reverse, last) {
                (true, Some(at)) => message.id < at,
                (false, Some(at)) => at > 0 && message.id >= at,
                (_, None) => false,
            };
            if beyond_cursor || message.id <= min || message.id >= max {
                continue;
            }
            last = Some(if self.reverse { message.id + 1 } else { message.id });
            self.buffer.push_back(message);
        }
        let moved = last != self.cursor;
        self.cursor = last;
        if complete || got < asked as usize || !moved {
            self.done = true;
        }
        // The next page is known now: fetch it while the caller takes this one (one page
        // ahead at most, so memory stays at two pages).
        if !self.done && self.page_size() > 0 {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let asked = self.page_size();
                self.fetch = Some((Fetch::Ahead(runtime.spawn(self.start_fetch())), asked));
            }
        }
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, ApiError>>> {
        loop {
            if self.limit.is_some_and(|limit| self.yielded >= limit) {
                self.buffer.clear();
                return Poll::Ready(None);
            }
            if let Some(message) = self.buffer.pop_front() {
                self.yielded += 1;
                return Poll::Ready(Some(Ok(message)));
            }
            if self.done || self.page_size() == 0 {
                return Poll::Ready(None);
            }
            if self.fetch.is_none() {
                self.fetch = Some((Fetch::Here(self.start_fetch()), self.page_size()));
            }
            let Some((fetch, asked)) = self.fetch.as_mut() else { return Poll::Ready(None) };
            let asked = *asked;
            let page = match fetch {
                Fetch::Here(future) => match future.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(page) => page,
                },
                Fetch::Ahead(task) => match Pin::new(task).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    // The task cannot be cancelled while this holds it; it ends only by
                    // returning, or by a panic inside the call, which loses the answer.
                    Poll::Ready(joined) => joined.unwrap_or(Err(ApiError::Invocation(InvocationError::Dropped))),
                },
            };
            self.fetch = None;
            match page {
                Ok(page) => self.take_page(page, asked),
                Err(error) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
    }
}

impl futures_core::Stream for MessageIter {
    type Item = Result<Message, ApiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_message(cx)
    }
}

impl Client {
    /// The messages of `peer`, newest first, as a stream; adjust it with
    /// [`limit`](MessageIter::limit), [`offset_id`](MessageIter::offset_id),
    /// [`min_id`](MessageIter::min_id), [`max_id`](MessageIter::max_id) and
    /// [`reverse`](MessageIter::reverse) (oldest first).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let mut history = client.iter_messages("@ann").limit(50);
    /// while let Some(message) = history.next().await {
    ///     let message = message?;
    ///     println!("{}: {}", message.id, message.text);
    /// }
    /// // The whole chat, oldest first.
    /// let mut all = client.iter_messages("me").reverse(true);
    /// while let Some(message) = all.next().await {
    ///     println!("{}", message?.text);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn iter_messages(&self, peer: impl Into<PeerRef>) -> MessageIter {
        MessageIter::new(self.clone(), peer.into(), None)
    }

    /// The messages of `peer` whose text contains `query` (any case), newest first, as a
    /// stream with the builder of [`iter_messages`](Self::iter_messages).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let mut found = client.search_messages("@ann", "invoice").limit(10);
    /// while let Some(message) = found.next().await {
    ///     println!("{}", message?.text);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn search_messages(&self, peer: impl Into<PeerRef>, query: impl Into<String>) -> MessageIter {
        MessageIter::new(self.clone(), peer.into(), Some(query.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::updates::Peer;
    use crate::{ClientConfig, MemorySession};

    fn message(id: i32) -> Message {
        Message {
            id,
            peer: Peer::User(1),
            sender_id: Some(1),
            text: String::new(),
            date: 0,
            edit_date: None,
            out: false,
            reply_to: None,
            entities: Vec::new(),
            forwarded_from: None,
            raw: None,
        }
    }

    fn page(ids: &[i32], total: Option<i32>) -> Page {
        Page { input: types::InputPeerSelf {}.into(), messages: ids.iter().map(|&id| message(id)).collect(), total }
    }

    /// A history of a client that never connects. The tests run outside a tokio runtime, so
    /// no page is fetched ahead (which would try to reach the default DCs).
    fn iter() -> MessageIter {
        Client::new(MemorySession::new(), 1, "hash", ClientConfig::default()).iter_messages("me")
    }

    fn buffered(iter: &MessageIter) -> Vec<i32> {
        iter.buffer.iter().map(|m| m.id).collect()
    }

    #[test]
    fn a_server_repeating_a_page_cannot_make_the_history_loop() {
        let mut history = iter();
        history.take_page(page(&[10, 9, 8], Some(100)), 3);
        assert_eq!((buffered(&history), history.cursor, history.done), (vec![10, 9, 8], Some(8), false));
        history.buffer.clear();
        // The same page again, and one that goes back up: nothing new, and the stream ends.
        history.take_page(page(&[10, 9, 8], Some(100)), 3);
        assert!(buffered(&history).is_empty());
        assert!(history.done);
    }

    #[test]
    fn reverse_pages_come_oldest_first_and_move_up() {
        let mut history = iter().reverse(true);
        history.take_page(page(&[3, 2, 1], Some(10)), 3);
        assert_eq!((buffered(&history), history.cursor), (vec![1, 2, 3], Some(4)));
        history.buffer.clear();
        // Ids below the cursor (already read) are dropped.
        history.take_page(page(&[5, 4, 2], Some(10)), 3);
        assert_eq!(buffered(&history), vec![4, 5]);
    }

    #[test]
    fn a_short_or_complete_page_is_the_last() {
        let mut history = iter();
        history.take_page(page(&[5, 4], Some(100)), 3);
        assert!(history.done, "fewer than asked");
        let mut history = iter();
        history.take_page(page(&[5, 4, 3], None), 3);
        assert!(history.done, "the server said it sent everything");
        assert_eq!(history.total(), Some(3));
    }

    #[test]
    fn bounds_filter_what_the_server_sends_anyway() {
        let mut history = iter().min_id(3).max_id(9);
        history.take_page(page(&[10, 9, 8, 4, 3, 2], Some(100)), 6);
        assert_eq!(buffered(&history), vec![8, 4]);
    }
}
