#![no_main]
//! The kiosk config: any text gets problems in words, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(problems) = tutorkiosk::kiosk::config::parse(text) {
            assert!(problems.iter().all(|p| !p.key.is_empty() && !p.message.is_empty()));
        }
    }
});
