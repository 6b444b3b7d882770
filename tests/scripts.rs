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
