//! Every number of the center's rules, in one serde-loadable struct.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

/// Where a late cancellation may be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateCancelAt {
    /// The student may record it themselves at a kiosk.
    Kiosk,
    /// Only the front desk may record it; the kiosk explains and refers.
    FrontDesk,
}

/// The center's policy. Defaults are the rules table in `design.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Free self-cancel is open until `self_cancel_until` this many local days before the session.
    pub self_cancel_days_before: u32,
    /// Local wall-clock time (inclusive, to the minute) on that day when free self-cancel closes.
    #[serde(with = "hhmm")]
    pub self_cancel_until: NaiveTime,
    /// A later cancellation made at least this long before the start is recorded as late.
    pub late_cancel_min_minutes: u32,
    /// Whether a late cancellation may be made at the kiosk or only at the front desk.
    pub late_cancel: LateCancelAt,
    /// Check-in opens this many minutes before the start.
    pub check_in_opens_minutes: u32,
    /// A check-in more than this many minutes after the start is "late".
    pub late_after_minutes: u32,
    /// Not checked in this many minutes after the start: a no-show.
    pub no_show_after_minutes: u32,
    /// No-shows in one term that suspend booking.
    pub no_show_limit: u32,
    /// Director overrides allowed per student per term.
    pub overrides_per_term: u32,
    /// How far ahead a session may be booked.
    pub booking_horizon_days: u32,
    /// A session must be booked at least this long before it starts.
    pub booking_lead_minutes: u32,
    /// Upcoming bookings a student may hold at once.
    pub max_upcoming_bookings: u32,
    /// An open visit is signed out automatically after this long.
    pub auto_sign_out_minutes: u32,
    /// A drop-in queue entry still waiting after this long expires.
    pub drop_in_expire_minutes: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            self_cancel_days_before: 1,
            self_cancel_until: NaiveTime::from_hms_opt(23, 59, 0).expect("valid time"),
            late_cancel_min_minutes: 120,
            late_cancel: LateCancelAt::Kiosk,
            check_in_opens_minutes: 15,
            late_after_minutes: 5,
            no_show_after_minutes: 15,
            no_show_limit: 3,
            overrides_per_term: 1,
            booking_horizon_days: 14,
            booking_lead_minutes: 60,
            max_upcoming_bookings: 3,
            auto_sign_out_minutes: 240,
            drop_in_expire_minutes: 180,
        }
    }
}

impl Policy {
    /// Problems that make the policy unusable, in words (empty when it is fine).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.no_show_after_minutes < self.late_after_minutes {
            out.push("no_show_after_minutes must not be less than late_after_minutes".to_string());
        }
        if self.booking_horizon_days == 0 {
            out.push("booking_horizon_days must be at least 1".to_string());
        }
        if self.max_upcoming_bookings == 0 {
            out.push("max_upcoming_bookings must be at least 1".to_string());
        }
        if self.no_show_limit == 0 {
            out.push("no_show_limit must be at least 1".to_string());
        }
        out
    }
}

/// `"23:59"` on the wire and in config files.
mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let raw = String::deserialize(d)?;
        NaiveTime::parse_from_str(&raw, "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("\"{raw}\" is not a time like \"23:59\"")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_rules_table() {
        let p = Policy::default();
        assert_eq!(p.self_cancel_until.format("%H:%M").to_string(), "23:59");
        assert_eq!(p.late_cancel_min_minutes, 120);
        assert_eq!((p.check_in_opens_minutes, p.late_after_minutes, p.no_show_after_minutes), (15, 5, 15));
        assert_eq!((p.no_show_limit, p.overrides_per_term), (3, 1));
        assert_eq!((p.booking_horizon_days, p.booking_lead_minutes, p.max_upcoming_bookings), (14, 60, 3));
        assert!(p.problems().is_empty());
    }

    #[test]
    fn partial_policy_fills_defaults_and_rejects_unknown_keys() {
        let p: Policy =
            serde_json::from_str(r#"{"no_show_limit": 5, "self_cancel_until": "18:00", "late_cancel": "front_desk"}"#)
                .unwrap();
        assert_eq!(p.no_show_limit, 5);
        assert_eq!(p.late_cancel, LateCancelAt::FrontDesk);
        assert_eq!(p.self_cancel_until, NaiveTime::from_hms_opt(18, 0, 0).unwrap());
        assert_eq!(p.booking_horizon_days, 14);
        let err = serde_json::from_str::<Policy>(r#"{"no_show_limt": 5}"#).unwrap_err().to_string();
        assert!(err.contains("no_show_limt"), "{err}");
        let err = serde_json::from_str::<Policy>(r#"{"self_cancel_until": "late"}"#).unwrap_err().to_string();
        assert!(err.contains("not a time"), "{err}");
    }
}
