//! Server configuration: command-line flags, then `LINEUP_*` environment variables,
//! then defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the SQLite file lives (created on first start).
    pub data_dir: PathBuf,
    /// Static files served at `/` instead of the demo apps built into the binary.
    pub www_dir: Option<PathBuf>,
    /// The SDK package served at `/sdk/` instead of the one built into the binary.
    pub sdk_dir: Option<PathBuf>,
    /// Server ping interval; a connection silent for twice this is closed.
    pub heartbeat_s: u32,
    /// Largest WebSocket message accepted.
    pub max_frame_bytes: usize,
    /// Lifetime of the login ticket handed out by `POST /api/v1/login`.
    pub ticket_s: u32,
    /// Key for server administration (`POST /api/v1/apps`); disabled when unset.
    pub admin_key: Option<String>,
    /// Create the `demo` app with sample queues when the store has no app.
    pub seed_demo: bool,
    /// A webhook delivery is retried until this long after the event, then dead.
    pub webhook_horizon_s: u64,
    /// The first retry waits this long; each next one twice as long (at most 10 min).
    pub webhook_backoff_ms: u64,
    /// A receiver must answer within this long.
    pub webhook_timeout_s: u64,
    /// Agent event subscriptions per app.
    pub max_agent_hooks: u32,
    /// Delivered webhook rows are kept this long (for the delivery log), then pruned.
    pub webhook_retention_s: u64,
    /// Report intervals are kept this many days.
    pub report_days: u32,
    /// A snapshot of the engine is taken after this many journaled steps ...
    pub snapshot_steps: u64,
    /// ... or when the latest one is this old and anything was journaled since.
    pub snapshot_interval_s: u64,
    /// Frames queued for one connection; a client that lets more pile up is cut (4003).
    pub send_queue_frames: usize,
    /// ... or more than this many bytes.
    pub send_queue_bytes: usize,
    /// A WebSocket must send `Login` or `Resume` within this long (else 4004).
    pub login_timeout_s: u32,
    /// An HTTP request's head must arrive within this long, its body within this long.
    pub header_timeout_s: u32,
    pub body_timeout_s: u32,
    /// Open TCP connections per source address.
    pub max_connections_per_ip: u32,
    /// WebSockets per source address that have not logged in yet.
    pub max_pre_login_per_ip: u32,
    /// Failed credential checks per source address: a burst, then this many a minute.
    pub failed_logins_burst: u32,
    pub failed_logins_per_minute: u32,
    /// Origins allowed to call the API from other pages (CORS); empty: none beyond the
    /// server's own origin; `*`: any.
    pub cors_origins: Vec<String>,
    /// Webhook receivers on these networks are allowed although private or loopback.
    pub webhook_allow: Vec<crate::webhooks::addr::Net>,
    /// Bearer token `/metrics` requires; open when unset.
    pub metrics_token: Option<String>,
    /// The media server's UDP socket (audio and video of calls); default: the listen
    /// address's IP, any free port. `None` in `media` = no media server.
    pub media_udp: Option<SocketAddr>,
    /// The address announced to browsers for the media socket, when it differs from the
    /// bound one (NAT, a 0.0.0.0 bind).
    pub media_public_ip: Option<std::net::IpAddr>,
    /// The media server's TCP port for ICE over TCP (browsers that cannot send UDP);
    /// default: the UDP socket's address and port number. `media_tcp_off` turns it off.
    pub media_tcp: Option<SocketAddr>,
    pub media_tcp_off: bool,
    /// Whether the media server runs.
    pub media: bool,
    /// Cluster mode (`--database postgres://…`): apps, journals and leases in
    /// PostgreSQL, one owner per app; None: the embedded SQLite single node.
    pub cluster: Option<ClusterConfig>,
    /// Tests only (no flag): creating a queue of this name panics after the engine
    /// applied it, to prove that a panic is contained and rolled back.
    #[doc(hidden)]
    pub fault_queue_name: Option<String>,
    /// Tests only (no flag): names the webhook deliveries resolve to these addresses
    /// instead of asking the system's resolver (a test's own name for loopback, whatever
    /// the machine's hosts file says); the addresses are checked like resolved ones.
    #[doc(hidden)]
    pub webhook_hosts: Vec<(String, std::net::IpAddr)>,
}

impl Config {
    /// `--media-tcp`: an address, or `off`.
    fn set_media_tcp(&mut self, v: &str, what: &str) -> Result<(), String> {
        if v == "off" {
            self.media_tcp_off = true;
        } else {
            self.media_tcp = Some(v.parse().map_err(|e| format!("{what} {v}: {e} (ADDR:PORT or off)"))?);
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("lineup-data"),
            www_dir: None,
            sdk_dir: None,
            heartbeat_s: 15,
            max_frame_bytes: 64 * 1024,
            ticket_s: 60,
            admin_key: None,
            seed_demo: true,
            webhook_horizon_s: 4 * 3600,
            webhook_backoff_ms: 1000,
            webhook_timeout_s: 15,
            max_agent_hooks: 100,
            webhook_retention_s: 7 * 86_400,
            report_days: 31,
            snapshot_steps: 50_000,
            snapshot_interval_s: 300,
            send_queue_frames: 4096,
            send_queue_bytes: 4 << 20,
            login_timeout_s: 10,
            header_timeout_s: 10,
            body_timeout_s: 10,
            max_connections_per_ip: 4096,
            max_pre_login_per_ip: 256,
            failed_logins_burst: 20,
            failed_logins_per_minute: 30,
            cors_origins: Vec::new(),
            webhook_allow: Vec::new(),
            metrics_token: None,
            media_udp: None,
            media_public_ip: None,
            media_tcp: None,
            media_tcp_off: false,
            media: true,
            fault_queue_name: None,
            webhook_hosts: Vec::new(),
            cluster: None,
        }
    }
}

/// A cluster node's settings.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// `postgres://user:password@host:port/database`.
    pub database_url: String,
    /// This node's name in the node and lease tables (unique in the cluster).
    pub node_id: String,
    /// Where the other nodes reach this one (`host:port`).
    pub advertise: String,
    /// The secret the nodes authenticate each other with (at least 16 characters).
    pub secret: String,
}

/// The command line: where to listen, plus the configuration.
#[derive(Clone, Debug)]
pub struct Cli {
    pub listen: SocketAddr,
    pub config: Config,
}

/// What `--version` prints.
pub const VERSION: &str = concat!("lineup-server ", env!("CARGO_PKG_VERSION"), "\n");

pub const USAGE: &str = "\
lineup-server: the Lineup queue server

USAGE: lineup-server [--listen ADDR] [--data DIR] [--www DIR] [--sdk DIR]
                     [--admin-key KEY] [--metrics-token TOKEN] [--heartbeat SECONDS]
                     [--max-frame BYTES] [--version]

  --listen ADDR       address to bind (env LINEUP_LISTEN; default 127.0.0.1:8080)
  --data DIR          data directory: the SQLite store and call recordings (a cluster
                      node keeps only its recordings there) (env LINEUP_DATA; default
                      ./lineup-data)
  --www DIR           serve / from DIR instead of the demo apps built into the binary
                      (env LINEUP_WWW; for developing the apps)
  --sdk DIR           serve /sdk/ from DIR instead of the SDK built into the binary
                      (env LINEUP_SDK; e.g. js/dist)
  --admin-key KEY     enables POST /api/v1/apps (env LINEUP_ADMIN_KEY)
  --heartbeat S       WebSocket ping interval in seconds (env LINEUP_HEARTBEAT_S; default 15)
  --max-frame BYTES   largest WebSocket message (env LINEUP_MAX_FRAME_BYTES; default 65536)
  --ticket-seconds S  lifetime of a login ticket (env LINEUP_TICKET_S; default 60)
  --no-demo           do not create the demo app on first start (env LINEUP_NO_DEMO=1)
  --cors-origin O     let pages of origin O (e.g. https://crm.example.com; * for any) call
                      the API; repeat or comma-separate (env LINEUP_CORS_ORIGIN; default none)
  --webhook-allow N   allow webhook receivers on network N although private or loopback
                      (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1/128); repeat or comma-separate
                      (env LINEUP_WEBHOOK_ALLOW; default none)
  --metrics-token T   /metrics requires `Authorization: Bearer T` (env LINEUP_METRICS_TOKEN;
                      default: open)
  --version           print the version and exit
  --login-timeout S   a WebSocket must Login/Resume within S seconds (env LINEUP_LOGIN_TIMEOUT_S; 10)
  --media-udp ADDR    the media server's UDP socket for calls' audio and video (env
                      LINEUP_MEDIA_UDP; default: the --listen IP, a free port)
  --media-public-ip IP  the address browsers reach the media socket at, when it is not
                      the bound one (NAT, 0.0.0.0) (env LINEUP_MEDIA_PUBLIC_IP)
  --media-tcp ADDR|off  the media server's TCP port, for browsers on networks that let no
                      UDP out (ICE over TCP) (env LINEUP_MEDIA_TCP; default: the media UDP
                      socket's IP and port number)
  --no-media          no media server: calls carry signalling only (env LINEUP_NO_MEDIA=1)

Cluster mode (see CLUSTER.md): several nodes on one PostgreSQL, one owner per app.
  --database URL      postgres://user:password@host:port/db: apps, queues, journals and
                      leases in PostgreSQL instead of the SQLite in --data
                      (env LINEUP_DATABASE_URL)
  --cluster-secret S  the secret the nodes authenticate each other with, the same on
                      every node, at least 16 characters (env LINEUP_CLUSTER_SECRET;
                      required with --database)
  --advertise ADDR    host:port the other nodes reach this one at (env LINEUP_ADVERTISE;
                      default: the --listen address, which must then not be 0.0.0.0)
  --node-id ID        this node's name, unique in the cluster (env LINEUP_NODE_ID;
                      default: the advertised address)

Limits (env only): LINEUP_SEND_QUEUE_FRAMES / LINEUP_SEND_QUEUE_BYTES (frames / bytes
queued per connection before a slow client is cut with 4003, default 4096 / 4194304), LINEUP_HEADER_TIMEOUT_S / LINEUP_BODY_TIMEOUT_S
(HTTP request head / body deadlines, default 10), LINEUP_MAX_CONNECTIONS_PER_IP (4096),
LINEUP_MAX_PRE_LOGIN_PER_IP (WebSockets not logged in yet, 256),
LINEUP_FAILED_LOGINS_BURST / LINEUP_FAILED_LOGINS_PER_MINUTE (wrong credentials per
address before 429, default 20, then 30 a minute).

Webhooks (env only): LINEUP_WEBHOOK_HORIZON_S (retry horizon, default 14400),
LINEUP_WEBHOOK_BACKOFF_MS (first retry delay, default 1000), LINEUP_WEBHOOK_TIMEOUT_S
(receiver timeout, default 15), LINEUP_MAX_AGENT_HOOKS (agent subscriptions per app, 100),
LINEUP_WEBHOOK_RETENTION_S (delivered rows kept for the delivery log, default 604800).

Reports (env only): LINEUP_REPORT_DAYS (15-minute report intervals kept, default 31).

Journal (env only): LINEUP_SNAPSHOT_STEPS (journaled steps between snapshots, default
50000), LINEUP_SNAPSHOT_INTERVAL_S (at most this old when anything changed, default 300).
SIGTERM or SIGINT stops gracefully: the journal is flushed and sockets close with 1001.

Logging: LINEUP_LOG or RUST_LOG (e.g. info, lineup_server=debug; logins and other
per-request lines are at debug). LINEUP_LOG_FORMAT=json writes one JSON object per line
(default: text).
";

impl Cli {
    /// Parses flags (`args` without the program name) over `env` lookups.
    pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Cli, String> {
        let mut listen = env("LINEUP_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let mut config = Config::default();
        if let Some(v) = env("LINEUP_DATA") {
            config.data_dir = v.into();
        }
        config.www_dir = env("LINEUP_WWW").filter(|v| !v.is_empty()).map(PathBuf::from);
        config.sdk_dir = env("LINEUP_SDK").filter(|v| !v.is_empty()).map(PathBuf::from);
        config.metrics_token = env("LINEUP_METRICS_TOKEN").filter(|v| !v.is_empty());
        config.admin_key = env("LINEUP_ADMIN_KEY").filter(|k| !k.is_empty());
        if let Some(v) = env("LINEUP_HEARTBEAT_S") {
            config.heartbeat_s = number("LINEUP_HEARTBEAT_S", &v)?;
        }
        if let Some(v) = env("LINEUP_TICKET_S") {
            config.ticket_s = number("LINEUP_TICKET_S", &v)?;
        }
        if let Some(v) = env("LINEUP_MAX_FRAME_BYTES") {
            config.max_frame_bytes = number("LINEUP_MAX_FRAME_BYTES", &v)?;
        }
        if let Some(v) = env("LINEUP_WEBHOOK_HORIZON_S") {
            config.webhook_horizon_s = number("LINEUP_WEBHOOK_HORIZON_S", &v)?;
        }
        if let Some(v) = env("LINEUP_WEBHOOK_BACKOFF_MS") {
            config.webhook_backoff_ms = number("LINEUP_WEBHOOK_BACKOFF_MS", &v)?;
        }
        if let Some(v) = env("LINEUP_WEBHOOK_TIMEOUT_S") {
            config.webhook_timeout_s = number("LINEUP_WEBHOOK_TIMEOUT_S", &v)?;
        }
        if let Some(v) = env("LINEUP_WEBHOOK_RETENTION_S") {
            config.webhook_retention_s = number("LINEUP_WEBHOOK_RETENTION_S", &v)?;
        }
        if let Some(v) = env("LINEUP_MAX_AGENT_HOOKS") {
            config.max_agent_hooks = number("LINEUP_MAX_AGENT_HOOKS", &v)?;
        }
        if let Some(v) = env("LINEUP_REPORT_DAYS") {
            config.report_days = number("LINEUP_REPORT_DAYS", &v)?;
            if !(1..=3660).contains(&config.report_days) {
                return Err(format!("LINEUP_REPORT_DAYS: {} is outside 1..=3660", config.report_days));
            }
        }
        if let Some(v) = env("LINEUP_SNAPSHOT_STEPS") {
            config.snapshot_steps = number("LINEUP_SNAPSHOT_STEPS", &v)?;
        }
        if let Some(v) = env("LINEUP_SNAPSHOT_INTERVAL_S") {
            config.snapshot_interval_s = number("LINEUP_SNAPSHOT_INTERVAL_S", &v)?;
        }
        for (key, slot) in [
            ("LINEUP_LOGIN_TIMEOUT_S", &mut config.login_timeout_s),
            ("LINEUP_HEADER_TIMEOUT_S", &mut config.header_timeout_s),
            ("LINEUP_BODY_TIMEOUT_S", &mut config.body_timeout_s),
            ("LINEUP_MAX_CONNECTIONS_PER_IP", &mut config.max_connections_per_ip),
            ("LINEUP_MAX_PRE_LOGIN_PER_IP", &mut config.max_pre_login_per_ip),
            ("LINEUP_FAILED_LOGINS_BURST", &mut config.failed_logins_burst),
            ("LINEUP_FAILED_LOGINS_PER_MINUTE", &mut config.failed_logins_per_minute),
        ] {
            if let Some(v) = env(key) {
                *slot = number(key, &v)?;
            }
        }
        if let Some(v) = env("LINEUP_SEND_QUEUE_FRAMES") {
            config.send_queue_frames = number("LINEUP_SEND_QUEUE_FRAMES", &v)?;
        }
        if let Some(v) = env("LINEUP_SEND_QUEUE_BYTES") {
            config.send_queue_bytes = number("LINEUP_SEND_QUEUE_BYTES", &v)?;
        }
        if let Some(v) = env("LINEUP_CORS_ORIGIN") {
            config.cors_origins.extend(list(&v));
        }
        if let Some(v) = env("LINEUP_WEBHOOK_ALLOW") {
            for n in list(&v) {
                config
                    .webhook_allow
                    .push(crate::webhooks::addr::Net::parse(&n).map_err(|e| format!("LINEUP_WEBHOOK_ALLOW: {e}"))?);
            }
        }
        if env("LINEUP_NO_DEMO").is_some_and(|v| v == "1") {
            config.seed_demo = false;
        }
        if let Some(v) = env("LINEUP_MEDIA_UDP").filter(|v| !v.is_empty()) {
            config.media_udp = Some(v.parse().map_err(|e| format!("LINEUP_MEDIA_UDP {v}: {e} (ADDR:PORT)"))?);
        }
        if let Some(v) = env("LINEUP_MEDIA_PUBLIC_IP").filter(|v| !v.is_empty()) {
            config.media_public_ip = Some(v.parse().map_err(|e| format!("LINEUP_MEDIA_PUBLIC_IP {v}: {e}"))?);
        }
        if let Some(v) = env("LINEUP_MEDIA_TCP").filter(|v| !v.is_empty()) {
            config.set_media_tcp(&v, "LINEUP_MEDIA_TCP")?;
        }
        if env("LINEUP_NO_MEDIA").is_some_and(|v| v == "1") {
            config.media = false;
        }
        let mut database = env("LINEUP_DATABASE_URL").filter(|v| !v.is_empty());
        let mut cluster_secret = env("LINEUP_CLUSTER_SECRET").filter(|v| !v.is_empty());
        let mut advertise = env("LINEUP_ADVERTISE").filter(|v| !v.is_empty());
        let mut node_id = env("LINEUP_NODE_ID").filter(|v| !v.is_empty());
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--listen" => listen = value()?,
                "--data" => config.data_dir = value()?.into(),
                "--www" => config.www_dir = Some(value()?.into()),
                "--sdk" => config.sdk_dir = Some(value()?.into()),
                "--admin-key" => config.admin_key = Some(value()?),
                "--heartbeat" => config.heartbeat_s = number("--heartbeat", &value()?)?,
                "--max-frame" => config.max_frame_bytes = number("--max-frame", &value()?)?,
                "--ticket-seconds" => config.ticket_s = number("--ticket-seconds", &value()?)?,
                "--no-demo" => config.seed_demo = false,
                "--cors-origin" => config.cors_origins.extend(list(&value()?)),
                "--webhook-allow" => {
                    for n in list(&value()?) {
                        config
                            .webhook_allow
                            .push(crate::webhooks::addr::Net::parse(&n).map_err(|e| format!("--webhook-allow: {e}"))?);
                    }
                }
                "--metrics-token" => config.metrics_token = Some(value()?).filter(|v| !v.is_empty()),
                "--login-timeout" => config.login_timeout_s = number("--login-timeout", &value()?)?,
                "--media-udp" => {
                    let v = value()?;
                    config.media_udp = Some(v.parse().map_err(|e| format!("--media-udp {v}: {e} (ADDR:PORT)"))?);
                }
                "--media-public-ip" => {
                    let v = value()?;
                    config.media_public_ip = Some(v.parse().map_err(|e| format!("--media-public-ip {v}: {e}"))?);
                }
                "--media-tcp" => config.set_media_tcp(&value()?, "--media-tcp")?,
                "--no-media" => config.media = false,
                "--database" => database = Some(value()?),
                "--cluster-secret" => cluster_secret = Some(value()?),
                "--advertise" => advertise = Some(value()?),
                "--node-id" => node_id = Some(value()?),
                "-h" | "--help" => return Err(USAGE.into()),
                "-V" | "--version" => return Err(VERSION.into()),
                other => return Err(format!("unknown flag {other}\n\n{USAGE}")),
            }
        }
        if config.webhook_backoff_ms == 0 || config.webhook_timeout_s == 0 {
            return Err("LINEUP_WEBHOOK_BACKOFF_MS and LINEUP_WEBHOOK_TIMEOUT_S must be at least 1".into());
        }
        if config.login_timeout_s == 0 || config.header_timeout_s == 0 || config.body_timeout_s == 0 {
            return Err("--login-timeout, LINEUP_HEADER_TIMEOUT_S and LINEUP_BODY_TIMEOUT_S must be at least 1".into());
        }
        if config.max_connections_per_ip == 0 || config.max_pre_login_per_ip == 0 || config.send_queue_frames == 0 {
            return Err("LINEUP_MAX_CONNECTIONS_PER_IP, LINEUP_MAX_PRE_LOGIN_PER_IP and LINEUP_SEND_QUEUE_FRAMES must be at least 1".into());
        }
        for origin in &config.cors_origins {
            if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(format!("--cors-origin {origin}: an origin is http(s)://host[:port], or *"));
            }
        }
        if config.snapshot_steps == 0 {
            return Err("LINEUP_SNAPSHOT_STEPS must be at least 1".into());
        }
        if config.heartbeat_s == 0 {
            return Err("--heartbeat must be at least 1 second".into());
        }
        if !(1..=3600).contains(&config.ticket_s) {
            return Err("--ticket-seconds must be 1 to 3600".into());
        }
        if config.max_frame_bytes < 1024 {
            return Err("--max-frame must be at least 1024 bytes".into());
        }
        let listen: SocketAddr = listen.parse().map_err(|e| format!("--listen {listen}: {e}"))?;
        config.cluster = cluster(listen, database, cluster_secret, advertise, node_id)?;
        Ok(Cli { listen, config })
    }
}

/// The cluster flags checked together: all of them need `--database`.
fn cluster(
    listen: SocketAddr,
    database: Option<String>,
    secret: Option<String>,
    advertise: Option<String>,
    node_id: Option<String>,
) -> Result<Option<ClusterConfig>, String> {
    let Some(database_url) = database else {
        if secret.is_some() || advertise.is_some() || node_id.is_some() {
            return Err("--cluster-secret, --advertise and --node-id need --database (cluster mode)".into());
        }
        return Ok(None);
    };
    if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
        return Err("--database: a PostgreSQL URL, postgres://user:password@host:port/database".into());
    }
    let secret =
        secret.ok_or("--database needs --cluster-secret (env LINEUP_CLUSTER_SECRET), the same on every node")?;
    if secret.chars().count() < 16 {
        return Err("--cluster-secret must be at least 16 characters".into());
    }
    let advertise = match advertise {
        Some(a) => a,
        None if listen.ip().is_unspecified() => {
            return Err(format!("--listen {listen} is every address: say with --advertise which host:port the other nodes reach this one at"))
        }
        None => listen.to_string(),
    };
    match advertise.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0) => {}
        _ => return Err(format!("--advertise {advertise}: host:port with a port from 1 to 65535")),
    }
    let node_id = node_id.unwrap_or_else(|| advertise.clone());
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']');
    if node_id.is_empty() || node_id.len() > 64 || !node_id.chars().all(valid) {
        return Err(format!("--node-id {node_id}: 1 to 64 letters, digits, '.', '-', '_' or ':'"));
    }
    Ok(Some(ClusterConfig { database_url, node_id, advertise, secret }))
}

/// A comma-separated list, trimmed, without empty items.
fn list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

fn number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.trim().parse().map_err(|_| format!("{name}: '{v}' is not a valid number"))
}
