//! placeholder: generated Telegram API types (see tl-gen)
