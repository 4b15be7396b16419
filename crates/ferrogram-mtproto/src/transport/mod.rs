//! Transport framing.
