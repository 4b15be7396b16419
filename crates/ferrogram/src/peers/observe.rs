//! Where the users and chats of an answer are: the `users` / `chats` vectors of the result
//! types that carry them most often, found by type without serializing anything again.

use std::any::Any;

use ferrogram_tl::enums;

/// The users and chats a value carries, borrowed.
pub type Mentioned<'a> = (&'a [enums::User], &'a [enums::Chat]);

const NONE: Mentioned<'static> = (&[], &[]);

/// The users and chats of an `Updates` (the short forms carry none).
pub fn of_updates(updates: &enums::Updates) -> Mentioned<'_> {
    match updates {
        enums::Updates::Updates(u) => (&u.users, &u.chats),
        enums::Updates::Combined(u) => (&u.users, &u.chats),
        _ => NONE,
    }
}

/// The users and chats of a history, search or `getMessages` answer.
pub fn of_messages(messages: &enums::messages::Messages) -> Mentioned<'_> {
    use enums::messages::Messages as M;
    match messages {
        M::Messages(m) => (&m.users, &m.chats),
        M::Slice(m) => (&m.users, &m.chats),
        M::ChannelMessages(m) => (&m.users, &m.chats),
        M::NotModified(_) => NONE,
    }
}

/// The users and chats of a `messages.getDialogs` answer.
pub fn of_dialogs(dialogs: &enums::messages::Dialogs) -> Mentioned<'_> {
    use enums::messages::Dialogs as D;
    match dialogs {
        D::Dialogs(d) => (&d.users, &d.chats),
        D::Slice(d) => (&d.users, &d.chats),
        D::NotModified(_) => NONE,
    }
}

/// The users and chats of an `updates.getDifference` answer.
pub fn of_difference(difference: &enums::updates::Difference) -> Mentioned<'_> {
    use enums::updates::Difference as D;
    match difference {
        D::Difference(d) => (&d.users, &d.chats),
        D::Slice(d) => (&d.users, &d.chats),
        _ => NONE,
    }
}

/// The users and chats of any answer of the common result types: updates, messages,
/// dialogs, differences, resolved usernames and phones, contacts, users, chats, full users and
/// chats, invited users, and a sign-in's user. Other types carry none as far as this looks.
pub fn of_any(value: &dyn Any) -> Mentioned<'_> {
    use enums::{contacts, messages, updates, users};
    if let Some(v) = value.downcast_ref::<enums::Updates>() {
        return of_updates(v);
    }
    if let Some(v) = value.downcast_ref::<messages::Messages>() {
        return of_messages(v);
    }
    if let Some(v) = value.downcast_ref::<messages::Dialogs>() {
        return of_dialogs(v);
    }
    if let Some(v) = value.downcast_ref::<updates::Difference>() {
        return of_difference(v);
    }
    if let Some(messages::PeerDialogs::PeerDialogs(v)) = value.downcast_ref() {
        return (&v.users, &v.chats);
    }
    if let Some(contacts::ResolvedPeer::ResolvedPeer(v)) = value.downcast_ref() {
        return (&v.users, &v.chats);
    }
    if let Some(contacts::Contacts::Contacts(v)) = value.downcast_ref() {
        return (&v.users, &[]);
    }
    if let Some(contacts::ImportedContacts::ImportedContacts(v)) = value.downcast_ref() {
        return (&v.users, &[]);
    }
    if let Some(contacts::Found::Found(v)) = value.downcast_ref() {
        return (&v.users, &v.chats);
    }
    if let Some(v) = value.downcast_ref::<Vec<enums::User>>() {
        return (v, &[]);
    }
    if let Some(users::UserFull::UserFull(v)) = value.downcast_ref() {
        return (&v.users, &v.chats);
    }
    if let Some(v) = value.downcast_ref::<messages::Chats>() {
        return match v {
            messages::Chats::Chats(c) => (&[], &c.chats),
            messages::Chats::Slice(c) => (&[], &c.chats),
        };
    }
    if let Some(messages::ChatFull::ChatFull(v)) = value.downcast_ref() {
        return (&v.users, &v.chats);
    }
    if let Some(messages::InvitedUsers::InvitedUsers(v)) = value.downcast_ref() {
        return of_updates(&v.updates);
    }
    if let Some(enums::auth::Authorization::Authorization(v)) = value.downcast_ref() {
        return (std::slice::from_ref(&v.user), &[]);
    }
    NONE
}
