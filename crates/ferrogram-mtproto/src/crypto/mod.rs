//! Cryptographic primitives of MTProto 2.0.
