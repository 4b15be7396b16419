//! Small conversions to the TL values of our layer.

/// A Unix time as the TL `int` dates are (saturating instead of wrapping).
pub(crate) fn clamp_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}
