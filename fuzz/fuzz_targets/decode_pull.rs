#![no_main]
//! Pull answers and the entity data inside them, as the kiosk decodes them.
use libfuzzer_sys::fuzz_target;
use tutorkiosk::protocol::*;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<PullRequest>(data);
    if let Ok(page) = serde_json::from_slice::<PullResponse>(data) {
        for c in page.changes {
            if let Some(d) = c.data {
                let _ = serde_json::from_value::<CenterData>(d.clone());
                let _ = serde_json::from_value::<ProfileData>(d.clone());
                let _ = serde_json::from_value::<AvailabilityData>(d.clone());
                let _ = serde_json::from_value::<AppointmentData>(d);
            }
        }
    }
});
