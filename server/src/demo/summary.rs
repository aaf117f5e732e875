//! What `zhucun-server demo` prints at start: the county built, where it is served, and the
//! logins to try.

use super::{DemoCounty, DEMO_PASSWORD};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::SocketAddr;

impl DemoCounty {
    /// The text printed by `zhucun-server demo`.
    pub fn summary(&self, bind: SocketAddr) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n演示县：{} {}（{} 个村，{} 户，{} 条记录，{} 张照片）",
            self.township.county,
            self.township.name,
            self.villages,
            self.households,
            self.records,
            self.photos
        );
        let _ = writeln!(
            s,
            "服务地址：http://{bind}   接口文档：http://{bind}/api/openapi.json"
        );
        let _ = writeln!(s, "所有演示账号的密码：{DEMO_PASSWORD}\n");
        let _ = writeln!(s, "{:<14} {:<8} {:<16} 村", "用户名", "姓名", "岗位");
        let mut shown = BTreeSet::new();
        for l in &self.logins {
            // One account per role, and the ones that make the demo's point.
            if shown.insert(l.role) || l.username == "duiyuan3" {
                let _ = writeln!(
                    s,
                    "{:<14} {:<8} {:<16} {}",
                    l.username,
                    l.name,
                    l.role.label_zh(),
                    l.village.as_deref().unwrap_or("全乡")
                );
            }
        }
        let _ = writeln!(
            s,
            "\n（共 {} 个账号：duizhang1-5 队长，shuji1-5 第一书记，duiyuan1-5 队员，xiezhu1-5 协助干部，bangfu1-5 帮扶责任人。）",
            self.logins.len()
        );
        s
    }
}
