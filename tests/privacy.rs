//! What a kiosk writes to its logs and its status output never names a student: no card or
//! student number, no name, no device secret, even at the most talkative log level.

mod common;

use std::process::Command;

use common::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_hold_card_numbers_names_or_secrets() {
    let mut t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kiosk-config.toml");
    std::fs::write(&cfg, t.kiosk_config(dir.path(), "Lobby 1")).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tutorkiosk"))
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    assert!(run(&["sync", "--once"]).0);
    let ana = t.creds.students[0].clone();
    let ben = t.creds.students[1].clone();
    // A check-in, an unknown card, a garbled swipe, and one queued while the server is away.
    let (ok, checked_in, _) = run(&["check-in", "--card", &format!(";{}=1234?", ana.card)]);
    assert!(ok, "{checked_in}");
    let _ = run(&["check-in", "--card", "9999999999"]);
    let _ = run(&["check-in", "--card", ";;garbage??"]);
    t.stop().await;
    let (ok, queued, _) = run(&["check-in", "--card", &ben.card]);
    assert!(ok && queued.contains("it will be sent when the network is back"), "{queued}");
    let (_, status, status_err) = run(&["status"]);

    let secret = std::fs::read_to_string(dir.path().join("data").join("device.json")).unwrap_or_default();
    let mut logs = String::new();
    for entry in std::fs::read_dir(dir.path().join("logs")).unwrap() {
        logs.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(logs.len() > 1000, "the logs are really being written ({} bytes)", logs.len());
    let everything = format!("{logs}\n{status}\n{status_err}");
    for (what, needle) in [
        ("Ana's card number", ana.card.as_str()),
        ("Ben's card number", ben.card.as_str()),
        ("an unknown card number", "9999999999"),
        ("Ana's name", ana.name.as_str()),
        ("Ben's name", ben.name.as_str()),
        ("Ana's email", ana.login.as_str()),
    ] {
        assert!(!everything.contains(needle), "{what} ({needle}) is in the logs or status output");
    }
    let device_secret = serde_json::from_str::<serde_json::Value>(&secret)
        .ok()
        .and_then(|v| v["secret"].as_str().map(str::to_string))
        .expect("the kiosk saved its credential");
    assert!(!everything.contains(&device_secret), "the device secret is in the logs");
}
