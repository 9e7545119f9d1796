//! A private PostgreSQL cluster run from the installed server binaries, so that `cargo run`
//! and `cargo test` need nothing but a PostgreSQL server package.
//!
//! The server runs as a child process in its own process group, bound to a Unix socket in
//! a private folder (no TCP port). It gets a parent-death signal, so it never outlives us,
//! and it is supervised: when it dies it is restarted with backoff, up to a limit.
//! As root it runs as an unprivileged user (`postgres`, else `nobody`), because `initdb`
//! refuses root; when that user cannot reach the requested folder (a checkout under
//! `/root`, say) the cluster lives in a per-project folder under the system's temp dir.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The superuser and database name of a local cluster.
pub const LOCAL_USER: &str = "jianyi";
/// The port number names the socket file only: the server listens on no TCP port.
const SOCKET_PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux (103 on macOS).
const MAX_SOCKET_PATH: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(
        "no PostgreSQL server binaries found (looked for initdb and postgres on PATH, in \
         /usr/lib/postgresql/*/bin and Homebrew's folders): install them (Debian/Ubuntu: \
         `apt-get install postgresql`, macOS: `brew install postgresql@16`), set \
         JIANYI_PG_BIN_DIR to their folder, or set DATABASE_URL to an existing database"
    )]
    NoServerBinaries,
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("{0}")]
    Failed(String),
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> LocalError {
    let what = what.into();
    move |source| LocalError::Io { what, source }
}

/// Restarts in a row before the supervisor gives up.
pub const RESTART_LIMIT: u32 = 5;
/// A server that ran this long before it died starts a new count of restarts.
const STABLE_AFTER: Duration = Duration::from_secs(60);

/// How the supervised server is doing: read by the logs and by `/metrics`.
#[derive(Debug, Default)]
pub struct Supervision {
    /// The postmaster's process id (0 while none runs).
    pid: AtomicU32,
    /// Times the server was restarted after it died.
    pub restarts: AtomicU64,
    pub up: AtomicBool,
    /// The server died `RESTART_LIMIT` times in a row: no more restarts.
    pub gave_up: AtomicBool,
    stopping: AtomicBool,
}

impl Supervision {
    /// The running postmaster's process id.
    pub fn pid(&self) -> Option<u32> {
        Some(self.pid.load(Ordering::SeqCst)).filter(|p| *p != 0)
    }
}

/// What the supervisor does after the server exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterExit {
    /// Restart after the wait; the number of restarts in a row this makes.
    Restart(Duration, u32),
    GiveUp,
}

/// After the server ran `ran_for` and exited with `in_a_row` restarts behind it: restart
/// with exponential backoff (1 s, 2 s, 4 s … at most 30 s), or give up after the limit. A
/// run long enough to be called stable starts the count again.
fn after_exit(in_a_row: u32, ran_for: Duration) -> AfterExit {
    let in_a_row = if ran_for >= STABLE_AFTER { 0 } else { in_a_row };
    if in_a_row >= RESTART_LIMIT {
        return AfterExit::GiveUp;
    }
    let wait = Duration::from_secs((1u64 << in_a_row).min(30));
    AfterExit::Restart(wait, in_a_row + 1)
}

/// What kind of cluster to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Kept across runs (the service's `./var/pg`): reused next time, shut down cleanly.
    Persistent,
    /// Thrown away (tests): durability settings off, killed at once when we exit.
    Ephemeral,
}

/// A running local cluster.
pub struct LocalCluster {
    pub root: PathBuf,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    /// The thread that runs, waits for and restarts the postmaster we started; `None` when
    /// we found one already running (another instance's), which we leave alone.
    child: Option<JoinHandle<()>>,
    pub supervision: Arc<Supervision>,
}

/// The unprivileged account the server runs as when we are root.
#[derive(Debug, Clone)]
struct ServerUser {
    name: String,
    uid: u32,
    gid: u32,
}

impl LocalCluster {
    /// Starts (or joins) the cluster kept under `root`.
    pub fn start(root: &Path, lifetime: Lifetime) -> Result<Self, LocalError> {
        let bin_dir = find_bin_dir().ok_or(LocalError::NoServerBinaries)?;
        let user = server_user()?;
        let root = reachable_root(root, user.as_ref())?;
        let data_dir = root.join("data");
        let mut socket_dir = root.join("run");
        if socket_dir.as_os_str().len() + ".s.PGSQL.5432".len() + 1 > MAX_SOCKET_PATH {
            socket_dir = std::env::temp_dir().join(format!("jianyi-sock-{}", short_hash(&root)));
        }
        make_private_dir(&socket_dir, user.as_ref())?;

        if !data_dir.join("PG_VERSION").exists() {
            init_cluster(&bin_dir, &data_dir, user.as_ref(), lifetime)?;
        }
        let supervision = Arc::new(Supervision::default());
        if let Some((port, sockets)) = running_postmaster(&data_dir) {
            log::info!("using the PostgreSQL cluster already running in {}", data_dir.display());
            supervision.up.store(true, Ordering::SeqCst);
            return Ok(Self { root, data_dir, socket_dir: sockets, port, child: None, supervision });
        }

        let log_path = root.join("postgres.log");
        let child = spawn_postmaster(&bin_dir, &data_dir, &socket_dir, &log_path, user, lifetime, supervision.clone())?;
        let mut cluster = Self { root, data_dir, socket_dir, port: SOCKET_PORT, child: Some(child), supervision };
        if let Err(e) = cluster.wait_until_ready(&log_path) {
            cluster.stop();
            return Err(e);
        }
        Ok(cluster)
    }

    /// A connection URL for `database` over the cluster's Unix socket.
    pub fn url(&self, database: &str) -> String {
        format!("postgresql://{LOCAL_USER}@localhost/{database}?host={}&port={}", self.socket_dir.display(), self.port)
    }

    /// Stops the postmaster we started (fast shutdown) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(waiter) = self.child.take() {
            self.supervision.stopping.store(true, Ordering::SeqCst);
            if let Some(pid) = self.supervision.pid() {
                // SAFETY: kill(2) has no memory-safety preconditions.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
            }
            let _ = waiter.join();
            log::info!("stopped the PostgreSQL cluster in {}", self.data_dir.display());
        }
    }

    fn wait_until_ready(&mut self, log_path: &Path) -> Result<(), LocalError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if running_postmaster(&self.data_dir).is_some() {
                return Ok(());
            }
            let exited =
                self.child.as_ref().is_some_and(|w| w.is_finished()) || !self.supervision.up.load(Ordering::SeqCst);
            if exited || Instant::now() > deadline {
                return Err(LocalError::Failed(format!(
                    "PostgreSQL did not start in {}; the end of its log ({}):\n{}",
                    self.data_dir.display(),
                    log_path.display(),
                    tail(log_path, 2000)
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The folder holding `initdb` and `postgres`: `JIANYI_PG_BIN_DIR`, then PATH, then the
/// usual Debian, RHEL and Homebrew locations, newest version first.
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("JIANYI_PG_BIN_DIR") {
        let dir = PathBuf::from(dir);
        return has_server(&dir).then_some(dir);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            // Debian links only some tools into PATH: follow initdb to its real folder.
            if let Ok(real) = fs::canonicalize(dir.join("initdb"))
                && let Some(real_dir) = real.parent()
                && has_server(real_dir)
            {
                return Some(real_dir.to_path_buf());
            }
        }
    }
    let mut candidates: Vec<(u32, PathBuf)> = Vec::new();
    let versioned = [
        ("/usr/lib/postgresql", "", "bin"),
        ("/usr", "pgsql-", "bin"),
        ("/opt/homebrew/opt", "postgresql@", "bin"),
        ("/usr/local/opt", "postgresql@", "bin"),
    ];
    for (parent, prefix, bin) in versioned {
        let Ok(entries) = fs::read_dir(parent) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(version) = name.strip_prefix(prefix) else { continue };
            let Ok(major) = version.split('.').next().unwrap_or("").parse::<u32>() else {
                continue;
            };
            let dir = entry.path().join(bin);
            if has_server(&dir) {
                candidates.push((major, dir));
            }
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    if let Some((_, dir)) = candidates.into_iter().next() {
        return Some(dir);
    }
    ["/opt/homebrew/opt/postgresql/bin", "/opt/homebrew/bin", "/usr/local/bin", "/usr/local/pgsql/bin"]
        .into_iter()
        .map(PathBuf::from)
        .find(|dir| has_server(dir))
}

fn server_user() -> Result<Option<ServerUser>, LocalError> {
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Some(user) = lookup_user(name) {
            return Ok(Some(user));
        }
    }
    Err(LocalError::Failed(
        "running as root, and neither a `postgres` nor a `nobody` user exists to run the \
         PostgreSQL server as (initdb refuses root)"
            .into(),
    ))
}

fn lookup_user(name: &str) -> Option<ServerUser> {
    let cname = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam returns null or a pointer to static storage, read at once; this runs
    // at start-up before other threads look users up.
    let pw = unsafe { libc::getpwnam(cname.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: checked non-null above.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Some(ServerUser { name: name.to_string(), uid, gid })
}

/// `wanted` if the server user can write there, else a per-project folder it can reach.
fn reachable_root(wanted: &Path, user: Option<&ServerUser>) -> Result<PathBuf, LocalError> {
    fs::create_dir_all(wanted).map_err(io_err(format!("creating {}", wanted.display())))?;
    let wanted = fs::canonicalize(wanted).map_err(io_err(format!("resolving {}", wanted.display())))?;
    let Some(user) = user else { return Ok(wanted) };
    chown(&wanted, user)?;
    if user_can_write(&wanted, user) {
        return Ok(wanted);
    }
    let fallback = std::env::temp_dir().join(format!("jianyi-{}", short_hash(&wanted)));
    make_private_dir(&fallback, Some(user))?;
    log::warn!(
        "the `{}` user that runs PostgreSQL cannot reach {}; keeping this project's cluster in {} instead",
        user.name,
        wanted.display(),
        fallback.display()
    );
    Ok(fallback)
}

fn user_can_write(dir: &Path, user: &ServerUser) -> bool {
    let mut test = Command::new("test");
    test.arg("-w").arg(dir).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    as_user(&mut test, Some(user.clone()), None);
    test.status().is_ok_and(|s| s.success())
}

fn make_private_dir(dir: &Path, user: Option<&ServerUser>) -> Result<(), LocalError> {
    fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(io_err(format!("setting the mode of {}", dir.display())))?;
    if let Some(user) = user {
        chown(dir, user)?;
    }
    Ok(())
}

fn chown(path: &Path, user: &ServerUser) -> Result<(), LocalError> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(io_err(format!(
        "giving {} to the `{}` user",
        path.display(),
        user.name
    )))
}

fn init_cluster(
    bin_dir: &Path,
    data_dir: &Path,
    user: Option<&ServerUser>,
    lifetime: Lifetime,
) -> Result<(), LocalError> {
    if data_dir.exists() {
        // A folder without PG_VERSION is an interrupted initdb of ours: start over.
        fs::remove_dir_all(data_dir).map_err(io_err(format!("clearing {}", data_dir.display())))?;
    }
    make_private_dir(data_dir, user)?;
    log::info!("creating a PostgreSQL cluster in {}", data_dir.display());
    let mut initdb = Command::new(bin_dir.join("initdb"));
    initdb
        .arg("-D")
        .arg(data_dir)
        .args(["-A", "trust", "-U", LOCAL_USER, "-E", "UTF8", "--locale=C"])
        .current_dir(data_dir)
        .stdin(Stdio::null());
    if lifetime == Lifetime::Ephemeral {
        initdb.arg("--no-sync");
    }
    as_user(&mut initdb, user.cloned(), None);
    let out = initdb.output().map_err(io_err("running initdb"))?;
    if !out.status.success() {
        return Err(LocalError::Failed(format!(
            "initdb failed in {}:\n{}{}",
            data_dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// The port and socket folder of a postmaster that is running and ready in `data_dir`.
fn running_postmaster(data_dir: &Path) -> Option<(u16, PathBuf)> {
    let text = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let pid: libc::pid_t = lines.first()?.trim().parse().ok()?;
    // SAFETY: kill with signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    let port = lines.get(3)?.trim().parse().ok()?;
    let sockets = lines.get(4)?.trim();
    let ready = lines.get(7).is_some_and(|s| s.trim() == "ready");
    (alive && ready && !sockets.is_empty()).then(|| (port, PathBuf::from(sockets)))
}

fn spawn_postmaster(
    bin_dir: &Path,
    data_dir: &Path,
    socket_dir: &Path,
    log_path: &Path,
    user: Option<ServerUser>,
    lifetime: Lifetime,
    supervision: Arc<Supervision>,
) -> Result<JoinHandle<()>, LocalError> {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(io_err(format!("opening {}", log_path.display())))?;
    let log2 = log.try_clone().map_err(io_err("duplicating the log file"))?;
    let mut postgres = Command::new(bin_dir.join("postgres"));
    postgres
        .arg("-D")
        .arg(data_dir)
        .arg("-k")
        .arg(socket_dir)
        .args(["-p", &SOCKET_PORT.to_string()])
        .args(["-c", "listen_addresses=", "-c", "max_connections=200"])
        .current_dir(data_dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    // Fast shutdown keeps a persistent cluster clean; a test cluster is just killed.
    let death_signal = match lifetime {
        Lifetime::Persistent => libc::SIGINT,
        Lifetime::Ephemeral => {
            postgres.args(["-c", "fsync=off", "-c", "synchronous_commit=off"]);
            postgres.args(["-c", "full_page_writes=off"]);
            libc::SIGQUIT
        }
    };
    as_user(&mut postgres, user, Some(death_signal));

    // The parent-death signal fires when the spawning *thread* ends, so a thread that lives
    // exactly as long as the server spawns it, waits for it, and restarts it when it dies.
    let (tx, rx) = mpsc::channel();
    let data = data_dir.display().to_string();
    let waiter = std::thread::Builder::new()
        .name("postgres".into())
        .spawn(move || {
            let mut first = Some(tx);
            let mut in_a_row = 0;
            loop {
                let mut child = match postgres.spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        match first.take() {
                            Some(tx) => drop(tx.send(Err(e))),
                            None => log::error!("could not restart PostgreSQL in {data}: {e}; giving up"),
                        }
                        supervision.gave_up.store(true, Ordering::SeqCst);
                        return;
                    }
                };
                supervision.pid.store(child.id(), Ordering::SeqCst);
                supervision.up.store(true, Ordering::SeqCst);
                if let Some(tx) = first.take() {
                    let _ = tx.send(Ok(()));
                }
                let started = Instant::now();
                let status = child.wait();
                supervision.up.store(false, Ordering::SeqCst);
                supervision.pid.store(0, Ordering::SeqCst);
                if supervision.stopping.load(Ordering::SeqCst) {
                    return;
                }
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                match after_exit(in_a_row, started.elapsed()) {
                    AfterExit::GiveUp => {
                        supervision.gave_up.store(true, Ordering::SeqCst);
                        log::error!(
                            "PostgreSQL in {data} exited again ({status}) after {RESTART_LIMIT} restarts in a row: \
                             giving up; the service answers 503 until it is started again (see its log in {data}/../postgres.log)"
                        );
                        return;
                    }
                    AfterExit::Restart(wait, n) => {
                        log::error!(
                            "PostgreSQL in {data} exited ({status}); restarting it in {} s (restart {n} of at most {RESTART_LIMIT} in a row)",
                            wait.as_secs()
                        );
                        in_a_row = n;
                        let until = Instant::now() + wait;
                        while Instant::now() < until {
                            if supervision.stopping.load(Ordering::SeqCst) {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        supervision.restarts.fetch_add(1, Ordering::SeqCst);
                        log::warn!("restarting PostgreSQL in {data}");
                    }
                }
            }
        })
        .map_err(io_err("starting the thread that runs PostgreSQL"))?;
    rx.recv()
        .map_err(|_| LocalError::Failed("the thread that runs PostgreSQL ended".into()))?
        .map_err(io_err("starting postgres"))?;
    Ok(waiter)
}

/// Runs the command as `user` (when root), in its own session (so a terminal's Ctrl-C
/// reaches only us, and we stop the server in order), optionally with a parent-death signal.
fn as_user(cmd: &mut Command, user: Option<ServerUser>, death_signal: Option<libc::c_int>) {
    // SAFETY: getpid(2) has no preconditions; read here, before the fork.
    let our_pid = unsafe { libc::getpid() };
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // system calls.
    unsafe {
        cmd.pre_exec(move || {
            libc::setsid();
            if let Some(user) = &user {
                let groups = [user.gid];
                if libc::setgroups(1, groups.as_ptr()) != 0
                    || libc::setgid(user.gid) != 0
                    || libc::setuid(user.uid) != 0
                {
                    return Err(io::Error::last_os_error());
                }
            }
            // After the uid change, which would clear it.
            if let Some(signal) = death_signal {
                if libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::getppid() != our_pid {
                    // We died before the signal was armed.
                    libc::_exit(1);
                }
            }
            Ok(())
        });
    }
}

/// A short, stable name for a path (for per-project folders).
fn short_hash(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The last `bytes` of a file, for error messages.
fn tail(path: &Path, bytes: u64) -> String {
    let Ok(mut file) = fs::File::open(path) else { return String::new() };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(bytes)));
    let mut text = String::new();
    let _ = io::BufReader::new(&mut file).read_to_string(&mut text);
    text.lines().collect::<Vec<_>>().join("\n")
}

/// Removes the folders of test clusters whose process is gone.
pub fn remove_stale_test_clusters(prefix: &str) {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(prefix).and_then(|p| p.parse::<libc::pid_t>().ok()) else {
            continue;
        };
        // SAFETY: kill with signal 0 only checks that the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        if !alive {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_server_is_restarted_with_backoff_up_to_a_limit() {
        let quick = Duration::from_secs(1);
        assert_eq!(after_exit(0, quick), AfterExit::Restart(Duration::from_secs(1), 1));
        assert_eq!(after_exit(1, quick), AfterExit::Restart(Duration::from_secs(2), 2));
        assert_eq!(after_exit(4, quick), AfterExit::Restart(Duration::from_secs(16), 5));
        assert_eq!(after_exit(RESTART_LIMIT, quick), AfterExit::GiveUp);
        assert_eq!(
            after_exit(RESTART_LIMIT, STABLE_AFTER),
            AfterExit::Restart(Duration::from_secs(1), 1),
            "a stable run starts over"
        );
    }

    #[test]
    fn short_hash_is_stable_and_short() {
        let a = short_hash(Path::new("/root/jianyi/var/pg"));
        assert_eq!(a.len(), 12);
        assert_eq!(a, short_hash(Path::new("/root/jianyi/var/pg")));
        assert_ne!(a, short_hash(Path::new("/root/other/var/pg")));
    }

    #[test]
    fn running_postmaster_reads_the_pid_file() {
        let dir = std::env::temp_dir().join(format!("jianyi-pidfile-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let ours = std::process::id();
        let body = format!("{ours}\n/data\n1700000000\n5432\n/tmp/sock\n\n  1 2\nready   \n");
        fs::write(dir.join("postmaster.pid"), body).unwrap();
        assert_eq!(running_postmaster(&dir), Some((5432, PathBuf::from("/tmp/sock"))));
        let starting = format!("{ours}\n/data\n1700000000\n5432\n/tmp/sock\n\n  1 2\nstarting\n");
        fs::write(dir.join("postmaster.pid"), starting).unwrap();
        assert_eq!(running_postmaster(&dir), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
