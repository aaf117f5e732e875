//! Texts of the household list, 本月进度's pacing lines, the sync line on 今日, the team
//! leader's map and the check-out and withdrawal confirmations.

use super::{duration_hm, outlook};
use crate::households::ListCounts;
use crate::pacing::{PaceLine, Pacing};
use crate::sync::SyncStatus;
use chrono::{DateTime, Utc};
use zhucun_shared::period::{day_start, local_date};
use zhucun_shared::visits::VisitShortfall;

// Household list
pub const HOUSEHOLDS_TITLE: &str = "农户";
pub const SEARCH_HOUSEHOLDS: &str = "搜索户主、村民小组";
pub const ALL_HOUSEHOLDS: &str = "全部农户";
pub const DUE_HOUSEHOLDS: &str = "本月必访未访";
pub const NO_HOUSEHOLD_MATCHES: &str = "没有符合条件的农户";
pub const MARK_PAIRED: &str = "结对";
pub const MARK_MUST_VISIT: &str = "必访";
pub const MARK_VISITED: &str = "本月已访";
pub const SHOW_GROUP: &str = "展开";
pub const HIDE_GROUP: &str = "收起";

/// "共 312 户 · 必访 28 户，未访 19 户 · 本月已访 40 户"
pub fn household_counts(c: &ListCounts) -> String {
    format!(
        "共 {} 户 · 必访 {} 户，未访 {} 户 · 本月已访 {} 户",
        c.total, c.must_visit, c.due, c.visited
    )
}

/// "26 户 · 已访 4 · 必访未访 2"
pub fn group_counts(total: usize, visited: usize, due: usize) -> String {
    if due > 0 {
        format!("{total} 户 · 已访 {visited} · 必访未访 {due}")
    } else {
        format!("{total} 户 · 已访 {visited}")
    }
}

/// "全部农户（312 户）"
pub fn all_households(n: usize) -> String {
    format!("{ALL_HOUSEHOLDS}（{n} 户）")
}

// 本月进度 in a few lines
pub const PACING_ALL_MET: &str = "本月各项均已达标";
pub const DETAILS: &str = "详情";
pub const HIDE_DETAILS: &str = "收起";
pub const ALL_RULES: &str = "全部规则明细";

/// "还差2次，剩7个工作日", "还差1项，已逾期", "还差10天，剩7个工作日，进度落后".
pub fn pace_line(l: &PaceLine) -> String {
    let short = format!("还差{}{}", l.short_by, l.unit);
    match (l.overdue, l.working_days_left) {
        (true, _) => format!("{short}，已逾期"),
        (false, Some(0)) => format!("{short}，已无工作日"),
        (false, Some(d)) if l.behind => format!("{short}，剩{d}个工作日，进度落后"),
        (false, Some(d)) => format!("{short}，剩{d}个工作日"),
        (false, None) => short,
    }
}

/// "另有 3 项期限在本月之后"
pub fn pacing_later(n: usize) -> String {
    format!("另有 {n} 项期限在本月之后，见全部规则明细")
}

/// "12 项规则：已达标 5 项，4 项待完成 · 本月剩 7 个工作日"
pub fn pacing_summary(p: &Pacing) -> String {
    let open: std::collections::BTreeSet<&str> =
        p.lines.iter().map(|l| l.rule_id.as_str()).collect();
    format!(
        "{} 项规则：已达标 {} 项，{} 项待完成 · 本月剩 {} 个工作日",
        p.rules,
        p.met,
        open.len(),
        p.month_days_left
    )
}

// Sync line on 今日
pub const SYNC_STATE_SYNCING: &str = "正在同步…";
pub const SYNC_STATE_FAILED: &str = "同步失败";
pub const SYNC_STATE_NEVER: &str = "尚未同步";
pub const SYNC_ADVICE_RETRYING: &str = "无需操作：记录已存在手机上，恢复网络后自动上传";
pub const SYNC_ADVICE_FAILED: &str =
    "记录已存在手机上，不会丢失；请检查网络或服务器地址后点“立即同步”";
pub const SYNC_ADVICE_NEVER: &str = "登录后会自动同步";

fn hms(t: DateTime<Utc>) -> String {
    let secs = (t - day_start(local_date(t))).num_seconds().max(0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

fn md_hm(t: DateTime<Utc>) -> String {
    use chrono::Datelike;
    let d = local_date(t);
    let secs = (t - day_start(d)).num_seconds().max(0);
    format!(
        "{}月{}日 {:02}:{:02}",
        d.month(),
        d.day(),
        secs / 3600,
        (secs % 3600) / 60
    )
}

/// "30 秒", "2 分 10 秒"
fn wait(seconds: i64) -> String {
    if seconds < 60 {
        format!("{seconds} 秒")
    } else {
        format!("{} 分 {} 秒", seconds / 60, seconds % 60)
    }
}

/// The sync line: its class (met, open, short, na), the headline, and the detail lines.
pub fn sync_status(s: &SyncStatus) -> (&'static str, String, Vec<String>) {
    let pending = |n: u64| (n > 0).then(|| format!("待上传 {n} 项"));
    match s {
        SyncStatus::Syncing { pending: n } => (
            "open",
            SYNC_STATE_SYNCING.to_string(),
            pending(*n).into_iter().collect(),
        ),
        SyncStatus::Retrying {
            at,
            in_seconds,
            failed_attempt,
            why,
        } => (
            "late",
            format!(
                "第 {failed_attempt} 次未成功，{}后重试（{}）",
                wait(*in_seconds),
                hms(*at)
            ),
            [why.clone(), SYNC_ADVICE_RETRYING.to_string()]
                .into_iter()
                .filter(|l| !l.is_empty())
                .collect(),
        ),
        SyncStatus::Failed {
            why,
            last_success,
            pending: n,
        } => {
            let mut lines = vec![why.clone(), SYNC_ADVICE_FAILED.to_string()];
            if let Some(t) = last_success {
                lines.push(format!("{} {}", super::LAST_SYNC, md_hm(*t)));
            }
            lines.extend(pending(*n));
            ("short", SYNC_STATE_FAILED.to_string(), lines)
        }
        SyncStatus::Synced { at, pending: n } => (
            if *n > 0 { "open" } else { "met" },
            format!("{} {}", super::LAST_SYNC, md_hm(*at)),
            pending(*n).into_iter().collect(),
        ),
        SyncStatus::Never { pending: n } => (
            "na",
            SYNC_STATE_NEVER.to_string(),
            pending(*n)
                .into_iter()
                .chain([SYNC_ADVICE_NEVER.to_string()])
                .collect(),
        ),
    }
}

// Check-out and withdrawals
pub const WITHDRAW_VILLAGE_CHECK_IN: &str = "撤回进村签到";
pub const WITHDRAW_VILLAGE_REASON: &str = "误签到，撤回本次进村签到";
pub const CONFIRM_WITHDRAW_VILLAGE: &str =
    "撤回本次进村签到？撤回记录会保留在日志中，本次进村签到作废。";
pub const CHECK_OUT_ANYWAY: &str = "仍要签退";

/// Asked before 入户签退: whether leaving now counts, e.g.
/// "现在签退：走访 3 分钟，不足 5 分钟，将不计入 — 仍要签退？".
pub fn confirm_check_out(now: &[VisitShortfall]) -> String {
    if now.iter().any(|s| s.counts_for_nothing()) {
        let why: Vec<String> = now
            .iter()
            .filter(|s| s.counts_for_nothing())
            .map(super::shortfall)
            .collect();
        format!("现在签退：{}，将不计入 — 仍要签退？", why.join("；"))
    } else {
        format!("现在签退：{}。确定签退？", outlook(now))
    }
}

// Team leader's map
pub const MAP_STAY: &str = "停留";
pub const MAP_GAPS: &str = "定位中断";
pub const MAP_VERDICTS: &str = "走访判定";
pub const MAP_NO_VERDICT: &str = "服务器尚未判定";

/// "停留 09:05–11:40（2 小时 35 分钟）"
pub fn stay_span(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let hm = |t: DateTime<Utc>| hms(t)[..5].to_string();
    format!(
        "{MAP_STAY} {}–{}（{}）",
        hm(from),
        hm(to),
        duration_hm((to - from).num_minutes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaving_too_soon_is_said_before_the_check_out() {
        let now = [
            VisitShortfall::NotInVillage,
            VisitShortfall::TooShort {
                seconds: 180,
                required_minutes: 5,
            },
        ];
        let q = confirm_check_out(&now);
        assert_eq!(
            q,
            "现在签退：走访 3 分钟，不足 5 分钟，将不计入 — 仍要签退？"
        );
        assert_eq!(confirm_check_out(&[]), "现在签退：将计入。确定签退？");
    }
}
