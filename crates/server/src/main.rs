//! `lineup-server`: parses flags, binds, prints how to log in, serves until SIGINT
//! (Ctrl-C) or SIGTERM, then stops gracefully.

use std::process::ExitCode;

use lineup_server::{prepare, serve, Cli, DEMO_APP, DEMO_SECRET};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = match Cli::parse(&args, |k| std::env::var(k).ok()) {
        Ok(cli) => cli,
        Err(msg) if msg == lineup_server::config::USAGE => {
            print!("{msg}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("lineup-server: {msg}");
            return ExitCode::from(2);
        }
    };
    let filter = std::env::var("LINEUP_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).init();

    let www = cli.config.www_dir.clone();
    let sdk = cli.config.sdk_dir.clone();
    let data = cli.config.data_dir.clone();
    let prepared = match prepare(cli.config) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("lineup-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("lineup-server: cannot listen on {}: {e}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("Lineup queue server listening on http://{addr}");
    println!("  data: {}", data.display());
    if prepared.seeded_demo {
        println!("  first start: created app '{DEMO_APP}' with three sample queues");
    }
    if prepared.apps.iter().any(|a| a == DEMO_APP) {
        println!(
            "  log in with appID '{DEMO_APP}', app secret '{DEMO_SECRET}' (md5_appSecret {}) and any UID",
            lineup_server::auth::md5_hex(DEMO_SECRET)
        );
    }
    match www {
        Some(dir) => println!("  demo apps: http://{addr}/ (from {})", dir.display()),
        None => println!("  no --www directory: only the API is served"),
    }
    if sdk.is_some() {
        println!("  SDK: http://{addr}/sdk/lineup-crvideo.js (CloudRoom style), http://{addr}/sdk/index.js (ES module)");
    }
    println!("  API: http://{addr}/api/v1  WebSocket: ws://{addr}/ws  health: http://{addr}/healthz");
    let r = &prepared.recovered;
    if r.snapshot_seq > 0 || r.replayed > 0 {
        println!(
            "  recovered in {} ms: snapshot at step {} + {} journal steps; {} sessions held for resume, {} customers waiting",
            r.millis, r.snapshot_seq, r.replayed, r.sessions, r.waiting
        );
    }
    let shutdown = async {
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
        println!("lineup-server: stopping: flushing the journal, closing sockets with 1001");
    };
    match serve(listener, prepared, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lineup-server: {e}");
            ExitCode::FAILURE
        }
    }
}
