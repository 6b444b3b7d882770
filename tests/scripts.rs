//! The install and fault scripts parse, and are shellcheck-clean where shellcheck is installed
//! (`.ci/run` installs it).

use std::process::Command;

fn scripts() -> Vec<std::path::PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_script_parses() {
    let all = scripts();
    assert!(
        all.iter().any(|p| p.ends_with("install-kiosk.sh")) && all.iter().any(|p| p.ends_with("install-server.sh"))
    );
    for s in all {
        let out = Command::new("bash").arg("-n").arg(&s).output().unwrap();
        assert!(out.status.success(), "{}: {}", s.display(), String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn every_script_is_shellcheck_clean() {
    let Ok(out) = Command::new("shellcheck").arg("--version").output() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have shellcheck (.ci/run installs it)");
        eprintln!("shellcheck is not installed here; skipping");
        return;
    };
    assert!(out.status.success());
    for s in scripts() {
        let out = Command::new("shellcheck").arg(&s).output().unwrap();
        assert!(out.status.success(), "{}:\n{}", s.display(), String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn the_readme_curl_walkthrough_runs_end_to_end() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must have curl (.ci/run installs it)");
        eprintln!("curl is not installed here; skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/curl-walkthrough.sh"))
        .env("S", env!("CARGO_BIN_EXE_tutorkiosk-server"))
        .env("DB", dir.path().join("demo.db"))
        .env("PORT", port.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("\"status\":\"booked\""), "the booking went through:\n{stdout}");
    assert!(stdout.contains("\"status\":\"cancelled\""), "and the cancel:\n{stdout}");
}
