//! Admin commands: import, availability check, override and excuse, report, backup — through the
//! real `tutorkiosk-server` binary where a person would use it.

use std::process::Command;

fn server_cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tutorkiosk-server"))
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = server_cmd().args(args).env("RUST_LOG", "warn").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn seed_enroll_report_and_backup_work_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let (ok, out, err) = run(&["seed-demo", "--db", db, "--json"]);
    assert!(ok, "{err}");
    let creds: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(creds["students"].as_array().unwrap().len(), 50);
    assert!(creds["students"][0]["card"].as_str().unwrap().len() >= 8);

    let (ok, _, err) = run(&["seed-demo", "--db", db]);
    assert!(!ok && err.contains("already has a center"), "seeding twice is refused: {err}");

    let (ok, out, _) = run(&["kiosk", "enroll", "--db", db, "--name", "Lobby 1"]);
    assert!(ok);
    let code = out.lines().last().unwrap();
    assert_eq!(code.len(), 11, "the code is the last line: {out}");
    let (_, out, _) = run(&["kiosk", "list", "--db", db]);
    assert!(out.contains("Lobby 1") && out.contains("waiting for its code"), "{out}");

    let (ok, out, _) = run(&["report", "--db", db]);
    assert!(ok);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "week,course,tutor,booked,visits,no_shows,late_cancels,no_show_rate,late_cancel_rate"
    );
    assert!(lines.count() > 5, "the demo history shows up by week");

    let (ok, out, _) = run(&["availability", "check", "--db", db]);
    assert!(ok, "the demo has no contradictions: {out}");

    // Card numbers are never stored in clear.
    let conn = rusqlite::Connection::open(db).unwrap();
    let card = creds["students"][0]["card"].as_str().unwrap();
    let leaks: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM students WHERE student_key LIKE ?1 OR email LIKE ?1 OR first_name LIKE ?1",
            [format!("%{card}%")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaks, 0);
    drop(conn);

    // Backup while a server has the database open and is writing to it.
    let mut serve =
        server_cmd().args(["serve", "--db", db, "--listen", "127.0.0.1:0"]).env("RUST_LOG", "warn").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let copy = dir.path().join("copy.db");
    let (ok, _, err) = run(&["backup", "--db", db, "--out", copy.to_str().unwrap()]);
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(ok, "{err}");
    let c = rusqlite::Connection::open(&copy).unwrap();
    let n: i64 = c.query_row("SELECT COUNT(*) FROM students", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 50);
    let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn an_import_error_names_file_and_line_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    assert!(run(&["seed-demo", "--db", db]).0);
    let courses = dir.path().join("courses.csv");
    std::fs::write(&courses, "id,code,title\nbio-300,BIOL 300,Genetics\ngeo-101,GEOL 101,Physical Geology\n").unwrap();
    let students = dir.path().join("students.csv");
    std::fs::write(
        &students,
        "student_number,email,first_name,last_name,pin\n7700001,a@x.edu,Avery,Stone,4821\n7700002,b@x.edu,Blake,Moss,12\n",
    )
    .unwrap();
    let (ok, _, err) =
        run(&["import", "--db", db, "--courses", courses.to_str().unwrap(), "--students", students.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("students.csv, line 3") && err.contains("pin must be at least 4 digits"), "{err}");
    let conn = rusqlite::Connection::open(db).unwrap();
    let n: i64 =
        conn.query_row("SELECT COUNT(*) FROM courses WHERE id IN ('bio-300', 'geo-101')", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0, "nothing is half-imported");

    std::fs::write(&students, "student_number,email,first_name,last_name,pin\n7700001,a@x.edu,Avery,Stone,4821\n")
        .unwrap();
    let profiles = dir.path().join("profiles.csv");
    std::fs::write(
        &profiles,
        "id,person_id,person_name,role,display_name,bio,courses,location\n\
         p-rae-tutor,rae,Rae Quinn,tutor,Rae Q.,Genetics nerd.,bio-300,Library\n\
         p-rae-si,rae,Rae Quinn,si_leader,Rae Q.,SI for genetics.,bio-300,Science Hall\n",
    )
    .unwrap();
    let avail = dir.path().join("availability.csv");
    std::fs::write(
        &avail,
        "id,profile_id,start,end,session_minutes,kind\n\
         a1,p-rae-tutor,2026-12-14 09:00,2026-12-14 12:00,30,appointment\n\
         a2,p-rae-si,2026-12-14 11:00,2026-12-14 13:00,60,appointment\n",
    )
    .unwrap();
    let args = |with_avail: bool| {
        let mut v = vec![
            "import",
            "--db",
            db,
            "--courses",
            courses.to_str().unwrap(),
            "--students",
            students.to_str().unwrap(),
            "--profiles",
            profiles.to_str().unwrap(),
        ];
        if with_avail {
            v.extend(["--availability", avail.to_str().unwrap()]);
        }
        v.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let a: Vec<String> = args(true);
    let (ok, _, err) = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!ok);
    assert!(err.contains("availability.csv, line 3") && err.contains("overlaps block a1 of the same person"), "{err}");

    let a: Vec<String> = args(false);
    let (ok, out, err) = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    assert!(out.contains("Imported 2 courses, 2 profiles, 0 availability blocks, 1 students"), "{out}");

    // A contradiction that got in another way is listed by the check, in words.
    conn.execute_batch(
        "INSERT INTO availability VALUES ('x1','p-rae-tutor','rae',1797260400,1797271200,30,'appointment');
         INSERT INTO availability VALUES ('x2','p-rae-si','rae',1797267600,1797274800,60,'appointment');",
    )
    .unwrap();
    let (ok, out, _) = run(&["availability", "check", "--db", db]);
    assert!(!ok);
    assert!(out.contains("Rae Q. as Tutor and Rae Q. as SI leader are both available on"), "{out}");
}

#[test]
fn excuse_and_override_are_audited_with_who_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let (_, out, _) = run(&["seed-demo", "--db", db, "--json"]);
    let creds: serde_json::Value = serde_json::from_str(&out).unwrap();
    let jordan = creds["students"][2]["login"].as_str().unwrap();
    let conn = rusqlite::Connection::open(db).unwrap();
    let no_show: String = conn
        .query_row("SELECT a.id FROM appointments a JOIN students s ON s.id = a.student_id WHERE s.email = ?1 AND a.status = 'no_show' LIMIT 1", [jordan], |r| r.get(0))
        .unwrap();

    let (ok, _, err) = run(&["student", "override", "--db", db, jordan, "--by", "", "--why", "x"]);
    assert!(!ok && err.contains("--by"), "{err}");
    let (ok, out, err) =
        run(&["student", "override", "--db", db, jordan, "--by", "Dr. Rivera", "--why", "family emergency"]);
    assert!(ok, "{err}");
    assert!(out.contains("Booking restored for the rest of"), "{out}");
    let (ok, _, err) =
        run(&["appointment", "excuse", "--db", db, &no_show, "--by", "Front desk (Sam)", "--why", "car accident"]);
    assert!(ok, "{err}");
    let status: String =
        conn.query_row("SELECT status FROM appointments WHERE id = ?1", [&no_show], |r| r.get(0)).unwrap();
    assert_eq!(status, "excused");
    let audited: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit_log WHERE (actor, why) IN (VALUES ('Dr. Rivera', 'family emergency'), ('Front desk (Sam)', 'car accident'))", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 2);
}
