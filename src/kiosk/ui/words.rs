//! Every code the server or the kiosk can produce, as a plain sentence for the screen.
//! The screen never shows a code or a Rust error.

/// The sentence for `code`; the server's own sentence is used only if it reads like one.
pub fn for_code(code: &str, server_message: &str) -> String {
    let fixed = match code {
        "unknown_card" => "We couldn't find that card. Please type your student number, or ask at the front desk.",
        "session_expired" => "Your sign-in timed out. Please start again.",
        "not_checked_in" => "You're not checked in right now.",
        "not_in_line" => "You're not in the drop-in line right now.",
        "unknown_course" => "That course isn't offered here any more. Please pick another.",
        "unknown_profile" => "That tutor is no longer listed. Please pick another.",
        "unknown_appointment" => "We couldn't find that session. It may have been changed at the front desk.",
        "wrong_credentials" => "That PIN doesn't match. Please try again.",
        "locked_out" => "Too many tries. Please wait a few minutes, or ask at the front desk.",
        "offline" => "The network is down right now. Please try again in a moment, or ask at the front desk.",
        "busy" | "server_error" | "bad_args" | "out_of_order" | "unknown_mutation" | "http_error" | "garbage" => {
            "Something went wrong on our side. Please ask at the front desk — sorry about that."
        }
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    let m = server_message.trim();
    let reads_like_a_sentence =
        m.len() > 10 && !m.contains('_') && !m.contains('{') && !m.contains("::") && m.ends_with(['.', '!']);
    if reads_like_a_sentence {
        m.to_string()
    } else {
        "Something went wrong on our side. Please ask at the front desk — sorry about that.".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_raw_errors_never_reach_the_screen() {
        for (code, msg) in [
            ("unknown_card", "That card was not recognised."),
            ("bad_args", "the request was not understood: missing field `start`"),
            ("something_new", "error: SqliteFailure(Error { code: DatabaseBusy })"),
            ("slot_taken", "Someone just booked that time. Please pick another one."),
        ] {
            let s = for_code(code, msg);
            assert!(!s.contains('_') && !s.contains('`') && !s.contains("Error"), "{code}: {s}");
            assert!(s.ends_with('.'), "{s}");
        }
        assert_eq!(
            for_code("slot_taken", "Someone just booked that time. Please pick another one."),
            "Someone just booked that time. Please pick another one."
        );
    }
}
