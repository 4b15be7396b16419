//! The `ferrogram` command.
fn main() {}
