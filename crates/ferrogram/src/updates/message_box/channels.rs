//! Channel gaps, filled with `updates.getChannelDifference`
//! (<https://core.telegram.org/api/updates#recovering-gaps>).
//!
//! A channel's gap still open after [`GAP_WAIT`] makes that channel's
//! difference due ([`channel_difference_due`](MessageBox::channel_difference_due)). Asking for
//! it needs the channel's access hash, which the box does not know: the driver gives it to
//! [`channel_difference_request`](MessageBox::channel_difference_request) and the answer to
//! [`apply_channel_difference`](MessageBox::apply_channel_difference), or, when it cannot ask
//! (no hash, or the server refuses: the channel is gone or private now), closes the gap with
//! what was held ([`close_channel_gap`](MessageBox::close_channel_gap)).

use std::time::Duration;

use ferrogram_tl::{enums, functions, types};

use super::{Applied, Entry, MessageBox, GAP_WAIT};

/// How many messages one `updates.getChannelDifference` asks for (Telegram's clients ask 100
/// as a user, more as a bot; a slice that is not `final` is asked for again).
pub const CHANNEL_DIFFERENCE_LIMIT: i32 = 100;

impl MessageBox {
    /// A channel whose difference is due, if any (the lowest id first).
    pub fn channel_difference_due(&self) -> Option<i64> {
        self.channel_differences.iter().next().copied()
    }

    /// The `updates.getChannelDifference` for `channel_id`, named by its `access_hash`, from the
    /// channel's pts, for at most `limit` messages (at most [`CHANNEL_DIFFERENCE_LIMIT`]);
    /// `None` if its difference is not due.
    pub fn channel_difference_request(
        &self,
        channel_id: i64,
        access_hash: i64,
        limit: i32,
    ) -> Option<functions::updates::GetChannelDifference> {
        if !self.channel_differences.contains(&channel_id) {
            return None;
        }
        let pts = self.state.as_ref()?.channels.get(&channel_id).copied()?;
        Some(functions::updates::GetChannelDifference {
            force: false,
            channel: types::InputChannel { channel_id, access_hash }.into(),
            filter: types::ChannelMessagesFilterEmpty {}.into(),
            pts: pts.max(1),
            limit: limit.clamp(1, CHANNEL_DIFFERENCE_LIMIT),
        })
    }

    /// Takes the answer to [`channel_difference_request`](Self::channel_difference_request) at
    /// `now`: its messages and updates, then what was held behind the gap and applies after it.
    /// A slice that is not `final` leaves the difference due (from the slice's pts). A
    /// `channelDifferenceTooLong` moves the channel to the dialog's pts and says [`Applied::TooLong`]
    /// after the messages it carries (what the client shows of the channel must be reloaded).
    pub fn apply_channel_difference(
        &mut self,
        channel_id: i64,
        difference: enums::updates::ChannelDifference,
        now: Duration,
    ) -> Vec<Applied> {
        self.last_activity = now;
        let mut out = Vec::new();
        let Some(state) = self.state.as_mut() else { return out };
        let (pts, messages, others, done, too_long) = match difference {
            enums::updates::ChannelDifference::Empty(empty) => {
                (Some(empty.pts), Vec::new(), Vec::new(), empty.r#final, false)
            }
            enums::updates::ChannelDifference::ChannelDifference(d) => {
                (Some(d.pts), d.new_messages, d.other_updates, d.r#final, false)
            }
            enums::updates::ChannelDifference::TooLong(d) => {
                let enums::Dialog::Dialog(dialog) = &d.dialog else {
                    // A folder is no channel's dialog: nothing to go by but what was held.
                    self.channel_differences.remove(&channel_id);
                    return self.close_channel_gap(channel_id);
                };
                (dialog.pts, d.messages, Vec::new(), true, true)
            }
        };
        if let Some(pts) = pts {
            let local = state.channels.entry(channel_id).or_insert(pts);
            *local = (*local).max(pts);
        }
        for message in messages {
            let update = types::UpdateNewChannelMessage { message, pts: 0, pts_count: 0 };
            out.push(Applied::Update(Box::new(update.into())));
        }
        // The difference's own updates are covered by its pts.
        out.extend(others.into_iter().map(|update| Applied::Update(Box::new(update))));
        if too_long {
            out.push(Applied::TooLong);
        }
        if done {
            self.channel_differences.remove(&channel_id);
            let entry = Entry::Channel(channel_id);
            self.drain_gap(entry, &mut out);
            if let Some(gap) = self.gaps.get_mut(&entry) {
                // Still a hole past what the difference reached: wait again, then ask again.
                gap.deadline = now + GAP_WAIT;
            }
        }
        out
    }

    /// Gives up on `channel_id`'s difference: what was held behind its gap applies, in order
    /// (what is missing stays missing).
    pub fn close_channel_gap(&mut self, channel_id: i64) -> Vec<Applied> {
        self.channel_differences.remove(&channel_id);
        let mut out = Vec::new();
        let Some(mut gap) = self.gaps.remove(&Entry::Channel(channel_id)) else { return out };
        gap.held.sort_by_key(|h| h.pts);
        for held in gap.held {
            if let Some(state) = self.state.as_mut() {
                let local = state.channels.entry(channel_id).or_insert(0);
                if *local >= held.pts {
                    continue;
                }
                *local = held.pts;
            }
            out.extend(held.item);
        }
        out
    }
}
