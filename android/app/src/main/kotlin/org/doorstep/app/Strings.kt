package org.doorstep.app

import androidx.compose.runtime.staticCompositionLocalOf
import org.doorstep.sdk.AnswerProblem
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.DueReason
import org.doorstep.sdk.DueTier
import org.doorstep.sdk.FailWhy
import org.doorstep.sdk.ItemCount
import org.doorstep.sdk.PackageState
import org.doorstep.sdk.ProofWay
import org.doorstep.sdk.ScanResult
import org.doorstep.sdk.Label
import org.doorstep.sdk.NeedCategory
import org.doorstep.sdk.NeedStatus
import org.doorstep.sdk.ReferralStatus
import org.doorstep.sdk.ReferralTarget
import org.doorstep.sdk.Role
import org.doorstep.sdk.Sex
import org.doorstep.sdk.SyncStage
import org.doorstep.sdk.Tag
import org.doorstep.sdk.Urgency
import org.doorstep.sdk.VisitOutcome

/** The app's languages; zh-CN is the default. */
enum class Language { ZH_CN, EN }

/** Every word the app shows, one implementation per language. */
interface Strings : FieldStrings {
    val language: Language
    val appName: String
    val back: String
    val retry: String
    val save: String
    val cancel: String
    val none: String
    /** Between items of a list in a line. */
    val listSep: String

    // First run
    val firstRunTitle: String
    val firstRunHelp: String
    val serverLabel: String
    val codeLabel: String
    val enrol: String
    val enrolling: String
    val readQrPicture: String
    val notAnEnrolmentQr: String
    val photoTaken: String
    val syncOnWifiOnly: String

    // Home and sync bar
    fun homeTitle(user: String): String
    fun role(r: Role): String
    val roleNotInThisBuild: String
    val languageSwitch: String
    fun pending(n: Long): String
    fun lastSync(at: String?): String
    val syncNow: String
    fun syncing(stage: SyncStage?, done: Long, total: Long): String
    fun synced(pushed: Long, pulled: Long): String
    fun refused(n: Int): String
    fun conflicts(n: Int): String
    val retryRefused: String
    val markReviewed: String
    val enrolAgain: String

    // Due list
    val dueTitle: String
    val searchHint: String
    val refresh: String
    val nothingDue: String
    val noResults: String
    fun tier(t: DueTier): String
    fun reason(r: DueReason): String
    fun lastContact(at: String?): String

    // Household
    val householdTitle: String
    val residents: String
    val openNeeds: String
    val visitHistory: String
    val followUps: String
    val startVisit: String
    val visitHousehold: String
    val addResident: String
    val editResident: String
    val name: String
    val birthYear: String
    val phone: String
    val notes: String
    val tags: String
    fun sex(s: Sex): String
    fun tag(t: Tag): String
    fun age(birthYear: Int?, thisYear: Int): String
    fun visitLine(outcome: VisitOutcome, at: String, worker: String): String
    fun followUpLine(at: String, note: String?): String

    // Visit
    val visitTitle: String
    fun label(l: Label): String = if (language == Language.ZH_CN) l.zhCn else l.en
    val yes: String
    val no: String
    val required: String
    fun problem(p: AnswerProblem): String
    fun textLimit(used: Int, max: Int): String
    fun numberBounds(min: String?, max: String?): String
    val dateHint: String
    val photoNotOnThisDevice: String
    val outcome: String
    fun outcome(o: VisitOutcome): String
    val finishVisit: String
    fun missing(n: Int): String
    val visitDone: String
    val needsRaised: String
    val noNeedsRaised: String
    val backToHousehold: String
    val discard: String

    // Needs
    val needTitle: String
    fun category(c: NeedCategory): String
    fun urgency(u: Urgency): String
    fun status(s: NeedStatus): String
    fun runsOut(at: String): String
    val moveTo: String
    val note: String
    val referTo: String
    fun target(t: ReferralTarget): String
    val targetName: String
    val refer: String
    fun referralLine(t: ReferralTarget, name: String?, s: ReferralStatus): String
    fun referralStatus(s: ReferralStatus): String
    val scheduleFollowUp: String
    fun inDays(n: Int): String
    val history: String
    fun change(from: NeedStatus?, to: NeedStatus, by: String, at: String): String

    /** A failure in words a person can act on. */
    fun failure(f: DoorstepFailure): String
}

val LocalStrings = staticCompositionLocalOf<Strings> { ZhCn }

/** 简体中文 (the default). */
object ZhCn : Strings, FieldStrings by ZhCnField {
    override val language = Language.ZH_CN
    override val appName = "社区走访"
    override val back = "返回"
    override val retry = "重试"
    override val save = "保存"
    override val cancel = "取消"
    override val none = "无"
    override val listSep = "、"
    override val firstRunTitle = "绑定本机"
    override val firstRunHelp = "请输入站点服务器地址和站点管理员给您的一次性绑定码。"
    override val serverLabel = "服务器地址"
    override val codeLabel = "绑定码"
    override val enrol = "绑定"
    override val enrolling = "正在绑定…"
    override val readQrPicture = "从图片读取二维码"
    override val notAnEnrolmentQr = "这个二维码不是绑定码：请扫描站点管理后台“设备”页上的二维码。"
    override val photoTaken = "已拍照"
    override val syncOnWifiOnly = "仅在 Wi-Fi 下同步"
    override fun homeTitle(user: String) = "$user 的工作台"
    override fun role(r: Role) = when (r) {
        Role.SOCIAL_WORKER -> "社工走访"
        Role.MARSHAL -> "核酸扫码"
        Role.RUNNER -> "物资配送"
        Role.STATION_ADMIN -> "站点管理"
    }
    override val roleNotInThisBuild = "此角色的页面尚未包含在本版本中。"
    override val languageSwitch = "English"
    override fun pending(n: Long) = if (n == 0L) "全部已同步" else "$n 条待同步"
    override fun lastSync(at: String?) = if (at == null) "从未同步" else "上次同步 $at"
    override val syncNow = "立即同步"
    override fun syncing(stage: SyncStage?, done: Long, total: Long) = when (stage) {
        null -> "正在连接站点…"
        SyncStage.PULL -> "正在接收 $done 条"
        SyncStage.PUSH -> if (total > 0) "正在上传 $done/$total" else "正在上传 $done"
        SyncStage.BLOBS -> "正在传送照片和签名 $done"
        SyncStage.DONE -> "同步完成"
    }
    override fun synced(pushed: Long, pulled: Long) = "已上传 $pushed 条，已接收 $pulled 条"
    override fun refused(n: Int) = "$n 条修改被站点拒绝"
    override fun conflicts(n: Int) = "$n 处修改冲突待查看"
    override val retryRefused = "重新提交"
    override val markReviewed = "已查看"
    override val enrolAgain = "重新绑定"
    override val dueTitle = "待走访"
    override val searchHint = "姓名/拼音/尾号/地址"
    override val refresh = "刷新"
    override val nothingDue = "暂无待走访的居民"
    override val noResults = "没有找到"
    override fun tier(t: DueTier) = when (t) {
        DueTier.LIFE -> "生命攸关"
        DueTier.VULNERABLE -> "重点人群"
        DueTier.OVERDUE -> "逾期"
        DueTier.NEVER_VISITED -> "未走访"
    }
    override fun reason(r: DueReason) = when (r) {
        is DueReason.LifeNeed -> "${category(r.category)}（${urgency(r.urgency)}）" +
            (r.runsOutAtMs?.let { "，${Format.day(it)} 用完" } ?: "")
        is DueReason.OpenNeeds -> "${r.count} 项需求未解决，最急：${urgency(r.topUrgency)}"
        is DueReason.NeverVisited -> if (r.attempts == 0) "从未走访" else "从未见到本人（已上门 ${r.attempts} 次）"
        is DueReason.VisitOverdue -> "走访已逾期 ${Format.days(r.overdueMs)} 天"
        is DueReason.FollowUpOverdue -> "回访已逾期 ${Format.days(r.overdueMs)} 天"
    }
    override fun lastContact(at: String?) = if (at == null) "尚无联系" else "上次联系 $at"
    override val householdTitle = "住户"
    override val residents = "居民"
    override val openNeeds = "需求"
    override val visitHistory = "走访记录"
    override val followUps = "回访计划"
    override val startVisit = "开始走访"
    override val visitHousehold = "走访全户"
    override val addResident = "添加居民"
    override val editResident = "编辑"
    override val name = "姓名"
    override val birthYear = "出生年份"
    override val phone = "手机"
    override val notes = "备注"
    override val tags = "标签"
    override fun sex(s: Sex) = when (s) {
        Sex.FEMALE -> "女"
        Sex.MALE -> "男"
        Sex.UNKNOWN -> "未知"
    }
    override fun tag(t: Tag) = when (t) {
        Tag.ElderlyAlone -> "独居老人"
        Tag.Disability -> "残疾人"
        Tag.ChildInHardship -> "困境儿童"
        Tag.Stranded -> "滞留人员"
        Tag.FrontlineFamily -> "一线家属"
        Tag.Pregnant -> "孕产妇"
        Tag.ChronicIllness -> "慢性病"
        Tag.LowIncome -> "低收入"
        is Tag.Custom -> t.name
    }
    override fun age(birthYear: Int?, thisYear: Int) = if (birthYear == null) "" else "${thisYear - birthYear} 岁"
    override fun visitLine(outcome: VisitOutcome, at: String, worker: String) = "$at  ${outcome(outcome)}  $worker"
    override fun followUpLine(at: String, note: String?) = "$at 回访" + (note?.let { "：$it" } ?: "")
    override val visitTitle = "走访"
    override val yes = "是"
    override val no = "否"
    override val required = "必填"
    override fun problem(p: AnswerProblem) = when (p) {
        AnswerProblem.MISSING -> "请回答此题"
        AnswerProblem.WRONG_TYPE -> "答案类型不对"
        AnswerProblem.OUT_OF_RANGE -> "超出允许范围"
        AnswerProblem.TOO_LONG -> "文字太长"
        AnswerProblem.UNKNOWN_OPTION -> "没有这个选项"
        AnswerProblem.MALFORMED -> "格式不对"
        AnswerProblem.HIDDEN -> "此题当前不需回答"
        AnswerProblem.UNKNOWN_QUESTION -> "清单里没有此题"
    }
    override fun textLimit(used: Int, max: Int) = "$used/$max 字"
    override fun numberBounds(min: String?, max: String?) = when {
        min != null && max != null -> "$min 至 $max"
        min != null -> "不小于 $min"
        max != null -> "不大于 $max"
        else -> ""
    }
    override val dateHint = "年-月-日，如 2026-03-08"
    override val photoNotOnThisDevice = "拍照需在手机上进行"
    override val outcome = "走访结果"
    override fun outcome(o: VisitOutcome) = when (o) {
        VisitOutcome.MET -> "已见到"
        VisitOutcome.NOBODY_HOME -> "无人在家"
        VisitOutcome.REFUSED -> "拒绝走访"
        VisitOutcome.MOVED -> "已搬走"
        VisitOutcome.NEEDS_FOLLOW_UP -> "需回访"
    }
    override val finishVisit = "完成走访"
    override fun missing(n: Int) = "还有 $n 题必填未答"
    override val visitDone = "走访已保存"
    override val needsRaised = "本次发现的需求"
    override val noNeedsRaised = "本次未发现新需求"
    override val backToHousehold = "回到住户"
    override val discard = "放弃草稿"
    override val needTitle = "需求"
    override fun category(c: NeedCategory) = when (c) {
        NeedCategory.FOOD_STAPLES -> "米面粮食"
        NeedCategory.COOKING_OIL -> "食用油"
        NeedCategory.VEGETABLES -> "蔬菜"
        NeedCategory.DAILY_NECESSITIES -> "生活用品"
        NeedCategory.MEDICINE -> "药品"
        NeedCategory.URGENT_MEDICAL -> "紧急就医"
        NeedCategory.TREATMENT -> "治疗"
        NeedCategory.PSYCHOLOGICAL -> "心理疏导"
        NeedCategory.NO_CAREGIVER -> "无人照护"
        NeedCategory.SHELTER -> "住所"
        NeedCategory.RELIEF_APPLICATION -> "救助申请"
        NeedCategory.OTHER -> "其他"
    }
    override fun urgency(u: Urgency) = when (u) {
        Urgency.LOW -> "不急"
        Urgency.NORMAL -> "一般"
        Urgency.HIGH -> "紧急"
        Urgency.CRITICAL -> "危急"
    }
    override fun status(s: NeedStatus) = when (s) {
        NeedStatus.OPEN -> "待处理"
        NeedStatus.IN_PROGRESS -> "处理中"
        NeedStatus.RESOLVED -> "已解决"
        NeedStatus.REFERRED -> "已转介"
        NeedStatus.CANNOT_RESOLVE -> "无法解决"
    }
    override fun runsOut(at: String) = "预计 $at 用完"
    override val moveTo = "改为"
    override val note = "说明"
    override val referTo = "转介给"
    override fun target(t: ReferralTarget) = when (t) {
        ReferralTarget.STATION -> "其他站点"
        ReferralTarget.HOSPITAL -> "医院"
        ReferralTarget.PSYCHOLOGICAL_SUPPORT -> "心理援助热线"
        ReferralTarget.CIVIL_AFFAIRS -> "民政"
        ReferralTarget.SUPPLIES_TEAM -> "物资组"
    }
    override val targetName = "接收方名称"
    override val refer = "转介"
    override fun referralLine(t: ReferralTarget, name: String?, s: ReferralStatus) =
        "${target(t)}${name?.let { "（$it）" } ?: ""}：${referralStatus(s)}"
    override fun referralStatus(s: ReferralStatus) = when (s) {
        ReferralStatus.SENT -> "已发送"
        ReferralStatus.ACCEPTED -> "已接收"
        ReferralStatus.DONE -> "已办结"
        ReferralStatus.DECLINED -> "被退回"
    }
    override val scheduleFollowUp = "安排回访"
    override fun inDays(n: Int) = if (n == 1) "明天" else "$n 天后"
    override val history = "经过"
    override fun change(from: NeedStatus?, to: NeedStatus, by: String, at: String) =
        "$at  ${from?.let { status(it) + " → " } ?: ""}${status(to)}  $by"
    override fun failure(f: DoorstepFailure) = when (f) {
        is DoorstepFailure.Invalid -> "内容不符合要求：${f.detail}"
        is DoorstepFailure.NotFound -> "找不到这条记录，可能已在别处删除。"
        is DoorstepFailure.Conflict -> "此记录已变更，无法这样修改：${f.detail}"
        is DoorstepFailure.Refused -> "被拒绝：${f.detail}"
        is DoorstepFailure.Unreachable -> "连不上站点（无网络或服务器未开）。数据已存在本机，有网后会自动同步。"
        is DoorstepFailure.CodeRefused -> "绑定码无效、已用过或已过期，请向站点管理员要一个新的。"
        is DoorstepFailure.EnrolAgain -> "本机的授权已失效，请重新绑定。未同步的数据仍在本机。"
        is DoorstepFailure.NotEnrolled -> "本机尚未绑定站点。"
        is DoorstepFailure.StoreUnusable -> "本机数据无法打开：${f.detail}"
        is DoorstepFailure.Storage -> "本机存储出错（空间不足？）：${f.detail}"
        is DoorstepFailure.Cancelled -> "已取消，数据未改动"
        is DoorstepFailure.Internal -> "程序出错，数据未改动：${f.detail}"
    }
}

/** English. */
object En : Strings, FieldStrings by EnField {
    override val language = Language.EN
    override val appName = "Doorstep"
    override val back = "Back"
    override val retry = "Retry"
    override val save = "Save"
    override val cancel = "Cancel"
    override val none = "None"
    override val listSep = ", "
    override val firstRunTitle = "Enrol this phone"
    override val firstRunHelp = "Enter the station's server address and the one-time code from your station admin."
    override val serverLabel = "Server address"
    override val codeLabel = "One-time code"
    override val enrol = "Enrol"
    override val enrolling = "Enrolling…"
    override val readQrPicture = "Read a QR picture"
    override val notAnEnrolmentQr = "This QR code is not an enrolment code: scan the one on the dashboard's devices page."
    override val photoTaken = "Photo taken"
    override val syncOnWifiOnly = "Sync on Wi-Fi only"
    override fun homeTitle(user: String) = "$user's day"
    override fun role(r: Role) = when (r) {
        Role.SOCIAL_WORKER -> "Visits"
        Role.MARSHAL -> "Scanning"
        Role.RUNNER -> "Deliveries"
        Role.STATION_ADMIN -> "Station"
    }
    override val roleNotInThisBuild = "This role's screens are not in this build yet."
    override val languageSwitch = "中文"
    override fun pending(n: Long) = if (n == 0L) "All synced" else "$n to sync"
    override fun lastSync(at: String?) = if (at == null) "Never synced" else "Last sync $at"
    override val syncNow = "Sync now"
    override fun syncing(stage: SyncStage?, done: Long, total: Long) = when (stage) {
        null -> "Reaching the station…"
        SyncStage.PULL -> "Receiving $done"
        SyncStage.PUSH -> if (total > 0) "Sending $done of $total" else "Sending $done"
        SyncStage.BLOBS -> "Moving photos and signatures $done"
        SyncStage.DONE -> "Sync done"
    }
    override fun synced(pushed: Long, pulled: Long) = "Sent $pushed, received $pulled"
    override fun refused(n: Int) = if (n == 1) "1 change refused by the station" else "$n changes refused by the station"
    override fun conflicts(n: Int) = if (n == 1) "1 conflicting edit to review" else "$n conflicting edits to review"
    override val retryRefused = "Send again"
    override val markReviewed = "Seen"
    override val enrolAgain = "Enrol again"
    override val dueTitle = "Due"
    override val searchHint = "Name, pinyin, phone, address"
    override val refresh = "Refresh"
    override val nothingDue = "Nobody is due a visit"
    override val noResults = "Nothing found"
    override fun tier(t: DueTier) = when (t) {
        DueTier.LIFE -> "Life"
        DueTier.VULNERABLE -> "Vulnerable"
        DueTier.OVERDUE -> "Overdue"
        DueTier.NEVER_VISITED -> "Never visited"
    }
    override fun reason(r: DueReason) = when (r) {
        is DueReason.LifeNeed -> "${category(r.category)} (${urgency(r.urgency)})" +
            (r.runsOutAtMs?.let { ", runs out ${Format.day(it)}" } ?: "")
        is DueReason.OpenNeeds -> "${r.count} open needs, most urgent: ${urgency(r.topUrgency)}"
        is DueReason.NeverVisited -> if (r.attempts == 0) "Never visited" else "Never met (${r.attempts} tries)"
        is DueReason.VisitOverdue -> "Visit overdue by ${Format.days(r.overdueMs)} days"
        is DueReason.FollowUpOverdue -> "Follow-up overdue by ${Format.days(r.overdueMs)} days"
    }
    override fun lastContact(at: String?) = if (at == null) "No contact yet" else "Last contact $at"
    override val householdTitle = "Household"
    override val residents = "Residents"
    override val openNeeds = "Needs"
    override val visitHistory = "Visits"
    override val followUps = "Follow-ups"
    override val startVisit = "Visit"
    override val visitHousehold = "Visit household"
    override val addResident = "Add resident"
    override val editResident = "Edit"
    override val name = "Name"
    override val birthYear = "Birth year"
    override val phone = "Phone"
    override val notes = "Notes"
    override val tags = "Tags"
    override fun sex(s: Sex) = when (s) {
        Sex.FEMALE -> "Female"
        Sex.MALE -> "Male"
        Sex.UNKNOWN -> "Not recorded"
    }
    override fun tag(t: Tag) = when (t) {
        Tag.ElderlyAlone -> "Elderly alone"
        Tag.Disability -> "Disability"
        Tag.ChildInHardship -> "Child in hardship"
        Tag.Stranded -> "Stranded"
        Tag.FrontlineFamily -> "Frontline family"
        Tag.Pregnant -> "Pregnant"
        Tag.ChronicIllness -> "Chronic illness"
        Tag.LowIncome -> "Low income"
        is Tag.Custom -> t.name
    }
    override fun age(birthYear: Int?, thisYear: Int) = if (birthYear == null) "" else "${thisYear - birthYear} y"
    override fun visitLine(outcome: VisitOutcome, at: String, worker: String) = "$at  ${outcome(outcome)}  $worker"
    override fun followUpLine(at: String, note: String?) = "Back on $at" + (note?.let { ": $it" } ?: "")
    override val visitTitle = "Visit"
    override val yes = "Yes"
    override val no = "No"
    override val required = "Required"
    override fun problem(p: AnswerProblem) = when (p) {
        AnswerProblem.MISSING -> "Please answer"
        AnswerProblem.WRONG_TYPE -> "Wrong kind of answer"
        AnswerProblem.OUT_OF_RANGE -> "Out of range"
        AnswerProblem.TOO_LONG -> "Too long"
        AnswerProblem.UNKNOWN_OPTION -> "No such option"
        AnswerProblem.MALFORMED -> "Not in the right form"
        AnswerProblem.HIDDEN -> "Not asked now"
        AnswerProblem.UNKNOWN_QUESTION -> "Not on this checklist"
    }
    override fun textLimit(used: Int, max: Int) = "$used/$max characters"
    override fun numberBounds(min: String?, max: String?) = when {
        min != null && max != null -> "$min to $max"
        min != null -> "at least $min"
        max != null -> "at most $max"
        else -> ""
    }
    override val dateHint = "Year-month-day, e.g. 2026-03-08"
    override val photoNotOnThisDevice = "Photos are taken on the phone"
    override val outcome = "Outcome"
    override fun outcome(o: VisitOutcome) = when (o) {
        VisitOutcome.MET -> "Met"
        VisitOutcome.NOBODY_HOME -> "Nobody home"
        VisitOutcome.REFUSED -> "Refused"
        VisitOutcome.MOVED -> "Moved"
        VisitOutcome.NEEDS_FOLLOW_UP -> "Needs follow-up"
    }
    override val finishVisit = "Finish visit"
    override fun missing(n: Int) = if (n == 1) "1 required answer missing" else "$n required answers missing"
    override val visitDone = "Visit saved"
    override val needsRaised = "Needs found on this visit"
    override val noNeedsRaised = "No new needs found"
    override val backToHousehold = "Back to household"
    override val discard = "Discard draft"
    override val needTitle = "Need"
    override fun category(c: NeedCategory) = when (c) {
        NeedCategory.FOOD_STAPLES -> "Food staples"
        NeedCategory.COOKING_OIL -> "Cooking oil"
        NeedCategory.VEGETABLES -> "Vegetables"
        NeedCategory.DAILY_NECESSITIES -> "Daily necessities"
        NeedCategory.MEDICINE -> "Medicine"
        NeedCategory.URGENT_MEDICAL -> "Urgent medical care"
        NeedCategory.TREATMENT -> "Treatment"
        NeedCategory.PSYCHOLOGICAL -> "Psychological support"
        NeedCategory.NO_CAREGIVER -> "No caregiver"
        NeedCategory.SHELTER -> "Shelter"
        NeedCategory.RELIEF_APPLICATION -> "Relief application"
        NeedCategory.OTHER -> "Other"
    }
    override fun urgency(u: Urgency) = when (u) {
        Urgency.LOW -> "low"
        Urgency.NORMAL -> "normal"
        Urgency.HIGH -> "high"
        Urgency.CRITICAL -> "critical"
    }
    override fun status(s: NeedStatus) = when (s) {
        NeedStatus.OPEN -> "Open"
        NeedStatus.IN_PROGRESS -> "In progress"
        NeedStatus.RESOLVED -> "Resolved"
        NeedStatus.REFERRED -> "Referred"
        NeedStatus.CANNOT_RESOLVE -> "Cannot resolve"
    }
    override fun runsOut(at: String) = "Runs out $at"
    override val moveTo = "Move to"
    override val note = "Note"
    override val referTo = "Refer to"
    override fun target(t: ReferralTarget) = when (t) {
        ReferralTarget.STATION -> "Another station"
        ReferralTarget.HOSPITAL -> "Hospital"
        ReferralTarget.PSYCHOLOGICAL_SUPPORT -> "Psychological support line"
        ReferralTarget.CIVIL_AFFAIRS -> "Civil affairs"
        ReferralTarget.SUPPLIES_TEAM -> "Supplies team"
    }
    override val targetName = "Receiver's name"
    override val refer = "Refer"
    override fun referralLine(t: ReferralTarget, name: String?, s: ReferralStatus) =
        "${target(t)}${name?.let { " ($it)" } ?: ""}: ${referralStatus(s)}"
    override fun referralStatus(s: ReferralStatus) = when (s) {
        ReferralStatus.SENT -> "sent"
        ReferralStatus.ACCEPTED -> "accepted"
        ReferralStatus.DONE -> "done"
        ReferralStatus.DECLINED -> "declined"
    }
    override val scheduleFollowUp = "Plan a follow-up"
    override fun inDays(n: Int) = if (n == 1) "Tomorrow" else "In $n days"
    override val history = "History"
    override fun change(from: NeedStatus?, to: NeedStatus, by: String, at: String) =
        "$at  ${from?.let { status(it) + " → " } ?: ""}${status(to)}  $by"
    override fun failure(f: DoorstepFailure) = when (f) {
        is DoorstepFailure.Invalid -> "Not accepted: ${f.detail}"
        is DoorstepFailure.NotFound -> "This record is gone; it may have been deleted elsewhere."
        is DoorstepFailure.Conflict -> "This record has changed and cannot be changed this way: ${f.detail}"
        is DoorstepFailure.Refused -> "Refused: ${f.detail}"
        is DoorstepFailure.Unreachable -> "Can't reach the station (offline or server down). Your work is kept on this phone and syncs when the network is back."
        is DoorstepFailure.CodeRefused -> "The code is unknown, used or expired. Ask your station admin for a new one."
        is DoorstepFailure.EnrolAgain -> "This phone's access was revoked or has expired: enrol again. Unsynced work stays on the phone."
        is DoorstepFailure.NotEnrolled -> "This phone is not enrolled with a station."
        is DoorstepFailure.StoreUnusable -> "The phone's data cannot be opened: ${f.detail}"
        is DoorstepFailure.Storage -> "The phone's storage failed (full?): ${f.detail}"
        is DoorstepFailure.Cancelled -> "Cancelled; nothing was changed"
        is DoorstepFailure.Internal -> "Something went wrong; nothing was changed: ${f.detail}"
    }
}

fun stringsFor(l: Language): Strings = if (l == Language.ZH_CN) ZhCn else En

/** The marshal's and the runner's words (part 2). */
interface FieldStrings {
    // Marshal: set-up and scanner
    val marshalTitle: String
    val siteLabel: String
    val laneLabel: String
    fun pauseLabel(seconds: Int): String
    val beginScanning: String
    val changeSetUp: String
    fun today(scans: Int, admitted: Int): String
    val pointCamera: String
    val tapForNext: String
    val manualLabel: String
    val manualSubmit: String
    val pickImage: String
    val recentOutcomes: String
    val tubesButton: String
    /** The card's big words for an outcome. */
    fun outcomeTitle(o: ScanResult): String
    /** The line under the card's big words (number, lane, when, why), if any. */
    fun outcomeDetail(o: ScanResult, at: (Long) -> String): String?

    // Tubes
    val tubesTitle: String
    val tubeCodeLabel: String
    fun capacityLabel(n: Int): String
    val openTube: String
    val sealTube: String
    fun tubeFill(code: String, members: Int, capacity: Int): String
    val tubeSealed: String
    val tubeFull: String
    val scanIntoTube: String
    val positiveTubes: String
    fun recallTitle(code: String): String
    val closeRecall: String
    val resume: String

    // Runner
    val runnerTitle: String
    val toReturn: String
    val itemsLeft: String
    fun packageStatus(p: PackageState): String
    val medicine: String
    val packageTitle: String
    val moves: String
    val proofTitle: String
    fun proofWay(w: ProofWay): String
    val pinLabel: String
    fun triesLeft(n: Int): String
    val pinLocked: String
    val scanRecipientPass: String
    val signHere: String
    val clearSignature: String
    val pickPhoto: String
    val noProofReason: String
    val deliver: String
    val failedTitle: String
    fun failWhy(w: FailWhy): String
    val returnToStation: String
    fun pendingUploads(n: Int): String
    val noteLabel: String
    val nothingToday: String
    /** An item line in words: the catalogue item's name (or the drug's, with its dose), how many and the unit. */
    fun itemLine(i: ItemCount): String
    val partlyToggle: String
    fun handedOver(i: ItemCount): String
    val deliverPart: String
    val partEmpty: String

    // Tubes at a bedridden resident's home
    val atHomeTitle: String
    val homeSearchLabel: String
    fun atHome(address: String): String
    val backToSite: String
    val noHomeFound: String
}

object ZhCnField : FieldStrings {
    override val marshalTitle = "扫码核验"
    override val siteLabel = "检测点"
    override val laneLabel = "通道"
    override fun pauseLabel(seconds: Int) = if (seconds == 0) "每人扫完点一下继续" else "每人扫完停 $seconds 秒"
    override val beginScanning = "开始扫码"
    override val changeSetUp = "换检测点/通道"
    override fun today(scans: Int, admitted: Int) = "今日已扫 $scans 次，放行 $admitted 人"
    override val pointCamera = "请将通行码对准取景框"
    override val tapForNext = "下一位（点一下）"
    override val manualLabel = "码损坏时手动输入"
    override val manualSubmit = "核验"
    override val pickImage = "从图片读码"
    override val recentOutcomes = "最近结果"
    override val tubesButton = "混管采样"
    override fun outcomeTitle(o: ScanResult) = when (o) {
        is ScanResult.Admitted -> "通过 ${o.queueNo}"
        is ScanResult.Priority -> "优先通道 ${o.queueNo}"
        is ScanResult.Duplicate -> "重复扫码"
        is ScanResult.Expired -> "已过期"
        is ScanResult.NotYetValid -> "尚未生效"
        ScanResult.Revoked -> "已作废"
        ScanResult.UnknownKey -> "签发方不认识"
        ScanResult.Forged -> "伪造的码"
        is ScanResult.Unreadable -> "不是通行码"
        is ScanResult.InOpenTube -> "已在另一混管中"
    }
    override fun outcomeDetail(o: ScanResult, at: (Long) -> String) = when (o) {
        is ScanResult.Admitted -> "请到 ${o.lane} 号通道"
        is ScanResult.Priority -> "老幼孕残，请走优先通道 ${o.lane}"
        is ScanResult.Duplicate -> "首次扫码 ${at(o.firstAtMs)}，号码 ${o.queueNo}"
        is ScanResult.Expired -> "有效期至 ${at(o.validUntilMs)}"
        is ScanResult.NotYetValid -> "自 ${at(o.validFromMs)} 起有效"
        ScanResult.Revoked -> "此码已被站点作废，请联系工作人员"
        ScanResult.UnknownKey -> "不是本站签发的码，请联系工作人员"
        ScanResult.Forged -> "签名不符，码被改过或是假的"
        is ScanResult.Unreadable -> o.reason
        is ScanResult.InOpenTube -> "混管 ${o.tubeCode}"
    }
    override val tubesTitle = "混管采样"
    override val tubeCodeLabel = "管码"
    override fun capacityLabel(n: Int) = "每管 $n 人"
    override val openTube = "开管"
    override val sealTube = "封管"
    override fun tubeFill(code: String, members: Int, capacity: Int) = "$code：$members / $capacity"
    override val tubeSealed = "已封管"
    override val tubeFull = "已满，请封管"
    override val scanIntoTube = "扫居民通行码入管"
    override val positiveTubes = "阳性混管"
    override fun recallTitle(code: String) = "混管 $code 需召回复检"
    override val closeRecall = "关闭"
    override val resume = "继续"
    override val runnerTitle = "今日配送"
    override val toReturn = "需退回站点"
    override val itemsLeft = "手中还有"
    override fun packageStatus(p: PackageState) = when (p) {
        PackageState.REQUESTED -> "待打包"
        PackageState.PACKED -> "已打包"
        PackageState.OUT_FOR_DELIVERY -> "配送中"
        PackageState.DELIVERED -> "已送达"
        PackageState.PARTLY_DELIVERED -> "部分送达"
        PackageState.FAILED -> "未送达"
        PackageState.RETURNED -> "已退回"
    }
    override val medicine = "药品"
    override val packageTitle = "包裹"
    override val moves = "经手记录"
    override val proofTitle = "交接凭证"
    override fun proofWay(w: ProofWay) = when (w) {
        ProofWay.PIN -> "取件码"
        ProofWay.PASS -> "扫收件人通行码"
        ProofWay.SIGNATURE -> "签名"
        ProofWay.PHOTO -> "拍照"
        ProofWay.NO_PROOF -> "无凭证（说明原因）"
    }
    override val pinLabel = "住户的 6 位取件码"
    override fun triesLeft(n: Int) = "取件码不对，还可再试 $n 次"
    override val pinLocked = "取件码已锁定，请用其他凭证"
    override val scanRecipientPass = "扫收件人通行码"
    override val signHere = "请收件人在此签名"
    override val clearSignature = "重签"
    override val pickPhoto = "选照片"
    override val noProofReason = "为何没有凭证"
    override val deliver = "确认送达"
    override val failedTitle = "未送达"
    override fun failWhy(w: FailWhy) = when (w) {
        FailWhy.NOBODY_HOME -> "家中无人"
        FailWhy.REFUSED -> "拒收"
        FailWhy.WRONG_ADDRESS -> "地址不对"
    }
    override val returnToStation = "退回站点"
    override fun pendingUploads(n: Int) = "$n 个照片/签名待上传"
    override val noteLabel = "备注"
    override val nothingToday = "今天没有要送的包裹"
    private val names = mapOf(
        "rice" to "大米", "flour" to "面粉", "cooking_oil" to "食用油", "vegetables" to "蔬菜", "eggs" to "鸡蛋",
        "infant_formula" to "婴儿奶粉", "medicine" to "药品", "sanitary_products" to "卫生用品", "care_package" to "暖心包",
    )
    private val units = mapOf(
        "kg" to "公斤", "litre" to "升", "piece" to "个", "can" to "罐", "box" to "盒", "pack" to "包", "package" to "份",
    )
    override fun itemLine(i: ItemCount): String {
        val what = if (i.name != null) listOfNotNull(i.name, i.dose).joinToString(" ") else names[i.item] ?: i.item
        return "$what ${i.quantity}${units[i.unit] ?: i.unit}"
    }
    override val partlyToggle = "只交了一部分"
    override fun handedOver(i: ItemCount) = "交了多少（共 ${itemLine(i)}）"
    override val deliverPart = "确认部分送达"
    override val partEmpty = "至少交一样东西；一样没交请记为未送达"
    override val atHomeTitle = "卧床居民上门采样"
    override val homeSearchLabel = "按姓名或地址找住户"
    override fun atHome(address: String) = "上门采样：$address"
    override val backToSite = "回到检测点"
    override val noHomeFound = "本机没有这户的登记（上门采样要用有本网格登记的手机）"
}

object EnField : FieldStrings {
    override val marshalTitle = "Pass check"
    override val siteLabel = "Site"
    override val laneLabel = "Lane"
    override fun pauseLabel(seconds: Int) = if (seconds == 0) "After each person: tap to go on" else "After each person: pause $seconds s"
    override val beginScanning = "Start scanning"
    override val changeSetUp = "Change site or lane"
    override fun today(scans: Int, admitted: Int) = "Today: $scans scans, $admitted admitted"
    override val pointCamera = "Point the camera at the pass"
    override val tapForNext = "Next person (tap)"
    override val manualLabel = "Type a damaged code"
    override val manualSubmit = "Check"
    override val pickImage = "Read from a picture"
    override val recentOutcomes = "Last outcomes"
    override val tubesButton = "Pooled tubes"
    override fun outcomeTitle(o: ScanResult) = when (o) {
        is ScanResult.Admitted -> "Admitted ${o.queueNo}"
        is ScanResult.Priority -> "Priority ${o.queueNo}"
        is ScanResult.Duplicate -> "Already scanned"
        is ScanResult.Expired -> "Expired"
        is ScanResult.NotYetValid -> "Not valid yet"
        ScanResult.Revoked -> "Revoked"
        ScanResult.UnknownKey -> "Unknown issuer"
        ScanResult.Forged -> "Forged"
        is ScanResult.Unreadable -> "Not a pass"
        is ScanResult.InOpenTube -> "In another open tube"
    }
    override fun outcomeDetail(o: ScanResult, at: (Long) -> String) = when (o) {
        is ScanResult.Admitted -> "Go to lane ${o.lane}"
        is ScanResult.Priority -> "Elderly, disabled, pregnant or child: priority lane ${o.lane}"
        is ScanResult.Duplicate -> "First scanned ${at(o.firstAtMs)}, number ${o.queueNo}"
        is ScanResult.Expired -> "Valid until ${at(o.validUntilMs)}"
        is ScanResult.NotYetValid -> "Valid from ${at(o.validFromMs)}"
        ScanResult.Revoked -> "The station revoked this pass; call a staff member"
        ScanResult.UnknownKey -> "Not issued by this station; call a staff member"
        ScanResult.Forged -> "The signature does not match: altered or made up"
        is ScanResult.Unreadable -> o.reason
        is ScanResult.InOpenTube -> "Tube ${o.tubeCode}"
    }
    override val tubesTitle = "Pooled tubes"
    override val tubeCodeLabel = "Tube code"
    override fun capacityLabel(n: Int) = "$n per tube"
    override val openTube = "Open tube"
    override val sealTube = "Seal tube"
    override fun tubeFill(code: String, members: Int, capacity: Int) = "$code: $members / $capacity"
    override val tubeSealed = "Sealed"
    override val tubeFull = "Full: seal it"
    override val scanIntoTube = "Scan a resident's pass into the tube"
    override val positiveTubes = "Positive tubes"
    override fun recallTitle(code: String) = "Tube $code: recall for retesting"
    override val closeRecall = "Close"
    override val resume = "Resume"
    override val runnerTitle = "Today's deliveries"
    override val toReturn = "To return to the station"
    override val itemsLeft = "Still held"
    override fun packageStatus(p: PackageState) = when (p) {
        PackageState.REQUESTED -> "to pack"
        PackageState.PACKED -> "packed"
        PackageState.OUT_FOR_DELIVERY -> "out for delivery"
        PackageState.DELIVERED -> "delivered"
        PackageState.PARTLY_DELIVERED -> "partly delivered"
        PackageState.FAILED -> "not delivered"
        PackageState.RETURNED -> "returned"
    }
    override val medicine = "Medicine"
    override val packageTitle = "Package"
    override val moves = "Moves"
    override val proofTitle = "Proof of handoff"
    override fun proofWay(w: ProofWay) = when (w) {
        ProofWay.PIN -> "PIN"
        ProofWay.PASS -> "Recipient's pass"
        ProofWay.SIGNATURE -> "Signature"
        ProofWay.PHOTO -> "Photo"
        ProofWay.NO_PROOF -> "No proof (say why)"
    }
    override val pinLabel = "The household's 6-digit PIN"
    override fun triesLeft(n: Int) = "Wrong PIN: $n tries left"
    override val pinLocked = "The PIN is locked: use another proof"
    override val scanRecipientPass = "Scan the recipient's pass"
    override val signHere = "Recipient signs here"
    override val clearSignature = "Clear"
    override val pickPhoto = "Choose photo"
    override val noProofReason = "Why there is no proof"
    override val deliver = "Delivered"
    override val failedTitle = "Not delivered"
    override fun failWhy(w: FailWhy) = when (w) {
        FailWhy.NOBODY_HOME -> "Nobody home"
        FailWhy.REFUSED -> "Refused"
        FailWhy.WRONG_ADDRESS -> "Wrong address"
    }
    override val returnToStation = "Return to station"
    override fun pendingUploads(n: Int) = "$n photos or signatures to upload"
    override val noteLabel = "Note"
    override val nothingToday = "No packages today"
    private val names = mapOf(
        "rice" to "Rice", "flour" to "Flour", "cooking_oil" to "Cooking oil", "vegetables" to "Vegetables", "eggs" to "Eggs",
        "infant_formula" to "Infant formula", "medicine" to "Medicine", "sanitary_products" to "Sanitary products", "care_package" to "Care package",
    )
    private fun unit(u: String, n: Long): String = when (u) {
        "kg" -> " kg"
        "litre" -> " L"
        "piece", "" -> ""
        "box" -> if (n == 1L) " box" else " boxes"
        "package" -> if (n == 1L) " package" else " packages"
        else -> if (n == 1L) " $u" else " ${u}s"
    }
    override fun itemLine(i: ItemCount): String {
        val what = if (i.name != null) listOfNotNull(i.name, i.dose).joinToString(" ") else names[i.item] ?: i.item
        return "$what ${i.quantity}${unit(i.unit, i.quantity)}"
    }
    override val partlyToggle = "Only part handed over"
    override fun handedOver(i: ItemCount) = "Handed over (of ${itemLine(i)})"
    override val deliverPart = "Partly delivered"
    override val partEmpty = "Hand over at least one thing; if nothing, record it as not delivered"
    override val atHomeTitle = "Sampling at a bedridden resident's home"
    override val homeSearchLabel = "Find the household by name or address"
    override fun atHome(address: String) = "At home: $address"
    override val backToSite = "Back to the site"
    override val noHomeFound = "This phone holds no such household (home sampling needs a phone with the grid's registry)"
}
