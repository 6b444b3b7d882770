//! `kiosk-config.toml`: parsed once into a typed struct; unknown keys are errors, and every problem
//! is reported with its key and line, in words.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskConfig {
    pub kiosk: KioskSection,
    pub server: ServerSection,
    #[serde(default)]
    pub welcome: WelcomeSection,
    #[serde(default)]
    pub card_reader: CardReaderSection,
    #[serde(default)]
    pub paths: PathsSection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Renderer {
    /// tiny-skia: CPU rendering, fast start, small memory; right for kiosk PCs without a GPU.
    TinySkia,
    Wgpu,
    Auto,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskSection {
    /// Shown in staff mode and used to enroll ("Lobby 1").
    pub name: String,
    #[serde(default = "default_idle")]
    pub idle_timeout_seconds: u32,
    #[serde(default = "yes")]
    pub fullscreen: bool,
    #[serde(default = "default_renderer")]
    pub renderer: Renderer,
    #[serde(default = "default_language")]
    pub language: String,
    /// argon2 PHC string of the staff PIN (`tutorkiosk hash-pin` makes one).
    #[serde(default)]
    pub staff_pin_hash: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// `"embedded"` for demo mode, or the central server's base URL.
    pub url: String,
    /// Where the device credential is kept (default: `device.json` in the data directory).
    #[serde(default)]
    pub credential_file: Option<PathBuf>,
    /// A one-time enrollment code for the first start; ignored once enrolled.
    #[serde(default)]
    pub enroll_code: Option<String>,
    /// Seconds between background syncs.
    #[serde(default = "default_sync_interval")]
    pub sync_interval_seconds: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WelcomeSection {
    #[serde(default)]
    pub opening_message: String,
    /// Where students can read tutor bios besides the kiosk.
    #[serde(default)]
    pub bios_hint: String,
    #[serde(default)]
    pub help_contacts: Vec<String>,
    #[serde(default)]
    pub web_page: Option<String>,
}

impl Default for WelcomeSection {
    fn default() -> Self {
        Self {
            opening_message: "Welcome! Check in for your session, book one, or join drop-in help.".into(),
            bios_hint: "Tutor photos and bios are under Book a session.".into(),
            help_contacts: vec!["Ask at the front desk".into()],
            web_page: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardReaderSection {
    /// A regular expression whose first capture group is the student number in a raw swipe.
    #[serde(default = "default_card_pattern")]
    pub pattern: String,
}

impl Default for CardReaderSection {
    fn default() -> Self {
        Self { pattern: default_card_pattern() }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathsSection {
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub log_dir: Option<PathBuf>,
}

fn default_idle() -> u32 {
    60
}
fn yes() -> bool {
    true
}
fn default_renderer() -> Renderer {
    Renderer::TinySkia
}
fn default_language() -> String {
    "en".into()
}
fn default_sync_interval() -> u32 {
    15
}
/// Magnetic stripe track 2 (`;0012345678=1234?`), or just the digits from a barcode or typed entry.
pub fn default_card_pattern() -> String {
    r"^;?(\d{6,16})(?:=\d*)?\??$".into()
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}: {}", self.key, self.message),
            None => write!(f, "{}: {}", self.key, self.message),
        }
    }
}

/// Parse and check a config text. All problems found are returned, never a panic.
pub fn parse(text: &str) -> Result<KioskConfig, Vec<ConfigProblem>> {
    let config: KioskConfig = match toml::from_str(text) {
        Ok(c) => c,
        Err(e) => return Err(vec![problem_from_toml(text, &e)]),
    };
    let problems = check(&config, text);
    if problems.is_empty() { Ok(config) } else { Err(problems) }
}

/// Read and parse a config file.
pub fn load(path: &Path) -> Result<KioskConfig, Vec<ConfigProblem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ConfigProblem { line: None, key: path.display().to_string(), message: format!("cannot be read: {e}") }]
    })?;
    parse(&text)
}

/// The config to use: an explicit path, else `./kiosk-config.toml`, else the XDG config dir.
pub fn locate(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let local = PathBuf::from("kiosk-config.toml");
    if local.exists() {
        return local;
    }
    dirs::config_dir().map(|d| d.join("tutorkiosk").join("kiosk-config.toml")).unwrap_or(local)
}

fn check(c: &KioskConfig, text: &str) -> Vec<ConfigProblem> {
    let mut out = Vec::new();
    let mut bad = |section: &str, key: &str, message: String| {
        out.push(ConfigProblem { line: line_of_key(text, section, key), key: format!("{section}.{key}"), message });
    };
    if c.kiosk.name.trim().is_empty() {
        bad("kiosk", "name", "must not be empty; it names this kiosk in staff mode".into());
    }
    if !(10..=3600).contains(&c.kiosk.idle_timeout_seconds) {
        bad(
            "kiosk",
            "idle_timeout_seconds",
            format!("{} is out of range; use 10 to 3600 seconds", c.kiosk.idle_timeout_seconds),
        );
    }
    if c.kiosk.language != "en" {
        bad("kiosk", "language", format!("\"{}\" is not available yet; use \"en\"", c.kiosk.language));
    }
    if let Some(h) = &c.kiosk.staff_pin_hash
        && !h.starts_with("$argon2")
    {
        bad("kiosk", "staff_pin_hash", "is not an argon2 hash; make one with `tutorkiosk hash-pin`".into());
    }
    let url = c.server.url.trim();
    if url != "embedded" && !(url.starts_with("http://") || url.starts_with("https://")) {
        bad("server", "url", format!("\"{url}\" is neither \"embedded\" nor an http(s):// address"));
    } else if url.starts_with("http://") && !is_loopback_url(url) {
        bad("server", "url", "plain http is only allowed to this machine; use https:// for a real server".into());
    }
    if !(2..=3600).contains(&c.server.sync_interval_seconds) {
        bad(
            "server",
            "sync_interval_seconds",
            format!("{} is out of range; use 2 to 3600 seconds", c.server.sync_interval_seconds),
        );
    }
    match regex::Regex::new(&c.card_reader.pattern) {
        Err(_) => bad("card_reader", "pattern", "is not a valid regular expression".into()),
        Ok(r) if r.captures_len() < 2 => {
            bad("card_reader", "pattern", "needs a capture group ( … ) around the student number".into())
        }
        Ok(_) => {}
    }
    if let Some(w) = &c.welcome.web_page
        && !w.starts_with("https://")
        && !w.starts_with("http://")
    {
        bad("welcome", "web_page", format!("\"{w}\" is not a web address"));
    }
    out
}

/// Whether an http:// address names this machine: its host (not just its first characters) is
/// `localhost` or a loopback IP, so `http://127.0.0.1.example.com` does not pass.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.trim_start_matches("http://");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn problem_from_toml(text: &str, e: &toml::de::Error) -> ConfigProblem {
    let message = e.message().trim().to_string();
    let Some(span) = e.span() else { return ConfigProblem { line: None, key: "config".into(), message } };
    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
    let (section, key) = key_at(text, line);
    let key = match (section.as_str(), key) {
        (_, Some(k)) if !section.is_empty() => format!("{section}.{k}"),
        (_, Some(k)) => k,
        ("", None) => "config".into(),
        (s, None) => s.to_string(),
    };
    let message = message.replace("`", "\"");
    ConfigProblem { line: Some(line), key, message }
}

/// The `[section]` a 1-based line is in, and the key assigned on that line, if any.
fn key_at(text: &str, line: usize) -> (String, Option<String>) {
    let mut section = String::new();
    let mut key = None;
    for (i, l) in text.lines().enumerate().take(line) {
        let t = l.trim();
        if t.starts_with('[') {
            section = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            if i + 1 == line {
                key = None;
            }
        } else if i + 1 == line {
            key = t.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_string()).filter(|k| !k.is_empty());
        }
    }
    (section, key)
}

/// The 1-based line where `key` is set inside `[section]`.
fn line_of_key(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            current = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        } else if current == section
            && let Some((k, _)) = t.split_once('=')
            && k.trim().trim_matches('"') == key
        {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[kiosk]
name = "Lobby 1"
idle_timeout_seconds = 60

[server]
url = "embedded"

[welcome]
opening_message = "Open 9–5"
help_contacts = ["Front desk: ext. 4410"]
"#;

    #[test]
    fn the_shipped_demo_config_is_valid() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kiosk-config.toml")).unwrap();
        let c = parse(&text).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(c.server.url, "embedded");
    }

    #[test]
    fn a_small_config_fills_in_defaults() {
        let c = parse(GOOD).unwrap();
        assert!(c.kiosk.fullscreen);
        assert_eq!(c.kiosk.renderer, Renderer::TinySkia);
        assert_eq!(c.server.sync_interval_seconds, 15);
        assert!(regex::Regex::new(&c.card_reader.pattern).unwrap().is_match(";0012345678=1234?"));
    }

    #[test]
    fn plain_http_is_allowed_only_to_this_machine() {
        for ok in ["http://127.0.0.1:8080", "http://localhost/", "http://[::1]:9000/api", "http://127.3.4.5"] {
            assert!(is_loopback_url(ok), "{ok}");
        }
        for bad in ["http://127.0.0.1.example.com", "http://localhostx", "http://10.0.0.5", "http://user@evil.com"] {
            assert!(!is_loopback_url(bad), "{bad}");
        }
    }

    #[test]
    fn every_bad_line_names_its_key_and_line() {
        let cases: &[(&str, &str, &str, usize)] = &[
            // (replace this, with this, key named, line)
            ("idle_timeout_seconds = 60", "idle_timout_seconds = 60", "kiosk.idle_timout_seconds", 4),
            ("idle_timeout_seconds = 60", "idle_timeout_seconds = \"sixty\"", "kiosk.idle_timeout_seconds", 4),
            ("idle_timeout_seconds = 60", "idle_timeout_seconds = 2", "kiosk.idle_timeout_seconds", 4),
            ("name = \"Lobby 1\"", "name = \"  \"", "kiosk.name", 3),
            ("url = \"embedded\"", "url = \"ftp://x\"", "server.url", 7),
            ("url = \"embedded\"", "url = \"http://scheduling.example.edu\"", "server.url", 7),
            ("url = \"embedded\"", "url = \"http://127.0.0.1.example.com/\"", "server.url", 7),
            ("url = \"embedded\"", "url = \"http://localhost.example.com:8080\"", "server.url", 7),
            ("url = \"embedded\"", "url = \"http://127.0.0.1@example.com\"", "server.url", 7),
            ("url = \"embedded\"", "url = embedded", "server.url", 7),
            (
                "help_contacts = [\"Front desk: ext. 4410\"]",
                "help_contacts = \"Front desk\"",
                "welcome.help_contacts",
                11,
            ),
            ("[welcome]", "[welcome]\nweb_page = \"riverside.edu\"", "welcome.web_page", 10),
            ("[welcome]", "[card_reader]\npattern = \"\\\\d+\"\n[welcome]", "card_reader.pattern", 10),
            ("[welcome]", "[card_reader]\npattern = \"(\"\n[welcome]", "card_reader.pattern", 10),
            (
                "idle_timeout_seconds = 60",
                "idle_timeout_seconds = 60\nstaff_pin_hash = \"1234\"",
                "kiosk.staff_pin_hash",
                5,
            ),
            ("[server]", "[sever]", "sever", 6),
        ];
        for (from, to, key, line) in cases {
            let text = GOOD.replacen(from, to, 1);
            let problems = parse(&text).expect_err(to);
            let p = &problems[0];
            assert_eq!(&p.key, key, "for {to:?}: {problems:?}");
            assert_eq!(p.line, Some(*line), "for {to:?}: {problems:?}");
            assert!(!p.message.is_empty() && !p.message.contains("Error"), "{p}");
        }
    }

    #[test]
    fn several_problems_are_all_reported() {
        let text = GOOD
            .replace("idle_timeout_seconds = 60", "idle_timeout_seconds = 1")
            .replace("url = \"embedded\"", "url = \"gopher://x\"");
        let problems = parse(&text).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["kiosk.idle_timeout_seconds", "server.url"]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in ["", "\u{0}\u{1}", "[kiosk", "= = =", "[kiosk]\nname = \"x\"\n[kiosk]\nname = \"y\"\n"] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}
