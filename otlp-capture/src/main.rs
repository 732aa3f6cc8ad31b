//! `otlp-capture`: run the capture receiver (or the X-Ray pass-through
//! workaround) as a process, for the lab scripts and experiments.
//!
//! ```text
//! otlp-capture [--listen 127.0.0.1:4319]
//!     OTLP/HTTP receiver: POST /v1/{traces,metrics,logs}; read back with
//!     GET /captured/{traces,metrics,logs} (OTLP/JSON), empty with DELETE /captured.
//! otlp-capture xray-passthrough --listen 127.0.0.1:5001 --upstream http://127.0.0.1:5000
//!     WORKAROUND for rotel's X-Ray exporter (gzip header on a plain body): forwards
//!     everything to --upstream without `content-encoding`.
//! ```
//!
//! Prints `listening on http://ADDR` on stdout once ready; stops on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: otlp-capture [--listen ADDR]\n       otlp-capture xray-passthrough --listen ADDR --upstream URL"
    );
    ExitCode::from(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let passthrough = args.first().is_some_and(|a| a == "xray-passthrough");
    if passthrough {
        args.remove(0);
    }
    let mut listen = "127.0.0.1:4319".to_owned();
    let mut upstream = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--listen", Some(v)) => listen = v,
            ("--upstream", Some(v)) => upstream = Some(v),
            _ => return usage(),
        }
    }
    let Ok(addr) = listen.parse::<SocketAddr>() else {
        eprintln!("otlp-capture: --listen {listen}: expected HOST:PORT");
        return ExitCode::from(2);
    };
    let app = if passthrough {
        let Some(upstream) = upstream else {
            return usage();
        };
        otlp_capture::passthrough::router(&upstream)
    } else {
        otlp_capture::router(otlp_capture::Store::default())
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("otlp-capture: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on http://{addr}");
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return std::future::pending().await,
                };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("otlp-capture: {e}");
            ExitCode::FAILURE
        }
    }
}
