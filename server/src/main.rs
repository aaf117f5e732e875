//! `zhucun-server`: see `zhucun-server --help`.

use anyhow::{bail, Context};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use zhucun_server::audit::{self, AuditKind};
use zhucun_server::auth::hash_password;
use zhucun_server::cli::{
    AuditCommand, Cli, Command, ExportArgs, ImportCommand, MonthsCommand, PolicyCommand,
    UserCommand, VerdictsCommand,
};
use zhucun_server::config::LogFormat;
#[cfg(feature = "demo")]
use zhucun_server::demo;
use zhucun_server::policy::Policy;
use zhucun_server::store::{Org, Store, UserRow};
use zhucun_server::{import, open_store, AnyStore, AppState, Config};
use zhucun_shared::ids::{AssignmentId, PersonId};
use zhucun_shared::org::{Assignment, Person};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run_cli(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The chain of causes, without a backtrace: these are an operator's errors.
            eprintln!("错误：{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run_cli(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    init_logging(config.log_format);
    match cli.command {
        Command::Serve(args) => {
            if let Some(bind) = args.bind {
                config.bind = bind;
            }
            let store = open(&config).await?;
            run(config, store).await
        }
        #[cfg(feature = "demo")]
        Command::Demo(args) => {
            if let Some(bind) = args.bind {
                config.bind = bind;
            }
            // The demo lives in a database of its own, rebuilt at each start, so that it never
            // mixes with real data and its two months always end today.
            config.data_dir = config.data_dir.join("demo");
            config.database_url = None;
            if config.data_dir.exists() {
                std::fs::remove_dir_all(&config.data_dir)
                    .with_context(|| format!("clearing {}", config.data_dir.display()))?;
            }
            let store = open(&config).await?;
            // Where the server keeps photos: the demo's go straight there.
            let objects = zhucun_server::photos::FsObjectStore::new(config.data_dir.join("photos"));
            eprintln!("正在生成演示县数据（村界、农户、人员、两个月的轨迹和走访照片）……");
            let demo = demo::build_demo_county(&store, &objects, chrono::Utc::now())
                .await
                .context("building the demo county")?;
            print!("{}", demo.summary(config.bind));
            if args.no_serve {
                store.close().await;
                return Ok(());
            }
            run(config, store).await
        }
        Command::Migrate => {
            let store = open(&config).await?;
            println!("migrations applied ({})", store.backend());
            store.close().await;
            Ok(())
        }
        Command::User(cmd) => {
            let store = open(&config).await?;
            let result = user(&config, &store, cmd).await;
            store.close().await;
            result
        }
        Command::Import(cmd) => {
            let store = open(&config).await?;
            let bar = ProgressBar::new(0).with_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            let (what, file, township_name) = match &cmd {
                ImportCommand::Villages { file, township, .. } => ("villages", file, township),
                ImportCommand::Households { file, township, .. } => ("households", file, township),
                ImportCommand::Pairings { file, township } => ("pairings", file, township),
            };
            let (file, township_name) = (file.display().to_string(), township_name.clone());
            let result = match &cmd {
                ImportCommand::Villages {
                    file,
                    township,
                    county,
                    datum,
                } => import::import_villages(&store, file, township, county, *datum, &bar).await,
                ImportCommand::Households {
                    file,
                    township,
                    datum,
                } => import::import_households(&store, file, township, *datum, &bar).await,
                ImportCommand::Pairings { file, township } => {
                    import::import_pairings(&store, file, township, &bar).await
                }
            };
            bar.finish_and_clear();
            let result = match result {
                Ok(n) => {
                    let township = store
                        .townships()
                        .await?
                        .into_iter()
                        .find(|t| t.name == township_name);
                    let datum = match &cmd {
                        ImportCommand::Villages { datum, .. }
                        | ImportCommand::Households { datum, .. } => datum.code(),
                        ImportCommand::Pairings { .. } => "",
                    };
                    let detail = serde_json::json!({"file": file, "township": township_name,
                        "count": n, "datum": datum});
                    operator_event(
                        &store,
                        township.map(|t| t.id),
                        AuditKind::Import,
                        what,
                        detail,
                    )
                    .await
                    .map(|()| n)
                }
                Err(e) => Err(e.into()),
            };
            store.close().await;
            let n = result?;
            println!("已导入 {n} 条，全部写入。");
            Ok(())
        }
        Command::Rules(cmd) => policy(&config, Policy::Rules, cmd).await,
        Command::Calendar(cmd) => policy(&config, Policy::Calendar, cmd).await,
        Command::Audit(cmd) => audit_command(&config, cmd).await,
        Command::Months(MonthsCommand::Close { month }) => close_months(config, month).await,
        Command::Export(args) => export_ledgers(config, args).await,
        Command::Verdicts(VerdictsCommand::Rebuild) => {
            let store = open(&config).await?;
            let state = AppState::new(config, store).await?;
            let bar = ProgressBar::new(0).with_style(
                ProgressStyle::with_template("重算结论 [{bar:40}] {pos}/{len} 人·月 {elapsed}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            let result = zhucun_server::verdicts::rebuild(&state, |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await;
            bar.finish_and_clear();
            let result = match result {
                Ok(n) => {
                    let detail = serde_json::json!({"person_months": n});
                    operator_event(
                        &state.store,
                        None,
                        AuditKind::VerdictsRebuilt,
                        "verdicts",
                        detail,
                    )
                    .await
                    .map(|()| n)
                }
                Err(e) => Err(e.into()),
            };
            state.store.close().await;
            let n = result?;
            println!("已重算 {n} 个人·月的结论。");
            Ok(())
        }
    }
}

async fn policy(config: &Config, which: Policy, cmd: PolicyCommand) -> anyhow::Result<()> {
    use zhucun_server::policy;
    let store = open(config).await?;
    let now = chrono::Utc::now();
    let today = zhucun_shared::period::local_date(now);
    let result = match cmd {
        PolicyCommand::Set { file, from } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let from = from.unwrap_or_else(|| policy::first_of_next_month(today));
            match policy::set(&store, which, &text, from, now).await {
                Ok(id) => {
                    let kind = match which {
                        Policy::Rules => AuditKind::RulesSet,
                        Policy::Calendar => AuditKind::CalendarSet,
                    };
                    let sha256 = hex_sha256(&text);
                    let detail = serde_json::json!({"file": file.display().to_string(),
                        "sha256": sha256, "version_id": id, "effective_from": from});
                    operator_event(&store, None, kind, &file.display().to_string(), detail)
                        .await
                        .map(|()| {
                            println!(
                                "已保存为第 {id} 版，自 {from} 起的月份使用（运行中的服务即时采用，无需重启）：{}",
                                file.display()
                            )
                        })
                }
                Err(e @ policy::PolicyError::ClosedMonth { .. }) => Err(e.into()),
                Err(e) => Err(anyhow::anyhow!("{}: {e}", file.display())),
            }
        }
        PolicyCommand::Show => policy::current(&store, which, today)
            .await
            .map(|text| print!("{text}"))
            .map_err(Into::into),
        PolicyCommand::Reset { from } => {
            let from = from.unwrap_or_else(|| policy::first_of_next_month(today));
            match policy::reset(&store, which, from, now).await {
                Ok(id) => {
                    let kind = match which {
                        Policy::Rules => AuditKind::RulesReset,
                        Policy::Calendar => AuditKind::CalendarReset,
                    };
                    let detail = serde_json::json!({"version_id": id, "effective_from": from});
                    operator_event(&store, None, kind, "bundled", detail)
                        .await
                        .map(|()| {
                            println!("已保存为第 {id} 版（内置文件），自 {from} 起的月份使用（运行中的服务即时采用，无需重启）。")
                        })
                }
                Err(e) => Err(e.into()),
            }
        }
        PolicyCommand::History => policy::history(&store, which)
            .await
            .map(|h| print!("{}", policy_history(&h, which, today)))
            .map_err(Into::into),
    };
    store.close().await;
    result
}

/// `rules history` / `calendar history`: one line a version, the one in force today marked.
fn policy_history(
    h: &zhucun_server::policy::History,
    which: Policy,
    today: chrono::NaiveDate,
) -> String {
    let in_force = h.in_force(today).id;
    let mut out = String::from("版本\t起用日期\t设定时间\t标识\tSHA-256\n");
    for v in h.versions() {
        let label = match which {
            Policy::Rules => zhucun_shared::catalogue::Catalogue::from_toml(&v.text)
                .map(|c| c.version)
                .unwrap_or_default(),
            Policy::Calendar => String::new(),
        };
        out.push_str(&format!(
            "{}{}\t{}\t{}\t{}\t{}\n",
            v.id,
            if v.id == in_force { "*" } else { "" },
            v.effective_from
                .map_or("（最初）".to_string(), |d| d.to_string()),
            v.set_at
                .map_or("-".to_string(), zhucun_shared::period::local_label),
            label,
            &v.sha256[..16.min(v.sha256.len())],
        ));
    }
    out.push_str("* 今天适用的版本；一个月按其第一天适用的版本评价。\n");
    out
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZHUCUN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

async fn open(config: &Config) -> anyhow::Result<AnyStore> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let url = config.database_url();
    open_store(&url).await.with_context(|| {
        format!(
            "opening database {}",
            zhucun_server::store::redact_url(&url)
        )
    })
}

async fn run(config: Config, store: AnyStore) -> anyhow::Result<()> {
    let bind: SocketAddr = config.bind;
    tracing::info!(?config, backend = store.backend(), "starting");
    let state = AppState::new(config, store).await?;
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    tracing::info!(%bind, "listening");
    if let Some(metrics_bind) = state.config.metrics_bind {
        let listener = TcpListener::bind(metrics_bind)
            .await
            .with_context(|| format!("binding {metrics_bind} for /metrics"))?;
        tracing::info!(%metrics_bind, "serving /metrics");
        tokio::spawn(zhucun_server::serve_metrics(
            listener,
            state.clone(),
            std::future::pending(),
        ));
    }
    zhucun_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, let in-flight requests commit, then exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn generated_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..12)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

async fn hash(config: &Config, password: String) -> anyhow::Result<String> {
    let (m, t) = (config.argon2_memory_kib, config.argon2_iterations);
    Ok(tokio::task::spawn_blocking(move || hash_password(&password, m, t)).await??)
}

async fn user(config: &Config, store: &AnyStore, cmd: UserCommand) -> anyhow::Result<()> {
    let (kind, username, detail) = match cmd {
        UserCommand::Add {
            username,
            name,
            township,
            role,
            village,
            password,
        } => {
            let username = match zhucun_server::accounts::check_username(&username) {
                Ok(_) => username.trim().to_string(),
                Err(e) => bail!("{e}"),
            };
            if let Some(p) = &password {
                if let Err(e) = zhucun_server::accounts::check_password(&username, p) {
                    bail!("{e}");
                }
            }
            if store.user_by_username(&username).await?.is_some() {
                bail!("用户名“{username}”已存在（用户名不区分大小写和全角半角）");
            }
            let t = store
                .townships()
                .await?
                .into_iter()
                .find(|t| t.name == township)
                .with_context(|| format!("乡镇“{township}”不存在，请先导入村界"))?;
            let village_id = match &village {
                Some(v) => Some(
                    store
                        .village_by_name(t.id, v)
                        .await?
                        .with_context(|| format!("{township}没有“{v}”"))?
                        .id,
                ),
                None => None,
            };
            let shown = password.is_none();
            let password = password.unwrap_or_else(generated_password);
            let person = Person {
                id: PersonId::new(),
                name,
                township_id: t.id,
                unit_id: None,
            };
            store
                .put_org(&Org {
                    people: vec![person.clone()],
                    assignments: vec![Assignment {
                        id: AssignmentId::new(),
                        person_id: person.id,
                        role,
                        village_id,
                        township_id: t.id,
                        // The day in China, not in UTC (before 08:00 they differ).
                        starts_on: zhucun_shared::period::local_date(chrono::Utc::now()),
                        ends_on: None,
                    }],
                    ..Org::default()
                })
                .await?;
            store
                .create_user(&UserRow {
                    person_id: person.id,
                    username: username.clone(),
                    password_hash: hash(config, password.clone()).await?,
                    disabled: false,
                    created_at: chrono::Utc::now(),
                })
                .await?;
            println!("已添加 {username}（{}，{}）", person.name, role.label_zh());
            if shown {
                println!("初始密码：{password}");
            }
            let detail = serde_json::json!({"role": role.to_string(), "village": village});
            (AuditKind::UserAdded, username, detail)
        }
        UserCommand::ResetPassword { username, password } => {
            if let Some(p) = &password {
                if let Err(e) = zhucun_server::accounts::check_password(&username, p) {
                    bail!("{e}");
                }
            }
            let shown = password.is_none();
            let password = password.unwrap_or_else(generated_password);
            if !store
                .set_password(&username, &hash(config, password.clone()).await?)
                .await?
            {
                bail!("没有用户“{username}”");
            }
            println!("已重置 {username} 的密码");
            if shown {
                println!("新密码：{password}");
            }
            (AuditKind::PasswordReset, username, serde_json::json!({}))
        }
        UserCommand::Disable { username } => {
            if !store.set_disabled(&username, true).await? {
                bail!("没有用户“{username}”");
            }
            println!("已停用 {username}");
            (AuditKind::UserDisabled, username, serde_json::json!({}))
        }
        UserCommand::Enable { username } => {
            if !store.set_disabled(&username, false).await? {
                bail!("没有用户“{username}”");
            }
            println!("已启用 {username}");
            (AuditKind::UserEnabled, username, serde_json::json!({}))
        }
    };
    let township = match store.user_by_username(&username).await? {
        Some(u) => store.person(u.person_id).await?.map(|p| p.township_id),
        None => None,
    };
    operator_event(store, township, kind, &username, detail).await
}

/// Writes an audit entry of something the operator did on the command line (no actor).
async fn operator_event(
    store: &AnyStore,
    township: Option<zhucun_shared::ids::TownshipId>,
    kind: AuditKind,
    subject: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let entry = audit::new_entry(chrono::Utc::now(), None, township, kind, subject, detail);
    audit::record(store, entry).await?;
    Ok(())
}

async fn audit_command(config: &Config, cmd: AuditCommand) -> anyhow::Result<()> {
    let store = open(config).await?;
    let result = match cmd {
        AuditCommand::Verify => match audit::verify(&store).await {
            Ok(Ok(n)) => {
                println!("审计日志完好：{n} 条，链条无断裂。");
                Ok(())
            }
            Ok(Err(broken)) => Err(anyhow::anyhow!("审计日志被改动：{broken}")),
            Err(e) => Err(e.into()),
        },
        AuditCommand::Export { since } => export_audit(&store, since).await,
    };
    store.close().await;
    result
}

/// Writes the entries after `since` as JSON lines on stdout.
async fn export_audit(store: &AnyStore, since: i64) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut since = since;
    loop {
        let page = store.audit_entries(since, 1000, None).await?;
        let Some(last) = page.last() else { break };
        since = last.seq;
        for e in &page {
            serde_json::to_writer(&mut out, &audit::AuditEntryView::from(e))?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `months close`: one month, or every month with records past its grace date.
async fn close_months(
    config: Config,
    month: Option<zhucun_shared::period::Period>,
) -> anyhow::Result<()> {
    use zhucun_server::verdicts::{close_due, close_month, CloseOutcome};
    let store = open(&config).await?;
    let state = AppState::new(config, store).await?;
    let result = match month {
        Some(month) => match close_month(&state, month, chrono::Utc::now()).await {
            Ok(CloseOutcome::Closed { person_months }) => {
                println!("{month} 已月结：{person_months} 个人·月的结论已定。");
                Ok(())
            }
            Ok(CloseOutcome::AlreadyClosed(at)) => {
                let at = zhucun_shared::period::local_label(at);
                println!("{month} 已于 {at} 月结，未作改动。");
                Ok(())
            }
            Ok(CloseOutcome::NotDue(grace)) => Err(anyhow::anyhow!(
                "--month {month}: 宽限期至 {grace}，之后才能月结"
            )),
            Err(e) => Err(e.into()),
        },
        None => match close_due(&state).await {
            Ok(months) if months.is_empty() => {
                println!("没有到期未月结的月份。");
                Ok(())
            }
            Ok(months) => {
                println!("已月结：{}", months.join("、"));
                Ok(())
            }
            Err(e) => Err(e.into()),
        },
    };
    state.store.close().await;
    result
}

fn hex_sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `export`: a township's ledgers for a month as files, with a progress bar.
async fn export_ledgers(config: Config, args: ExportArgs) -> anyhow::Result<()> {
    use zhucun_server::ledgers::export::{export, ExportRequest};
    let store = open(&config).await?;
    let state = AppState::new(config, store).await?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("导出台账 [{bar:40}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let request = ExportRequest {
        document: &args.document,
        township: &args.township,
        month: args.month.as_deref(),
        format: &args.format,
        out: &args.out,
    };
    let result = export(&state, request, |done, total, name| {
        bar.set_length(total);
        bar.set_position(done);
        bar.set_message(name.to_string());
    })
    .await;
    bar.finish_and_clear();
    state.store.close().await;
    let files = result?;
    println!("已导出 {} 份文书到 {}。", files.len(), args.out.display());
    Ok(())
}
