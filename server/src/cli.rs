//! The command line (`zhucun-server --help`).

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use zhucun_shared::coords::Datum;
use zhucun_shared::role::Role;

#[derive(Debug, Parser)]
#[command(
    name = "zhucun-server",
    version,
    about = "驻村 Zhucun server: accounts, sync, photos and verdicts"
)]
pub struct Cli {
    /// Configuration file (TOML). `ZHUCUN_*` environment variables override it.
    #[arg(long, global = true, env = "ZHUCUN_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API.
    Serve(ServeArgs),
    /// Build a demo county (a township, villages, households, people in every role and two
    /// months of records and photos) in its own database, print the logins and serve it.
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage login accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import township data; a file is imported whole or not at all.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The rule catalogue in force (a county's own variant of the plan's thresholds), read at
    /// start.
    #[command(subcommand)]
    Rules(PolicyCommand),
    /// The working-day calendar in force (State Council notices and county overrides), read at
    /// start.
    #[command(subcommand)]
    Calendar(PolicyCommand),
    /// The kept verdicts.
    #[command(subcommand)]
    Verdicts(VerdictsCommand),
    /// The audit log (审计日志).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Month close (月结): a month's verdicts are final after its grace date.
    #[command(subcommand)]
    Months(MonthsCommand),
    /// Write a township's ledgers (台账) for a month into a directory, with a progress bar.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// liaison-ledger, attendance, work-log, pairing-ledger, five-ones, compliance, or all.
    pub document: String,
    /// Township name (乡镇), as imported.
    #[arg(long)]
    pub township: String,
    /// Month as YYYY-MM; default: last month.
    #[arg(long)]
    pub month: Option<String>,
    /// xlsx or csv.
    #[arg(long, default_value = "xlsx")]
    pub format: String,
    /// Directory to write into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the chain of hashes: exit 0 with a summary, or non-zero naming the first entry
    /// that was edited, removed or inserted.
    Verify,
    /// Write the entries as JSON lines on stdout, by seq.
    Export {
        /// Only the entries after this seq.
        #[arg(long, default_value_t = 0)]
        since: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum MonthsCommand {
    /// Close a month past its grace date: everyone posted in it is evaluated and their verdicts
    /// kept final. Without --month, every month with records past its grace date. (The running
    /// server does this by itself each day.)
    Close {
        /// The month, YYYY-MM.
        #[arg(long, value_parser = parse_month)]
        month: Option<zhucun_shared::period::Period>,
    },
}

fn parse_month(s: &str) -> Result<zhucun_shared::period::Period, String> {
    match s.trim().parse::<zhucun_shared::period::Period>() {
        Ok(p) if p.kind() == zhucun_shared::period::PeriodKind::Month => Ok(p),
        _ => Err(format!("a month as YYYY-MM (e.g. 2026-09), not `{s}`")),
    }
}

#[derive(Debug, Subcommand)]
pub enum VerdictsCommand {
    /// Forget every kept verdict and recompute them all from the records, with a progress bar.
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a file and keep it as the version in force from --from: a month is evaluated with
    /// the version in force on its first day. A malformed file is refused, naming the entry
    /// and field, and nothing changes; so is a day within a closed month.
    Set {
        file: PathBuf,
        /// The first day it is in force, YYYY-MM-DD; default: the first day of next month.
        #[arg(long, value_parser = parse_day)]
        from: Option<chrono::NaiveDate>,
    },
    /// Print the file in force today.
    Show,
    /// Go back to the bundled file from --from (a version like any other).
    Reset {
        /// The first day it is in force, YYYY-MM-DD; default: the first day of next month.
        #[arg(long, value_parser = parse_day)]
        from: Option<chrono::NaiveDate>,
    },
    /// List the versions kept: id, first day in force, when set, SHA-256; the one in force
    /// today is marked.
    History,
}

fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("a day as YYYY-MM-DD (e.g. 2027-01-01), not `{s}`"))
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080; also ZHUCUN_BIND).
    #[arg(long)]
    pub bind: Option<SocketAddr>,
}

#[cfg(feature = "demo")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// Build the demo database, print the logins and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person with a login and a role.
    Add {
        #[arg(long)]
        username: String,
        /// The person's name (姓名).
        #[arg(long)]
        name: String,
        /// Township name (乡镇), as imported.
        #[arg(long)]
        township: String,
        /// Role code, e.g. team_leader, supervisor, admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Village name, for village roles.
        #[arg(long)]
        village: Option<String>,
        /// Password; generated and printed when absent (or from ZHUCUN_NEW_PASSWORD).
        #[arg(long, env = "ZHUCUN_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a new password (ends the user's sessions).
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "ZHUCUN_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Disable a login (ends the user's sessions).
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled login.
    Enable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Villages with boundaries from GeoJSON (a FeatureCollection of Polygon/MultiPolygon
    /// features with properties 村名/name, and optionally 代码/code, 贫困村/poor,
    /// 当年脱贫/exiting). Creates the township if it is new.
    Villages {
        file: PathBuf,
        #[arg(long)]
        township: String,
        #[arg(long)]
        county: String,
        /// The coordinate system of the file: wgs84 (GPS, 天地图), gcj02 (AMap, Tencent) or
        /// bd09 (Baidu); boundaries are stored in WGS-84.
        #[arg(long, default_value = "wgs84", value_parser = parse_datum)]
        datum: Datum,
    },
    /// Households from CSV or XLSX: columns 村名, 户主, 纬度, 经度, 类别, 人口.
    Households {
        file: PathBuf,
        #[arg(long)]
        township: String,
        /// The coordinate system of 纬度/经度: wgs84 (GPS, 天地图), gcj02 (AMap, Tencent) or
        /// bd09 (Baidu); positions are stored in WGS-84.
        #[arg(long, default_value = "wgs84", value_parser = parse_datum)]
        datum: Datum,
    },
    /// Pairings (结对帮扶) from CSV or XLSX: columns 帮扶责任人 (username), 村名, 户主, 开始日期.
    Pairings {
        file: PathBuf,
        #[arg(long)]
        township: String,
    },
}

fn parse_datum(s: &str) -> Result<Datum, String> {
    s.parse()
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: zhucun_shared::role::UnknownRole| e.to_string())
}
