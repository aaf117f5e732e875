//! 后台运行设置: how to keep the app running with the screen off on the phones cadres carry.
//! Chinese phone makers' systems stop background apps beyond what Android itself does, and a
//! stopped app takes no trajectory; each needs three settings: autostart, no battery
//! restriction, and the app locked in the recent-apps list. The steps are data, shown by the
//! guide screen, reachable from the duty card.

/// A phone maker's system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// 小米 / 红米: MIUI, HyperOS
    Xiaomi,
    /// 华为 / 荣耀: EMUI, HarmonyOS, MagicOS
    Huawei,
    /// OPPO / 一加 / realme: ColorOS
    Oppo,
    /// vivo / iQOO: OriginOS, Funtouch OS
    Vivo,
}

/// What a step sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// 自启动: the system may start the app again after stopping it.
    Autostart,
    /// 电池优化 / 省电策略: no background restriction for the app.
    Battery,
    /// 最近任务加锁: one-tap cleaning leaves the app running.
    LockInRecents,
}

impl StepKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            StepKind::Autostart => "允许自启动",
            StepKind::Battery => "关闭省电限制",
            StepKind::LockInRecents => "在最近任务中锁定",
        }
    }
}

/// One setting, with where to find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuideStep {
    pub kind: StepKind,
    /// The menu path and what to choose, in the system's own words.
    pub how: &'static str,
}

/// The steps for one phone maker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorGuide {
    pub vendor: Vendor,
    /// "小米 / 红米（MIUI、澎湃 HyperOS）"
    pub title: &'static str,
    pub steps: [GuideStep; 3],
}

/// Every phone maker's steps, in the order the guide shows them.
pub const GUIDES: [VendorGuide; 4] = [
    VendorGuide {
        vendor: Vendor::Xiaomi,
        title: "小米 / 红米（MIUI、澎湃 HyperOS）",
        steps: [
            GuideStep {
                kind: StepKind::Autostart,
                how: "设置 → 应用设置 → 应用管理 → 驻村 → 打开“自启动”",
            },
            GuideStep {
                kind: StepKind::Battery,
                how: "设置 → 应用设置 → 应用管理 → 驻村 → 省电策略 → 选择“无限制”",
            },
            GuideStep {
                kind: StepKind::LockInRecents,
                how: "打开最近任务（从屏幕底部上滑并停住），长按驻村的卡片 → 点锁形图标",
            },
        ],
    },
    VendorGuide {
        vendor: Vendor::Huawei,
        title: "华为 / 荣耀（EMUI、HarmonyOS 鸿蒙、MagicOS）",
        steps: [
            GuideStep {
                kind: StepKind::Autostart,
                how: "设置 → 应用和服务 → 应用启动管理 → 驻村：关闭“自动管理”，在弹窗中打开“允许自启动”“允许关联启动”“允许后台活动”",
            },
            GuideStep {
                kind: StepKind::Battery,
                how: "设置 → 电池 → 更多电池设置 → 打开“休眠时始终保持网络连接”；设置 → 应用和服务 → 应用管理 → 驻村 → 电池 → 打开“允许后台活动”",
            },
            GuideStep {
                kind: StepKind::LockInRecents,
                how: "打开最近任务，按住驻村的卡片向下拉，出现锁形图标即已锁定",
            },
        ],
    },
    VendorGuide {
        vendor: Vendor::Oppo,
        title: "OPPO / 一加 / realme（ColorOS）",
        steps: [
            GuideStep {
                kind: StepKind::Autostart,
                how: "设置 → 应用 → 自启动管理 → 打开驻村",
            },
            GuideStep {
                kind: StepKind::Battery,
                how: "设置 → 电池 → 应用耗电管理 → 驻村 → 打开“允许完全后台行为”（及“允许应用自启动”“允许应用关联启动”）",
            },
            GuideStep {
                kind: StepKind::LockInRecents,
                how: "打开最近任务，点驻村卡片右上角的“⋮” → 锁定（或按住卡片向下拉）",
            },
        ],
    },
    VendorGuide {
        vendor: Vendor::Vivo,
        title: "vivo / iQOO（OriginOS、Funtouch OS）",
        steps: [
            GuideStep {
                kind: StepKind::Autostart,
                how: "设置 → 应用与权限 → 权限管理 → 权限 → 自启动 → 打开驻村（或 i管家 → 应用管理 → 自启动）",
            },
            GuideStep {
                kind: StepKind::Battery,
                how: "设置 → 电池 → 后台耗电管理 → 驻村 → 选择“允许后台高耗电”",
            },
            GuideStep {
                kind: StepKind::LockInRecents,
                how: "打开最近任务，按住驻村的卡片向下拉 → 锁定",
            },
        ],
    },
];

/// The guide for a phone by its maker as Android names it (`Build.MANUFACTURER`, e.g.
/// `Xiaomi`, `HUAWEI`, `HONOR`, `OPPO`, `OnePlus`, `realme`, `vivo`).
pub fn vendor_of(manufacturer: &str) -> Option<Vendor> {
    let m = manufacturer.trim().to_ascii_lowercase();
    match m.as_str() {
        "xiaomi" | "redmi" | "poco" => Some(Vendor::Xiaomi),
        "huawei" | "honor" => Some(Vendor::Huawei),
        "oppo" | "oneplus" | "realme" => Some(Vendor::Oppo),
        "vivo" | "iqoo" => Some(Vendor::Vivo),
        _ => None,
    }
}

/// The guides with this phone's maker first (all of them, in their order, when it is unknown).
pub fn guides_for(vendor: Option<Vendor>) -> Vec<&'static VendorGuide> {
    let mut out: Vec<&VendorGuide> = GUIDES.iter().collect();
    out.sort_by_key(|g| Some(g.vendor) != vendor);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_maker_has_autostart_battery_and_lock_steps_in_chinese() {
        for g in GUIDES {
            let kinds: Vec<StepKind> = g.steps.iter().map(|s| s.kind).collect();
            assert_eq!(
                kinds,
                [
                    StepKind::Autostart,
                    StepKind::Battery,
                    StepKind::LockInRecents
                ],
                "{}",
                g.title
            );
            for s in g.steps {
                assert!(s.how.contains("驻村"), "{}: {}", g.title, s.how);
                // Menu paths in the systems' Chinese, not English.
                let latin = s.how.chars().filter(|c| c.is_ascii_alphabetic()).count();
                assert!(latin <= 2, "{}", s.how);
            }
        }
        let titles: Vec<&str> = GUIDES.iter().map(|g| g.title).collect();
        for maker in [
            "小米",
            "华为",
            "OPPO",
            "vivo",
            "MIUI",
            "HarmonyOS",
            "ColorOS",
        ] {
            assert!(titles.iter().any(|t| t.contains(maker)), "{maker}");
        }
    }

    #[test]
    fn the_phones_maker_comes_first() {
        assert_eq!(vendor_of("Xiaomi"), Some(Vendor::Xiaomi));
        assert_eq!(vendor_of("HONOR"), Some(Vendor::Huawei));
        assert_eq!(vendor_of("OnePlus"), Some(Vendor::Oppo));
        assert_eq!(vendor_of("vivo"), Some(Vendor::Vivo));
        assert_eq!(vendor_of("samsung"), None);
        assert_eq!(guides_for(Some(Vendor::Vivo))[0].vendor, Vendor::Vivo);
        assert_eq!(guides_for(Some(Vendor::Vivo)).len(), 4);
        assert_eq!(guides_for(None)[0].vendor, Vendor::Xiaomi);
    }
}
