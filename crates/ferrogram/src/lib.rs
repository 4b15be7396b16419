//! The ferrogram client: a Telegram MTProto client made from a session, an api id and an api hash.
#![forbid(unsafe_code)]
