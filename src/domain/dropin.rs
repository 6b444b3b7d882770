//! The drop-in line: a rough wait, so a student can decide whether to stay.

/// Minutes one drop-in student takes on average.
pub const MINUTES_PER_STUDENT: u32 = 12;

/// About how long a student waits with `ahead` people before them and `helpers` tutors on
/// drop-in duty right now (at least one is assumed: someone at the desk always helps).
pub fn estimated_wait_minutes(ahead: u32, helpers: u32) -> u32 {
    ahead.saturating_mul(MINUTES_PER_STUDENT) / helpers.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_with_the_line_and_shrinks_with_helpers() {
        assert_eq!(estimated_wait_minutes(0, 2), 0, "first in line: next");
        assert_eq!(estimated_wait_minutes(3, 1), 36);
        assert_eq!(estimated_wait_minutes(3, 3), 12);
        assert_eq!(estimated_wait_minutes(3, 0), 36, "nobody on duty counts as one");
        assert_eq!(estimated_wait_minutes(u32::MAX, 1), u32::MAX, "no overflow");
    }
}
