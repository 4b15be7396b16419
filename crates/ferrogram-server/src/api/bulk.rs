//! Many private messages from one account to another at once, for load tests of a receiving
//! client: each is stored exactly as `messages.sendMessage` stores one (a copy in each box under
//! that box's next id, logged as `updateNewMessage` with that box's next pts, the dialogs kept up
//! to date), but a whole batch is written in one transaction and no request is decrypted,
//! recorded or answered, so producing them costs a fraction of sending them.

use ferrogram_tl::Serializable;

use super::delivery::{self, Outgoing, Place};
use super::Api;
use crate::store::StoreError;

/// One message of a batch as the receiver's box holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkMessage {
    /// Its id in the receiver's box.
    pub id: i32,
    /// The pts of the receiver's box it was logged under (one pts per message).
    pub pts: i32,
    /// The `updateShortMessage` (a boxed `Updates` of our layer) that tells the receiver's
    /// sessions of it: what a real sender's message pushes.
    pub push: Vec<u8>,
}

impl Api {
    /// Stores a message from `from` to `to` for each of `texts`, in this order and in one
    /// transaction, sent at `date` (Unix seconds); the receiver's copies take consecutive ids and
    /// consecutive pts. Returns the receiver's copies with the update each pushes. Both users must
    /// exist (the caller checks); nothing is pushed here.
    pub(crate) fn deliver_bulk(
        &self,
        from: i64,
        to: i64,
        texts: impl IntoIterator<Item = String>,
        date: i64,
    ) -> Result<Vec<BulkMessage>, StoreError> {
        let keep = self.config.update_log_limit;
        self.store.atomically("deliver messages in bulk", |tx| {
            let mut received = Vec::new();
            for text in texts {
                let out = Outgoing {
                    sender: from,
                    place: Place::Private(to),
                    date,
                    text,
                    entities: None,
                    silent: false,
                    fwd_from: None,
                    action: None,
                    reply_to: None,
                    random_id: None,
                };
                let delivered = delivery::deliver(tx, &out, &[to], keep)?;
                // The sender's copy comes first; to oneself (Saved Messages) it is the only one.
                let Some(copy) = delivered.iter().find(|d| d.owner == to) else { continue };
                let push = delivery::short_update(copy, date, Vec::new(), Vec::new()).to_bytes();
                received.push(BulkMessage { id: copy.id, pts: copy.pts, push });
            }
            Ok(received)
        })
    }
}
