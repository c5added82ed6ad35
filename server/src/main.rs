//! `doorstep`: the station server and its admin commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use doorstep_core::sync::Role;
use doorstep_core::{Clock, SystemClock};
use doorstep_server::station::{self, Station};
use doorstep_server::sync::enrol::{self, CodeRequest};
use doorstep_server::{cli, demo, say, storage, AppState};

#[derive(Parser)]
#[command(name = "doorstep", version, about = "Doorstep station server")]
struct Cli {
    /// How log lines are written to stderr: text for people, json (one object a line)
    /// for log shippers. Text has colours only when stderr is a terminal.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "DOORSTEP_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Args, Clone)]
struct Store {
    /// The station's folder. Without --database it holds everything: the sync storage
    /// (doorstep.db), admins, sessions and settings (admin.db), the station's encrypted
    /// store with its signing keys (station.db) and that store's key (station.key). With
    /// --database it holds only this node's replica of the ops (station.db, rebuilt by
    /// sync from PostgreSQL if lost) and its key; everything shared is in PostgreSQL.
    #[arg(long, default_value = "doorstep-data", env = "DOORSTEP_DATA")]
    data: PathBuf,
    /// A postgres:// URL: the sync storage, admins, sessions, settings and signing keys
    /// in PostgreSQL, shared by every node given the same URL.
    #[arg(long, env = "DOORSTEP_DATABASE")]
    database: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the sync server.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Fill a new station once with the demo community and a demo admin login.
        #[arg(long)]
        demo: bool,
        /// Minutes a pushed op's clock may run ahead of this server's; further ahead is
        /// refused (clock_ahead).
        #[arg(long, default_value_t = 10)]
        max_clock_skew_minutes: i64,
        /// Mark the session cookie Secure even when no proxy says the station is reached
        /// over HTTPS.
        #[arg(long)]
        cookie_secure: bool,
        /// Seconds a client has to send a whole request header (and an idle keep-alive
        /// connection stays open).
        #[arg(long, default_value_t = 10)]
        header_timeout: u64,
        /// Seconds a client may pause in the middle of a request body.
        #[arg(long, default_value_t = 30)]
        body_timeout: u64,
        /// Seconds a connection may move no byte while none of its requests is handled.
        #[arg(long, default_value_t = 60)]
        idle_timeout: u64,
        /// On SIGTERM or Ctrl-C: seconds requests in flight get to finish before the
        /// server closes what is left and exits 0.
        #[arg(long, default_value_t = 10)]
        shutdown_deadline: u64,
        #[command(flatten)]
        store: Store,
    },
    /// Creates a one-time enrolment code for a phone and prints it.
    Enrol {
        /// The user the phone will write as.
        #[arg(long)]
        user: String,
        /// social_worker, marshal, runner or station_admin.
        #[arg(long)]
        role: String,
        /// An area path the phone works in (repeat for several).
        #[arg(long = "area")]
        areas: Vec<String>,
        /// Minutes the code stays usable.
        #[arg(long, default_value_t = 24 * 60)]
        code_minutes: i64,
        /// Days the device token lasts.
        #[arg(long, default_value_t = 90)]
        token_days: i64,
        #[command(flatten)]
        store: Store,
    },
    /// Admin accounts of the dashboard.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Imports into the station's registry.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Writes a ledger (台账) for an area and dates as CSV or XLSX.
    Export {
        /// visits, needs, referrals, checkins or deliveries.
        kind: String,
        /// First day, YYYY-MM-DD (China time).
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD, included.
        #[arg(long)]
        to: String,
        /// Area path; the whole station when left out.
        #[arg(long)]
        area: Option<String>,
        /// csv or xlsx (default: from the file name, else xlsx).
        #[arg(long)]
        format: Option<String>,
        /// Replace names and phones with stable pseudonyms.
        #[arg(long)]
        pseudonymise: bool,
        /// The file to write.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        store: Store,
    },
    /// Printable passes.
    Passes {
        #[command(subcommand)]
        command: PassesCommand,
    },
    /// The station's pass-signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Writes the station (store, admins, sync storage) to one encrypted file, consistently,
    /// while the server runs. The key stays out of it: keep station.key apart.
    Backup {
        /// The file to create.
        file: PathBuf,
        #[command(flatten)]
        store: Store,
    },
    /// Restores a backup file into a new --data folder (with the server stopped).
    Restore {
        /// The backup file.
        file: PathBuf,
        /// The station.key of the station backed up (else the one already in --data).
        #[arg(long)]
        key: Option<PathBuf>,
        #[command(flatten)]
        store: Store,
    },
    /// Revokes a device's token.
    Revoke {
        /// The device id.
        #[arg(long)]
        device: String,
        #[command(flatten)]
        store: Store,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Creates an admin (or sets a new password); with --area, a sub-admin limited to it.
    Create {
        #[arg(long)]
        name: String,
        /// The password (at least 8 characters).
        #[arg(long, env = "DOORSTEP_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// An area path the admin is limited to (repeat for several).
        #[arg(long = "area")]
        areas: Vec<String>,
        #[command(flatten)]
        store: Store,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Households and residents from a station's CSV sheet, with a report per bad row.
    Residents {
        file: PathBuf,
        #[command(flatten)]
        store: Store,
    },
}

#[derive(Subcommand)]
enum PassesCommand {
    /// Issues passes to an area's residents (a building's, a tag's) and writes the PDF.
    Sheet {
        #[arg(long)]
        area: String,
        #[arg(long)]
        building: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// Days the passes are valid.
        #[arg(long, default_value_t = 7)]
        days: i64,
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        store: Store,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Makes a new signing key; with --retire-old, passes of the old keys stop working.
    Rotate {
        #[arg(long)]
        retire_old: bool,
        #[command(flatten)]
        store: Store,
    },
}

fn init_logs(format: LogFormat) {
    use std::io::IsTerminal;
    // Quiet by default: the station syncs with itself every two seconds, and a request
    // line for each would bury what matters. RUST_LOG=info shows them.
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs.json().flatten_event(true).with_ansi(false).init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("doorstep: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(run(cli.command));
    // Blocking work still running (a dashboard query cut off at the shutdown deadline) is
    // not waited for: the process is ending.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("doorstep: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve {
            listen,
            demo,
            max_clock_skew_minutes,
            cookie_secure,
            header_timeout,
            body_timeout,
            idle_timeout,
            shutdown_deadline,
            store,
        } => {
            if !(0..=24 * 60).contains(&max_clock_skew_minutes) {
                return Err(format!(
                    "--max-clock-skew-minutes {max_clock_skew_minutes} is not between 0 and 1440"
                ));
            }
            let secs = |n: u64| std::time::Duration::from_secs(n.max(1));
            let limits = doorstep_server::serve::Limits {
                header: secs(header_timeout),
                body: secs(body_timeout),
                idle: secs(idle_timeout),
                drain: secs(shutdown_deadline),
            };
            let st = storage::open(&store.data, store.database.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            let station = open_station(&store.data, demo, st.clone())?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(%addr, storage = st.kind(), "serving");
            let stop = shutdown();
            // Tests and scripts read the address from the first line of stdout.
            say!("listening on {addr}");
            let mut app = AppState::new(st.clone());
            app.max_clock_skew_ms = max_clock_skew_minutes * 60_000;
            app.cookie_secure = cookie_secure;
            let mut server = tokio::spawn(station::serve_with(
                listener,
                app,
                station.clone(),
                limits,
                async {
                    stop.await;
                    tracing::warn!("stopping: no new connections; finishing requests in flight");
                },
            ));
            // A SIGTERM while the station enrols with its own server is a normal stop.
            let url = format!("http://{addr}");
            tokio::select! {
                done = &mut server => {
                    return done.map_err(|e| e.to_string())?.map_err(|e| e.to_string());
                }
                enrolled = station.enrol_self(st.as_ref(), &url) => {
                    enrolled.map_err(|e| e.to_string())?
                }
            }
            // The sync client's future is not Send: it gets a thread and runtime of its own.
            let syncing = station.clone();
            std::thread::spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(station::sync_loop(
                        syncing,
                        std::time::Duration::from_secs(2),
                    )),
                    Err(e) => tracing::error!(error = %e, "cannot start the station sync"),
                }
            });
            server
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())
        }
        Command::Enrol {
            user,
            role,
            areas,
            code_minutes,
            token_days,
            store,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!("role {role:?} is unknown (social_worker, marshal, runner, station_admin)")
            })?;
            let st = storage::open(&store.data, store.database.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            let req = CodeRequest {
                user,
                role,
                areas,
                code_ttl_ms: code_minutes.saturating_mul(60_000),
                token_ttl_ms: token_days.saturating_mul(86_400_000),
            };
            enrol::check_request(&req)?;
            let code = enrol::create_code(st.as_ref(), &req, SystemClock.now_ms())
                .await
                .map_err(|e| e.to_string())?;
            say!("{code}");
            say!("{}", doorstep_server::cli::terminal_qr(&code)?);
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    name,
                    password,
                    areas,
                    store,
                },
        } => cli::admin_create(&place(&store).await?, &name, &password, &areas),
        Command::Import {
            command: ImportCommand::Residents { file, store },
        } => {
            if cli::import_residents(&place(&store).await?, &file)? {
                Ok(())
            } else {
                Err("some rows were refused (listed above); the others are stored".into())
            }
        }
        Command::Export {
            kind,
            from,
            to,
            area,
            format,
            pseudonymise,
            output,
            store,
        } => cli::export(
            &place(&store).await?,
            &cli::ExportArgs {
                kind: &kind,
                area: area.as_deref(),
                from: &from,
                to: &to,
                format: format.as_deref(),
                pseudonymise,
                output: &output,
            },
        ),
        Command::Passes {
            command:
                PassesCommand::Sheet {
                    area,
                    building,
                    tag,
                    days,
                    output,
                    store,
                },
        } => cli::passes_sheet(
            &place(&store).await?,
            &area,
            building.as_deref(),
            tag.as_deref(),
            days,
            &output,
        ),
        Command::Keys {
            command: KeysCommand::Rotate { retire_old, store },
        } => cli::keys_rotate(&place(&store).await?, retire_old),
        Command::Backup { file, store } => {
            cli::backup(&store.data, &file, store.database.is_some())
        }
        Command::Restore { file, key, store } => {
            cli::restore(&store.data, &file, key.as_deref(), store.database.is_some())
        }
        Command::Revoke { device, store } => {
            let st = storage::open(&store.data, store.database.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            if st
                .revoke_device(&device, SystemClock.now_ms())
                .await
                .map_err(|e| e.to_string())?
            {
                say!("revoked {device}");
                Ok(())
            } else {
                Err(format!("no device {device}"))
            }
        }
    }
}

/// Where the station of a command is: `--data`, and the shared storage with `--database`.
async fn place(store: &Store) -> Result<cli::Place, String> {
    let shared = match &store.database {
        Some(url) => Some(
            storage::open(&store.data, Some(url))
                .await
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    Ok(cli::Place {
        data: store.data.clone(),
        store: shared,
    })
}

/// Demo admin login printed on a demo start.
const DEMO_ADMIN: (&str, &str) = ("admin", "doorstep-demo");

/// Opens the station in `data`; with `demo`, a new station is first filled with the
/// demo community and given the demo admin.
fn open_station(
    data: &std::path::Path,
    demo: bool,
    store: std::sync::Arc<dyn storage::Storage>,
) -> Result<std::sync::Arc<Station>, String> {
    let fresh = !data.join("station.db").exists();
    if demo && fresh {
        let key = station::store_key(data).map_err(|e| e.to_string())?;
        eprintln!("doorstep: making the demo community (once)...");
        let r = demo::fill(&data.join("station.db"), &key, SystemClock.now_ms())
            .map_err(|e| format!("demo: {e}"))?;
        eprintln!(
            "doorstep: demo ready: {} residents, {} visits, {} needs, {} referrals, {} check-ins, \
             {} supply requests, {} deliveries",
            r.residents, r.visits, r.needs, r.referrals, r.check_ins, r.requests, r.deliveries
        );
    }
    let station = Station::open_with(data, Some(store)).map_err(|e| e.to_string())?;
    if demo {
        let admins = station.admins.count().map_err(|e| e.to_string())?;
        if admins == 0 {
            station
                .admins
                .put(DEMO_ADMIN.0, DEMO_ADMIN.1, &[], SystemClock.now_ms())
                .map_err(|e| e.to_string())?;
        }
        eprintln!(
            "doorstep: demo admin login: {} / {}",
            DEMO_ADMIN.0, DEMO_ADMIN.1
        );
    }
    Ok(std::sync::Arc::new(station))
}

/// Resolves at SIGTERM or Ctrl-C. The handlers are installed when this is called, not
/// when it is first polled, so a signal right after start is a stop, not a kill.
fn shutdown() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let term = async {
            match term.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    }
}
