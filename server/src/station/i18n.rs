//! The dashboard's words: zh-CN by default, English on request. Core gives codes; the
//! labels for them live here.

/// The dashboard's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// From the `lang` cookie's value.
    pub fn from_cookie(v: Option<&str>) -> Lang {
        match v {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The text in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The `lang` attribute of the page.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// (code, 中文, English) tables.
const LABELS: &[(&str, &str, &str)] = &[
    ("elderly_alone", "独居老人", "Elderly living alone"),
    ("disability", "重度残疾", "Severe disability"),
    ("child_in_hardship", "困境儿童", "Child in hardship"),
    ("stranded", "滞留人员", "Stranded"),
    ("frontline_family", "一线人员家属", "Frontline family"),
    ("pregnant", "孕产妇", "Pregnant"),
    ("chronic_illness", "慢性病", "Chronic illness"),
    ("low_income", "低保", "Low income"),
    ("food_staples", "米面粮", "Food staples"),
    ("cooking_oil", "食用油", "Cooking oil"),
    ("vegetables", "蔬菜", "Vegetables"),
    ("daily_necessities", "生活用品", "Daily necessities"),
    ("medicine", "药品", "Medicine"),
    ("urgent_medical", "紧急就医", "Urgent medical care"),
    ("treatment", "透析/化疗/产检", "Treatment"),
    ("psychological", "心理疏导", "Psychological support"),
    ("no_caregiver", "无人照料", "No caregiver"),
    ("shelter", "住所", "Shelter"),
    ("relief_application", "救助申请", "Relief application"),
    ("other", "其他", "Other"),
    ("low", "低", "low"),
    ("normal", "一般", "normal"),
    ("high", "高", "high"),
    ("critical", "危急", "critical"),
    ("open", "待解决", "open"),
    ("in_progress", "处理中", "in progress"),
    ("resolved", "已解决", "resolved"),
    ("referred", "已转介", "referred"),
    ("cannot_resolve", "无法解决", "cannot resolve"),
    ("sent", "已转出", "sent"),
    ("accepted", "已接收", "accepted"),
    ("done", "已办结", "done"),
    ("declined", "已拒绝", "declined"),
    ("station", "社工站", "Station"),
    ("hospital", "医院", "Hospital"),
    ("psychological_support", "心理援助", "Psychological support"),
    ("civil_affairs", "民政", "Civil affairs"),
    ("supplies_team", "物资保障组", "Supplies team"),
    ("met", "已走访", "met"),
    ("nobody_home", "无人在家", "nobody home"),
    ("refused", "拒绝", "refused"),
    ("moved", "已搬离", "moved"),
    ("needs_follow_up", "需回访", "needs follow-up"),
    ("life", "危及生命", "life at risk"),
    ("vulnerable", "重点人群", "vulnerable"),
    ("overdue", "逾期", "overdue"),
    ("never_visited", "从未走访", "never visited"),
    ("social_worker", "社工", "social worker"),
    ("marshal", "核酸点扫码员", "marshal"),
    ("runner", "配送员", "runner"),
    ("station_admin", "站点管理员", "station admin"),
];

/// The label of a code, or the code itself when it has none (a custom tag).
pub fn label(lang: Lang, code: &str) -> String {
    LABELS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| lang.t(zh, en).to_string())
        .unwrap_or_else(|| code.strip_prefix("custom:").unwrap_or(code).to_string())
}

/// Chinese column heads of ledger exports (the ledger goes upward in Chinese).
pub fn column(code: &str) -> &'static str {
    match code {
        "id" => "编号",
        "at" => "时间",
        "area" => "区域",
        "address" => "地址",
        "unit" => "门牌",
        "name" => "姓名",
        "phone" => "电话",
        "template" => "走访清单",
        "outcome" => "结果",
        "note" => "备注",
        "worker" => "社工",
        "category" => "类别",
        "urgency" => "紧急程度",
        "status" => "状态",
        "details" => "详情",
        "drug" => "药品",
        "raised_by" => "登记人",
        "target" => "转介对象",
        "target_name" => "转介机构",
        "created_by" => "转介人",
        "site" => "采样点",
        "lane" => "通道",
        "queue_no" => "排队号",
        "tube" => "混管",
        _ => "",
    }
}
