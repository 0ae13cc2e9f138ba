//! What every browser test needs: the app on a random port with a fresh SQLite database (demo
//! province seeded), and a headless Chromium driven through ChromeDriver (WebDriver, via
//! `fantoccini`), with the window of a small phone (360×740 CSS px).
//!
//! The browser and its driver are always ended: on success by [`Session::finish`], and on a
//! failed assertion, a panic or a time-out by the [`Driver`] guard's `Drop`, which kills
//! ChromeDriver's process group and any process still using this test's own profile directory.

use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The phone the pages are checked on, in CSS pixels.
pub const PHONE_WIDTH: u32 = 360;
pub const PHONE_HEIGHT: u32 = 740;

/// Longest time one test's body may take once the browser is up.
pub const TEST_LIMIT: Duration = Duration::from_secs(120);
/// Longest time to start the app, ChromeDriver and Chromium.
const START_LIMIT: Duration = Duration::from_secs(90);
/// Longest time a `wait_until` polls for a condition.
const WAIT_LIMIT: Duration = Duration::from_secs(15);

const INSTALL_HINT: &str = "the browser tests need Chromium and ChromeDriver: on Debian run \
     `apt-get install -y chromium chromium-driver` (CI installs both), or point the \
     CHROME_BIN and CHROMEDRIVER environment variables at them";

/// Runs a test body with a time limit: a hung page or driver fails the test instead of
/// blocking the whole `cargo test` run.
pub async fn bounded<T>(what: &str, body: impl Future<Output = T>) -> T {
    match tokio::time::timeout(TEST_LIMIT, body).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: took longer than {TEST_LIMIT:?}"),
    }
}

/// ChromeDriver (and, through it, Chromium), killed when dropped.
struct Driver {
    child: Child,
    port: u16,
    /// Holds the Chromium profile (`profile/`) and ChromeDriver's log (`chromedriver.log`).
    dir: tempfile::TempDir,
}

impl Driver {
    fn profile(&self) -> PathBuf {
        self.dir.path().join("profile")
    }

    fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Kills every process we started for this test: ChromeDriver's process group (it was
    /// spawned as a group leader), then whatever still runs with this test's profile directory
    /// on its command line (Chromium and its helpers), each by its own pid.
    fn kill_all(&mut self) {
        let pgid = self.child.id();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let needle = self.profile().display().to_string();
        for pid in pids_with_arg(&needle) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Processes whose command line mentions `needle` (our unique temporary profile path).
fn pids_with_arg(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

/// Finds a program: the environment variable first, then `PATH`, then Debian's places.
fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/lib/chromium"].map(PathBuf::from));
    dirs.iter()
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Where screenshots go: `<target dir>/e2e-screenshots/`, the target dir being the one this
/// test binary was built into (so `CARGO_TARGET_DIR` is honoured).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            // <target>/<profile>/deps/<test binary>
            exe.ancestors()
                .find(|a| a.file_name().is_some_and(|n| n == "deps"))
                .and_then(|deps| deps.parent()?.parent().map(Path::to_path_buf))
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    dir
}

/// ChromeDriver's own command to reach the DevTools protocol (used for full-page screenshots).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// One test's app and browser.
pub struct Session {
    pub browser: Client,
    pub base: String,
    app: Option<halong::server::Running>,
    // Fields drop in order: the app and its data before the driver guard kills the browser.
    _data: tempfile::TempDir,
    driver: Driver,
}

impl Session {
    /// Starts the app (fresh database, demo province) and a headless Chromium with a phone-sized
    /// window, and signs in as the demo province administrator through the sign-in page.
    /// Panics, naming the Debian packages, when Chromium or ChromeDriver is missing.
    pub async fn start() -> Session {
        let s = Self::start_anonymous().await;
        bounded("signing in", s.sign_in_as_admin()).await;
        s
    }

    /// Like [`Session::start`], but nobody is signed in.
    pub async fn start_anonymous() -> Session {
        match tokio::time::timeout(START_LIMIT, Self::start_unbounded()).await {
            Ok(s) => s,
            Err(_) => panic!("starting the app and the browser took longer than {START_LIMIT:?}"),
        }
    }

    /// Signs in as the demo administrator, as a person would: the password form of `/signin`.
    pub async fn sign_in_as_admin(&self) {
        let (phone, role) = halong::demo::DEMO_USERS[0];
        assert!(
            role.contains("admin"),
            "the first demo user is the admin: {role}"
        );
        self.goto("/signin").await;
        let form = self.find("form[action=\"/signin/password\"]").await;
        let field = |name: &'static str| {
            let form = form.clone();
            async move {
                form.find(Locator::Css(&format!("input[name={name}]")))
                    .await
                    .unwrap_or_else(|e| panic!("no {name} field in the password sign-in form: {e}"))
            }
        };
        field("phone").await.send_keys(phone).await.unwrap();
        field("password")
            .await
            .send_keys(halong::demo::DEMO_PASSWORD)
            .await
            .unwrap();
        form.find(Locator::Css("button[type=submit]"))
            .await
            .expect("the sign-in button")
            .click()
            .await
            .unwrap();
        // Until the browser has left the sign-in pages (right after the click it may still
        // show /signin).
        self.wait_for_path("the home page after signing in", |p| {
            !p.starts_with("/signin")
        })
        .await;
        let path = self.path().await;
        if path != "/" {
            let body: String = self.eval("return document.body.innerText;", vec![]).await;
            panic!("signing in as {phone} led to {path}:\n{body}");
        }
    }

    async fn start_unbounded() -> Session {
        let chromedriver = find_program("CHROMEDRIVER", &["chromedriver"])
            .unwrap_or_else(|| panic!("ChromeDriver not found: {INSTALL_HINT}"));
        let chrome = find_program(
            "CHROME_BIN",
            &["chromium", "chromium-browser", "google-chrome"],
        )
        .unwrap_or_else(|| panic!("Chromium not found: {INSTALL_HINT}"));

        let data = tempfile::tempdir().expect("temporary data directory");
        let config = halong::config::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data.path().into(),
            database_url: format!("sqlite://{}/h.db", data.path().display()),
            demo: true,
            ..halong::config::Config::default()
        };
        let app = halong::server::start(&config)
            .await
            .expect("the app starts on a random port");
        let base = format!("http://{}", app.addr);

        let driver = spawn_driver(&chromedriver);
        let browser = connect(&driver, &chrome).await;
        Session {
            browser,
            base,
            app: Some(app),
            _data: data,
            driver,
        }
    }

    /// Closes the browser (Chromium quits), kills ChromeDriver and stops the app.
    pub async fn finish(mut self) {
        let browser = self.browser.clone();
        let _ = tokio::time::timeout(Duration::from_secs(15), browser.close()).await;
        self.driver.kill_all();
        if let Some(app) = self.app.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), app.stop()).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn goto(&self, path: &str) {
        self.browser
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path (and query) of the page the browser shows.
    pub async fn path(&self) -> String {
        let u = self.browser.current_url().await.expect("current URL");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// Runs `js` (a function body: use `return`) in the page and decodes what it returns.
    pub async fn eval<T: serde::de::DeserializeOwned>(&self, js: &str, args: Vec<Value>) -> T {
        let v = self
            .browser
            .execute(js, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{js}"));
        serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("script returned {v} ({e})\n{js}"))
    }

    /// Polls `js` (returning a boolean) until it is true; panics naming `what` after a while.
    pub async fn wait_until(&self, what: &str, js: &str, args: Vec<Value>) {
        let start = Instant::now();
        loop {
            let v = self.browser.execute(js, args.clone()).await;
            if matches!(v, Ok(Value::Bool(true))) {
                return;
            }
            if start.elapsed() > WAIT_LIMIT {
                panic!(
                    "waited {WAIT_LIMIT:?} for {what} (page {}); last answer: {v:?}",
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the browser shows a page whose path matches `pred`, fully loaded.
    pub async fn wait_for_path(&self, what: &str, pred: impl Fn(&str) -> bool) {
        let start = Instant::now();
        loop {
            let p = self.path().await;
            let ready: bool = self
                .browser
                .execute("return document.readyState === 'complete';", vec![])
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if ready && pred(&p) {
                return;
            }
            if start.elapsed() > WAIT_LIMIT {
                panic!("waited {WAIT_LIMIT:?} for {what}; the browser shows {p}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.browser.find(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => panic!("no element {css} on {}: {e}", self.path().await),
        }
    }

    /// Saves two PNGs in [`screenshot_dir`]: `<name>.png`, the first screen as the phone shows
    /// it (360×740), and `<name>-full.png`, the whole page (cut at 4000 CSS px). Returns the
    /// first one's path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = screenshot_dir();
        let screen = self.browser.screenshot().await.expect("screenshot");
        assert!(screen.starts_with(b"\x89PNG"), "a PNG screenshot of {name}");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, screen).expect("write the screenshot");

        let height: f64 = self
            .eval(
                "return Math.min(4000, document.documentElement.scrollHeight);",
                vec![],
            )
            .await;
        let cdp = Cdp {
            cmd: "Page.captureScreenshot",
            params: json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": PHONE_WIDTH, "height": height, "scale": 1 },
            }),
        };
        let full = self.browser.issue_cmd(cdp).await.map(|v| {
            v["data"]
                .as_str()
                .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
        });
        match full {
            Ok(Some(png)) if png.starts_with(b"\x89PNG") => {
                std::fs::write(dir.join(format!("{name}-full.png")), png)
                    .expect("write the full-page screenshot");
            }
            // Only a convenience for people: a driver without DevTools access still passes.
            other => eprintln!("no full-page screenshot of {name}: {other:?}"),
        }
        path
    }

    /// The path of a demo market of Bãi Cháy, found as a person would: by searching.
    pub async fn demo_market_path(&self) -> String {
        self.goto("/markets?q=bai+chay").await;
        let link = self
            .browser
            .find(Locator::XPath(
                "//table//a[starts-with(normalize-space(.), 'Chợ Bãi Cháy')]",
            ))
            .await
            .expect("a demo market named Chợ Bãi Cháy… is listed");
        let href = link.attr("href").await.unwrap().expect("a link");
        href.strip_prefix(&self.base).unwrap_or(&href).to_string()
    }
}

fn spawn_driver(chromedriver: &Path) -> Driver {
    use std::os::unix::process::CommandExt as _;
    let dir = tempfile::Builder::new()
        .prefix("halong-e2e-")
        .tempdir()
        .expect("temporary browser directory");
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .arg(format!(
            "--log-path={}",
            dir.path().join("chromedriver.log").display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {INSTALL_HINT}", chromedriver.display()));
    let mut driver = Driver { child, port, dir };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = driver.child.try_wait() {
            panic!(
                "ChromeDriver exited ({status}) before listening:\n{}",
                driver.log_tail()
            );
        }
        if start.elapsed() > Duration::from_secs(20) {
            panic!(
                "ChromeDriver did not listen on {addr} within 20 s:\n{}",
                driver.log_tail()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

async fn connect(driver: &Driver, chrome: &Path) -> Client {
    let args = [
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-background-networking".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--no-default-browser-check".into(),
        "--disable-extensions".into(),
        format!("--user-data-dir={}", driver.profile().display()),
        format!("--window-size={PHONE_WIDTH},{PHONE_HEIGHT}"),
    ];
    let caps = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "timeouts": { "pageLoad": 30_000, "script": 10_000, "implicit": 0 },
        "goog:chromeOptions": {
            "binary": chrome.display().to_string(),
            "args": args,
            // A phone: 360×740 CSS px, touch, honours <meta name=viewport>.
            "mobileEmulation": {
                "deviceMetrics": {
                    "width": PHONE_WIDTH, "height": PHONE_HEIGHT,
                    "pixelRatio": 1.0, "touch": true, "mobile": true
                }
            }
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let url = format!("http://127.0.0.1:{}", driver.port);
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "ChromeDriver could not start Chromium ({}): {e}\n{}\n({INSTALL_HINT})",
                chrome.display(),
                driver.log_tail()
            )
        })
}
