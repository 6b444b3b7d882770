//! Local wall-clock time in the center's zone, with the DST choices made explicit.
//!
//! Times are stored in UTC and every rule is evaluated in the center's IANA zone.
//! A local time can fail to map to exactly one instant on DST-change days:
//! - **it does not exist** (spring forward, e.g. 02:30 in America/New_York): we take the first
//!   instant after the gap — the moment the clocks jump (03:00 EDT). A block "02:30–04:00" then
//!   starts at 03:00 and simply has less time in it; nothing is invented in the gap.
//! - **it happens twice** (fall back, e.g. 01:30): we take the *earlier* occurrence (01:30 EDT).
//!   A cutoff at 01:30 is therefore one well-defined instant, never "either".

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The one instant a local wall-clock time stands for, under the rules in the module docs.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return t.with_timezone(&Utc);
    }
    // Inside a gap: walk forward to the first minute that exists. Gaps are at most a few
    // hours in any real zone; the bound keeps a broken zone table from looping forever.
    for minutes in 1..=(48 * 60) {
        if let Some(t) = tz.from_local_datetime(&(local + Duration::minutes(minutes))).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    // Unreachable for real zones; fall back to reading the local time as UTC.
    Utc.from_utc_datetime(&local)
}

/// The instant of `time` on local `date`.
pub fn at_local(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    resolve_local(tz, date.and_time(time))
}

/// The local calendar date an instant falls on.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The first instant of a local day (local midnight, or the first instant after a gap at midnight).
pub fn start_of_local_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    at_local(tz, date, NaiveTime::MIN)
}

/// "3:30 PM" — how a time of day is shown to people.
pub fn clock_text(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%-I:%M %p").to_string()
}

/// "Tuesday, March 10" — how a day is shown to people.
pub fn day_text(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%A, %B %-d").to_string()
}

/// "today", "tomorrow", or the weekday and date, relative to `now`.
pub fn relative_day_text(tz: Tz, t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = local_date(tz, t);
    let today = local_date(tz, now);
    if d == today {
        "today".to_string()
    } else if Some(d) == today.succ_opt() {
        "tomorrow".to_string()
    } else {
        day_text(tz, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_time_in_the_spring_gap_becomes_the_jump() {
        // 2026-03-08: clocks go 02:00 EST -> 03:00 EDT (07:00 UTC).
        let t = resolve_local(New_York, naive("2026-03-08 02:30"));
        assert_eq!(t.to_rfc3339(), "2026-03-08T07:00:00+00:00");
    }

    #[test]
    fn a_repeated_fall_back_time_takes_the_first_occurrence() {
        // 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST).
        let t = resolve_local(New_York, naive("2026-11-01 01:30"));
        assert_eq!(t.to_rfc3339(), "2026-11-01T05:30:00+00:00");
    }

    #[test]
    fn ordinary_times_map_with_the_season_offset() {
        assert_eq!(resolve_local(New_York, naive("2026-01-15 09:00")).to_rfc3339(), "2026-01-15T14:00:00+00:00");
        assert_eq!(resolve_local(New_York, naive("2026-07-15 09:00")).to_rfc3339(), "2026-07-15T13:00:00+00:00");
    }

    #[test]
    fn words_for_people() {
        let t = resolve_local(New_York, naive("2026-03-10 15:30"));
        assert_eq!(clock_text(New_York, t), "3:30 PM");
        assert_eq!(day_text(New_York, t), "Tuesday, March 10");
        let now = resolve_local(New_York, naive("2026-03-09 23:00"));
        assert_eq!(relative_day_text(New_York, t, now), "tomorrow");
    }
}
