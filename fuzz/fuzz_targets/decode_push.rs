#![no_main]
//! Push requests and every mutation's arguments, as the server decodes them.
use libfuzzer_sys::fuzz_target;
use tutorkiosk::protocol::*;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = serde_json::from_slice::<PushRequest>(data) {
        for m in req.mutations {
            let _ = serde_json::from_value::<BookArgs>(m.args.clone());
            let _ = serde_json::from_value::<CancelArgs>(m.args.clone());
            let _ = serde_json::from_value::<RescheduleArgs>(m.args.clone());
            let _ = serde_json::from_value::<CardAtArgs>(m.args.clone());
            let _ = serde_json::from_value::<DropInJoinArgs>(m.args.clone());
            let _ = serde_json::from_value::<DropInLeaveArgs>(m.args);
        }
    }
    let _ = serde_json::from_slice::<PushResponse>(data);
});
