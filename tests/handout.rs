//! The handout: one page, made from the real screens, with the center's own policy in words.

use std::process::Command;

use tutorkiosk::domain::Policy;
use tutorkiosk::kiosk::handout::policy_text;

fn handout(dir: &std::path::Path, name: &str, format: &str, paper: &str) -> std::path::PathBuf {
    let out = dir.join(name);
    let cfg = dir.join("kiosk-config.toml");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kiosk-config.toml")).unwrap();
    std::fs::write(&cfg, text).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_tutorkiosk"))
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "handout",
            "--out",
            out.to_str().unwrap(),
            "--format",
            format,
            "--paper",
            paper,
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    out
}

#[test]
fn the_handout_is_one_page_in_pdf_png_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = std::fs::read(handout(dir.path(), "h.pdf", "pdf", "a4")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert_eq!(text.matches("/Type /Page").count() - text.matches("/Type /Pages").count(), 1, "exactly one page");
    assert!(text.contains("/MediaBox [0 0 595 842]"), "A4");

    let png_path = handout(dir.path(), "h.png", "png", "letter");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
    let info = decoder.read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height), (1700, 2200), "Letter at 200 dpi");

    let html = std::fs::read_to_string(handout(dir.path(), "h.html", "html", "letter")).unwrap();
    assert!(html.contains(&policy_text(&Policy::default())), "the policy shown is the center's policy");
    assert_eq!(html.matches("<figure>").count(), 6, "six numbered screens");
    for step in [
        "1. Tap Book a session",
        "2. Pick your course",
        "3. Pick a tutor",
        "4. Pick a day",
        "5. Check the details",
        "6. To cancel or move",
    ] {
        assert!(html.contains(step), "{step}");
    }
    assert!(
        html.contains("Front desk: Library room 210") && html.contains("https://riverside.edu/tutoring"),
        "contacts from the config"
    );
}

#[test]
fn bad_options_are_refused_in_words() {
    let out = Command::new(env!("CARGO_BIN_EXE_tutorkiosk"))
        .args(["--config", concat!(env!("CARGO_MANIFEST_DIR"), "/kiosk-config.toml"), "handout", "--format", "docx"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format is pdf, png or html"));
}

#[test]
fn a_real_centers_handout_carries_its_own_name_and_rules() {
    use tutorkiosk::kiosk::cache::Cache;
    use tutorkiosk::protocol::{CenterData, Change, Entity, Op};
    let dir = tempfile::tempdir().unwrap();
    let policy = Policy {
        self_cancel_until: chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        late_cancel_min_minutes: 240,
        ..Policy::default()
    };
    // The kiosk has synced with its own center once.
    let (mut cache, _) = Cache::open(&dir.path().join("data").join("cache.db")).unwrap();
    let center = CenterData {
        id: "northfield".into(),
        name: "Northfield Tutoring Center".into(),
        timezone: "America/Chicago".into(),
        policy: policy.clone(),
    };
    let change = Change {
        entity: Entity::Center,
        id: "northfield".into(),
        op: Op::Put,
        data: Some(serde_json::to_value(&center).unwrap()),
    };
    cache.apply_changes(&[change], 1, 0, chrono::Utc::now()).unwrap();
    drop(cache);
    let cfg = dir.path().join("kiosk-config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[kiosk]\nname = \"Lobby\"\n[server]\nurl = \"https://scheduling.northfield.example\"\n[paths]\ndata_dir = \"{}\"\nlog_dir = \"{}\"\n",
            dir.path().join("data").display(),
            dir.path().join("logs").display()
        ),
    )
    .unwrap();
    let out = dir.path().join("h.html");
    let run = Command::new(env!("CARGO_BIN_EXE_tutorkiosk"))
        .args(["--config", cfg.to_str().unwrap(), "handout", "--out", out.to_str().unwrap(), "--format", "html"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("Northfield Tutoring Center"), "the center's own name");
    assert!(html.contains(&policy_text(&policy)), "the center's own policy");
    assert!(!html.contains(&policy_text(&Policy::default())), "not the demo's");
}
