//! A student's standing in a term: no-shows against the limit, and director overrides.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::model::Term;
use super::policy::Policy;
use super::time;

/// Whether a student may book. Drop-in help stays open either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Active {
        no_shows: u32,
    },
    /// Booking is suspended for the rest of the term, since the `count`-th no-show at `since`.
    BookingSuspended {
        count: u32,
        since: DateTime<Utc>,
    },
}

impl Standing {
    pub fn may_book(&self) -> bool {
        matches!(self, Standing::Active { .. })
    }
}

/// Facts about one student, all times in UTC; the term picks which ones count.
#[derive(Debug, Clone, Default)]
pub struct StudentRecord {
    /// Start times of sessions recorded as no-shows (excused ones are not listed).
    pub no_shows: Vec<DateTime<Utc>>,
    /// When director overrides were granted.
    pub overrides: Vec<DateTime<Utc>>,
}

fn in_term(t: DateTime<Utc>, term: &Term, tz: Tz) -> bool {
    term.contains(time::local_date(tz, t))
}

/// The student's standing in `term`. Counts start again each term.
///
/// An override restores booking for the rest of the term: once granted, later no-shows in the
/// same term are still counted (and shown to staff) but do not suspend again.
pub fn standing(record: &StudentRecord, term: &Term, tz: Tz, policy: &Policy) -> Standing {
    let mut no_shows: Vec<DateTime<Utc>> = record.no_shows.iter().copied().filter(|t| in_term(*t, term, tz)).collect();
    no_shows.sort();
    let count = u32::try_from(no_shows.len()).unwrap_or(u32::MAX);
    let limit = policy.no_show_limit.max(1);
    if count < limit {
        return Standing::Active { no_shows: count };
    }
    let since = no_shows[(limit - 1) as usize];
    let overridden = record.overrides.iter().any(|o| in_term(*o, term, tz) && *o >= since);
    if overridden { Standing::Active { no_shows: count } } else { Standing::BookingSuspended { count, since } }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideRefusal {
    NotSuspended,
    AlreadyUsedThisTerm,
}

impl OverrideRefusal {
    pub fn code(self) -> &'static str {
        match self {
            OverrideRefusal::NotSuspended => "not_suspended",
            OverrideRefusal::AlreadyUsedThisTerm => "override_already_used",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            OverrideRefusal::NotSuspended => {
                "This student's booking is not suspended, so there is nothing to override."
            }
            OverrideRefusal::AlreadyUsedThisTerm => "This student has already had the one override allowed this term.",
        }
    }
}

/// May a director override the suspension now?
pub fn check_override(record: &StudentRecord, term: &Term, tz: Tz, policy: &Policy) -> Result<(), OverrideRefusal> {
    if standing(record, term, tz, policy).may_book() {
        return Err(OverrideRefusal::NotSuspended);
    }
    let used = record.overrides.iter().filter(|o| in_term(**o, term, tz)).count();
    if used >= policy.overrides_per_term as usize {
        return Err(OverrideRefusal::AlreadyUsedThisTerm);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use chrono_tz::America::New_York;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fall() -> Term {
        Term {
            id: "fall".into(),
            name: "Fall 2026".into(),
            first_day: NaiveDate::from_ymd_opt(2026, 8, 24).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2026, 12, 18).unwrap(),
        }
    }

    #[test]
    fn the_third_no_show_suspends_and_the_override_lifts_it() {
        let p = Policy::default();
        let mut r = StudentRecord::default();
        r.no_shows.push(t("2026-09-01T14:00:00Z"));
        r.no_shows.push(t("2026-09-08T14:00:00Z"));
        assert_eq!(standing(&r, &fall(), New_York, &p), Standing::Active { no_shows: 2 });
        assert_eq!(check_override(&r, &fall(), New_York, &p), Err(OverrideRefusal::NotSuspended));

        r.no_shows.push(t("2026-09-15T14:00:00Z"));
        assert_eq!(
            standing(&r, &fall(), New_York, &p),
            Standing::BookingSuspended { count: 3, since: t("2026-09-15T14:00:00Z") }
        );
        assert_eq!(check_override(&r, &fall(), New_York, &p), Ok(()));

        r.overrides.push(t("2026-09-16T15:00:00Z"));
        assert!(standing(&r, &fall(), New_York, &p).may_book());
        // Booking stays open for the rest of the term, even after a 4th no-show.
        r.no_shows.push(t("2026-10-01T14:00:00Z"));
        assert_eq!(standing(&r, &fall(), New_York, &p), Standing::Active { no_shows: 4 });
    }

    #[test]
    fn a_second_override_in_the_same_term_is_refused() {
        let p = Policy { no_show_limit: 1, ..Policy::default() };
        let mut r = StudentRecord::default();
        r.no_shows.push(t("2026-09-01T14:00:00Z"));
        r.overrides.push(t("2026-08-30T15:00:00Z")); // granted before: does not lift this one
        assert!(!standing(&r, &fall(), New_York, &p).may_book());
        assert_eq!(check_override(&r, &fall(), New_York, &p), Err(OverrideRefusal::AlreadyUsedThisTerm));
    }

    #[test]
    fn the_term_boundary_resets_counts() {
        let p = Policy::default();
        let spring = Term {
            id: "spring".into(),
            name: "Spring 2027".into(),
            first_day: NaiveDate::from_ymd_opt(2027, 1, 11).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2027, 5, 7).unwrap(),
        };
        let r = StudentRecord {
            // The last one is 23:30 on Dec 18 local time (04:30 UTC on the 19th): still fall.
            no_shows: vec![t("2026-09-01T14:00:00Z"), t("2026-10-01T14:00:00Z"), t("2026-12-19T04:30:00Z")],
            overrides: vec![],
        };
        assert!(!standing(&r, &fall(), New_York, &p).may_book());
        assert_eq!(standing(&r, &spring, New_York, &p), Standing::Active { no_shows: 0 });
    }
}
