//! Reading through the wrappers clients put around a call
//! (<https://core.telegram.org/api/invoking>): `invokeWithLayer`, `initConnection`,
//! `invokeWithoutUpdates` and `invokeAfterMsg`, nested in any order.

use ferrogram_tl::{functions, Deserializable, Identifiable, RawQuery};

/// Most wrappers read through; a call nested deeper is treated as malformed.
const MAX_WRAPPERS: usize = 8;

/// What the wrappers of a call say, and the method inside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InnermostCall {
    /// The constructor id of the method inside every wrapper.
    pub method_id: u32,
    /// Whether one of the wrappers is `invokeWithoutUpdates`: the call does not subscribe its
    /// session to updates.
    pub without_updates: bool,
}

/// The method inside `body`'s wrappers, or `None` if a wrapper does not parse or they nest more
/// than eight deep.
pub fn innermost_call(body: &[u8]) -> Option<InnermostCall> {
    let mut current = body.to_vec();
    let mut without_updates = false;
    for _ in 0..MAX_WRAPPERS {
        let id = u32::from_le_bytes(current.get(..4)?.try_into().ok()?);
        let inner = match id {
            functions::InvokeWithLayer::<RawQuery>::CONSTRUCTOR_ID => {
                functions::InvokeWithLayer::<RawQuery>::from_bytes(&current).ok()?.query
            }
            functions::InitConnection::<RawQuery>::CONSTRUCTOR_ID => {
                functions::InitConnection::<RawQuery>::from_bytes(&current).ok()?.query
            }
            functions::InvokeWithoutUpdates::<RawQuery>::CONSTRUCTOR_ID => {
                without_updates = true;
                functions::InvokeWithoutUpdates::<RawQuery>::from_bytes(&current).ok()?.query
            }
            functions::InvokeAfterMsg::<RawQuery>::CONSTRUCTOR_ID => {
                functions::InvokeAfterMsg::<RawQuery>::from_bytes(&current).ok()?.query
            }
            _ => return Some(InnermostCall { method_id: id, without_updates }),
        };
        current = inner.0;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrogram_tl::Serializable;

    fn nearest_dc() -> Vec<u8> {
        functions::help::GetNearestDc {}.to_bytes()
    }

    #[test]
    fn the_method_is_found_through_nested_wrappers_and_without_updates_anywhere_counts() {
        let id = functions::help::GetNearestDc::CONSTRUCTOR_ID;
        assert_eq!(innermost_call(&nearest_dc()), Some(InnermostCall { method_id: id, without_updates: false }));
        let quiet = functions::InvokeWithoutUpdates { query: RawQuery(nearest_dc()) }.to_bytes();
        let layered = functions::InvokeWithLayer { layer: 230, query: RawQuery(quiet) }.to_bytes();
        assert_eq!(innermost_call(&layered), Some(InnermostCall { method_id: id, without_updates: true }));
    }

    #[test]
    fn too_deep_or_malformed_wrappers_are_none() {
        let mut body = nearest_dc();
        for _ in 0..MAX_WRAPPERS {
            body = functions::InvokeWithLayer { layer: 230, query: RawQuery(body) }.to_bytes();
        }
        assert_eq!(innermost_call(&body), None);
        let cut = functions::InvokeWithLayer { layer: 230, query: RawQuery(nearest_dc()) }.to_bytes();
        assert_eq!(innermost_call(&cut[..6]), None);
        assert_eq!(innermost_call(&[1, 2]), None);
    }
}
