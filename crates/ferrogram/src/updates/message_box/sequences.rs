//! Which sequence an update is numbered in, and the local value of each.

use ferrogram_tl::enums;

use crate::updates::state::UpdateState;

/// A sequence updates are numbered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entry {
    /// The common message box (`pts`): private chats and basic groups.
    Common,
    /// The secondary sequence (`qts`).
    Secondary,
    /// One channel's or supergroup's message box (`pts`).
    Channel(i64),
}

/// Whether the common difference covers `entry` (channels have their own).
pub(super) fn entry_in_difference(entry: Entry) -> bool {
    matches!(entry, Entry::Common | Entry::Secondary)
}

pub(super) fn local_of(state: &UpdateState, entry: Entry) -> i32 {
    match entry {
        Entry::Common => state.pts,
        Entry::Secondary => state.qts,
        Entry::Channel(id) => state.channels.get(&id).copied().unwrap_or(0),
    }
}

pub(super) fn set_local(state: &mut UpdateState, entry: Entry, value: i32) {
    match entry {
        Entry::Common => state.pts = value,
        Entry::Secondary => state.qts = value,
        Entry::Channel(id) => {
            state.channels.insert(id, value);
        }
    }
}

/// The sequence an update is numbered in, with its remote value and count.
pub fn sequence_of(update: &enums::Update) -> Option<(Entry, i32, i32)> {
    use enums::Update as U;
    let common = |pts, count| Some((Entry::Common, pts, count));
    let channel = |id, pts, count| Some((Entry::Channel(id), pts, count));
    let secondary = |qts| Some((Entry::Secondary, qts, 1));
    match update {
        U::NewMessage(u) => common(u.pts, u.pts_count),
        U::DeleteMessages(u) => common(u.pts, u.pts_count),
        U::EditMessage(u) => common(u.pts, u.pts_count),
        U::ReadHistoryInbox(u) => common(u.pts, u.pts_count),
        U::ReadHistoryOutbox(u) => common(u.pts, u.pts_count),
        U::ReadMessagesContents(u) => common(u.pts, u.pts_count),
        U::WebPage(u) => common(u.pts, u.pts_count),
        U::PinnedMessages(u) => common(u.pts, u.pts_count),
        U::FolderPeers(u) => common(u.pts, u.pts_count),
        U::NewChannelMessage(u) => channel(channel_of(&u.message)?, u.pts, u.pts_count),
        U::EditChannelMessage(u) => channel(channel_of(&u.message)?, u.pts, u.pts_count),
        U::DeleteChannelMessages(u) => channel(u.channel_id, u.pts, u.pts_count),
        U::PinnedChannelMessages(u) => channel(u.channel_id, u.pts, u.pts_count),
        U::ChannelWebPage(u) => channel(u.channel_id, u.pts, u.pts_count),
        U::NewEncryptedMessage(u) => secondary(u.qts),
        U::BotStopped(u) => secondary(u.qts),
        U::ChatParticipant(u) => secondary(u.qts),
        U::ChannelParticipant(u) => secondary(u.qts),
        _ => None,
    }
}

/// The channel a message is in.
fn channel_of(message: &enums::Message) -> Option<i64> {
    let peer = match message {
        enums::Message::Message(m) => Some(&m.peer_id),
        enums::Message::Service(m) => Some(&m.peer_id),
        enums::Message::Empty(m) => m.peer_id.as_ref(),
    };
    match peer? {
        enums::Peer::Channel(c) => Some(c.channel_id),
        _ => None,
    }
}

/// Whether every numbered update of `updates` is at or below `state` (and there is one).
pub(super) fn predates(updates: &enums::Updates, state: &UpdateState) -> bool {
    let at_or_below =
        |update: &enums::Update| sequence_of(update).is_some_and(|(entry, pts, _)| pts <= local_of(state, entry));
    let all = |updates: &[enums::Update]| {
        let numbered: Vec<&enums::Update> = updates.iter().filter(|u| sequence_of(u).is_some()).collect();
        !numbered.is_empty() && numbered.into_iter().all(at_or_below)
    };
    match updates {
        enums::Updates::TooLong(_) => false,
        enums::Updates::UpdateShortMessage(m) => m.pts <= state.pts,
        enums::Updates::UpdateShortChatMessage(m) => m.pts <= state.pts,
        enums::Updates::UpdateShortSentMessage(m) => m.pts <= state.pts,
        enums::Updates::UpdateShort(short) => at_or_below(&short.update),
        enums::Updates::Updates(u) => (u.seq != 0 && u.seq <= state.seq) || (u.seq == 0 && all(&u.updates)),
        enums::Updates::Combined(u) => (u.seq != 0 && u.seq <= state.seq) || (u.seq == 0 && all(&u.updates)),
    }
}
