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
    ("requested", "待打包", "to pack"),
    ("packed", "已打包", "packed"),
    ("out_for_delivery", "配送中", "out for delivery"),
    ("delivered", "已送达", "delivered"),
    ("partly_delivered", "部分送达", "partly delivered"),
    ("failed", "配送失败", "failed"),
    ("returned", "已退回", "returned"),
    ("wrong_address", "地址有误", "wrong address"),
    ("rice", "大米", "Rice"),
    ("flour", "面粉", "Flour"),
    ("eggs", "鸡蛋", "Eggs"),
    ("infant_formula", "婴儿奶粉", "Infant formula"),
    ("sanitary_products", "卫生用品", "Sanitary products"),
    ("care_package", "暖心包", "Care package"),
    ("kg", "公斤", "kg"),
    ("litre", "升", "litres"),
    ("piece", "个", "pieces"),
    ("can", "罐", "cans"),
    ("box", "盒", "boxes"),
    ("pack", "包", "packs"),
    ("package", "份", "packages"),
    ("unused", "未使用", "not used yet"),
    ("used", "已使用", "used"),
    ("expired", "已过期", "expired"),
    ("cancelled", "已作废", "cancelled"),
    ("active", "使用中", "active"),
    ("revoked", "已停用", "revoked"),
    ("token_expired", "授权已过期", "token expired"),
    ("unknown", "未登记", "not enrolled here"),
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
        "items" => "物品",
        "proof" => "凭证",
        "reason" => "原因",
        "from" => "交出方",
        "to" => "接收方",
        "package" => "物资包",
        "request" => "物资申请",
        _ => "",
    }
}

/// An item in words, medicine with its name and dose: `药品（降压药 10mg）`.
pub fn item_name(lang: Lang, line: &doorstep_core::deliveries::ItemLine) -> String {
    match (&line.name, &line.dose) {
        (Some(n), Some(d)) => format!("{}（{n} {d}）", label(lang, &line.item)),
        _ => label(lang, &line.item),
    }
}

/// The unit an item's quantities count, in words (`公斤`).
pub fn item_unit(lang: Lang, item: &str) -> String {
    doorstep_core::deliveries::CATALOGUE
        .iter()
        .find(|c| c.code == item)
        .map(|c| label(lang, c.unit))
        .unwrap_or_default()
}

/// An item line in words: `大米 5公斤`, `药品（降压药 10mg）2盒`.
pub fn item_line(lang: Lang, line: &doorstep_core::deliveries::ItemLine) -> String {
    let (what, unit) = (item_name(lang, line), item_unit(lang, &line.item));
    match lang {
        Lang::Zh => format!("{what} {}{unit}", line.quantity),
        Lang::En => format!("{what} {} {unit}", line.quantity),
    }
}
