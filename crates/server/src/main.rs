//! `lineup-server`: parses flags, binds, prints how to log in, serves until SIGINT
//! (Ctrl-C) or SIGTERM, then stops gracefully.

use std::process::ExitCode;

use lineup_server::logging::LogFormat;
use lineup_server::{prepare, serve, Cli, ServeError, DEMO_APP, DEMO_SECRET};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = match Cli::parse(&args, |k| std::env::var(k).ok()) {
        Ok(cli) => cli,
        Err(msg) if msg == lineup_server::config::USAGE || msg == lineup_server::config::VERSION => {
            print!("{msg}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("lineup-server: {msg}");
            return ExitCode::from(2);
        }
    };
    let format = match lineup_server::logging::init(|k| std::env::var(k).ok()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("lineup-server: {e}");
            return ExitCode::from(2);
        }
    };
    // The start-up lines: printed on a terminal, log events in JSON mode.
    let say = move |line: String| match format {
        LogFormat::Text => println!("{line}"),
        LogFormat::Json => tracing::info!(target: "lineup::start", "{}", line.trim()),
    };

    if cli.config.cluster.is_some() {
        return cluster_node(cli, say).await;
    }
    let www = cli.config.www_dir.clone();
    let sdk = cli.config.sdk_dir.clone();
    let data = cli.config.data_dir.clone();
    let prepared = match prepare(cli.config) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let Some((listener, addr)) = listen(cli.listen).await else { return ExitCode::FAILURE };
    say(format!("Lineup queue server listening on http://{addr}"));
    say(format!("  data: {}", data.display()));
    if prepared.seeded_demo {
        say(format!("  first start: created app '{DEMO_APP}' with three sample queues"));
    }
    if prepared.apps.iter().any(|a| a == DEMO_APP) {
        say(format!(
            "  log in with appID '{DEMO_APP}', app secret '{DEMO_SECRET}' (md5_appSecret {}) and any UID",
            lineup_server::auth::md5_hex(DEMO_SECRET)
        ));
    }
    let (www_files, sdk_files) = lineup_server::assets::embedded();
    match www {
        Some(dir) => say(format!("  demo apps: http://{addr}/ (from {})", dir.display())),
        None if www_files > 0 => say(format!("  demo apps: http://{addr}/ (built in)")),
        None => say(format!("  demo apps: none built in (the binary was built without www/)")),
    }
    match sdk {
        Some(dir) => say(format!("  SDK: http://{addr}/sdk/lineup-crvideo.js, /sdk/index.js (from {})", dir.display())),
        None if sdk_files > 0 => say(format!(
            "  SDK: http://{addr}/sdk/lineup-crvideo.js (CloudRoom style), http://{addr}/sdk/index.js (ES module)"
        )),
        None => say(format!("  SDK: none built in (build it with `cargo xtask sdk`, then rebuild the server)")),
    }
    say(format!("  API: http://{addr}/api/v1 (OpenAPI: /api/v1/openapi.json)  WebSocket: ws://{addr}/ws"));
    say(format!("  health: http://{addr}/healthz  metrics: http://{addr}/metrics"));
    let r = &prepared.recovered;
    if r.snapshot_seq > 0 || r.replayed > 0 {
        say(format!(
            "  recovered in {} ms: snapshot at step {} + {} journal steps; {} sessions held for resume, {} customers waiting",
            r.millis, r.snapshot_seq, r.replayed, r.sessions, r.waiting
        ));
    }
    match serve(listener, prepared, shutdown(say)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failed(e),
    }
}

/// Says why the server stopped; its exit code.
fn failed(e: ServeError) -> ExitCode {
    eprintln!("lineup-server: {e}");
    match e {
        // Nothing was acknowledged that is not durable; a restart recovers.
        ServeError::Journal(_) => ExitCode::from(lineup_server::hub::EXIT_JOURNAL_FAILED as u8),
        ServeError::Start(_) | ServeError::Hub(_) => ExitCode::FAILURE,
    }
}

/// A node of a cluster (`--database`).
async fn cluster_node(cli: Cli, say: impl Fn(String) + Send + Copy + 'static) -> ExitCode {
    let settings = cli.config.cluster.clone().expect("cluster mode");
    let runtime = tokio::runtime::Handle::current();
    let config = cli.config;
    let prepared =
        match tokio::task::spawn_blocking(move || lineup_server::cluster_serve::prepare(config, runtime)).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                eprintln!("lineup-server: {e}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("lineup-server: cannot join the cluster: {e}");
                return ExitCode::FAILURE;
            }
        };
    let Some((listener, addr)) = listen(cli.listen).await else { return ExitCode::FAILURE };
    say(format!("Lineup queue server listening on http://{addr}"));
    say(format!(
        "  cluster node '{}' (advertised as {}), database {}",
        settings.node_id,
        settings.advertise,
        redact(&settings.database_url)
    ));
    if prepared.seeded_demo {
        say(format!("  first start of the cluster: created app '{DEMO_APP}' (its three sample queues come with its first owner)"));
    }
    say(format!("  apps owned here now: {}", prepared.node.apps_here().join(", ")));
    say(format!("  API: http://{addr}/api/v1  WebSocket: ws://{addr}/ws  health: http://{addr}/healthz"));
    match lineup_server::cluster_serve::serve(listener, prepared, shutdown(say)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lineup-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Binds the listen address: the listener and the address it got (None: said why).
async fn listen(at: std::net::SocketAddr) -> Option<(tokio::net::TcpListener, String)> {
    match tokio::net::TcpListener::bind(at).await {
        Ok(l) => {
            let addr = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
            Some((l, addr))
        }
        Err(e) => {
            eprintln!("lineup-server: cannot listen on {at}: {e}");
            None
        }
    }
}

/// A database URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown(say: impl Fn(String)) {
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("lineup-server: cannot handle SIGTERM: {e}");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        say(format!("lineup-server: stopping: flushing the journal, closing sockets with 1001"));
    }
}
