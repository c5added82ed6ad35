import Foundation

/// Records as the services would return them, for previews and screenshots: one grid's
/// afternoon. Nothing here reaches a store.
public enum Sample {
    /// A fixed afternoon (2022-04-12 15:00 in Wuhan), so previews do not move.
    public static let now: Int64 = 1_649_746_800_000
    static let day: Int64 = 86_400_000

    public static var household: HouseholdInfo {
        HouseholdInfo(id: "h1", areaId: "a1", address: "丽岛花园6栋", unit: "301", phone: "027-8765 4321")
    }

    public static var residents: [ResidentInfo] {
        [
            ResidentInfo(
                id: "r1", householdId: "h1", name: "孙桂英", sex: .female, birthYear: 1939, phone: nil,
                tags: [.elderlyAlone, .chronicIllness], notes: "耳背，敲门要用力"),
            ResidentInfo(
                id: "r2", householdId: "h1", name: "孙小明", sex: .male, birthYear: 2012, phone: nil,
                tags: [.childInHardship], notes: nil),
        ]
    }

    public static var dueItems: [DueItem] {
        [
            DueItem(
                rank: 1, tier: .life, householdId: "h1", residentId: "r1", name: "孙桂英", address: "丽岛花园6栋 301",
                tags: [.elderlyAlone], lastContactAtMs: now - 3 * day,
                reasons: [.lifeNeed(category: .medicine, urgency: .critical, runsOutAtMs: now + day)]),
            DueItem(
                rank: 2, tier: .vulnerable, householdId: "h2", residentId: "r3", name: "李建国", address: "丽岛花园7栋 502",
                tags: [.disability], lastContactAtMs: now - 8 * day,
                reasons: [.openNeeds(count: 2, topUrgency: .high), .visitOverdue(overdueMs: day)]),
            DueItem(
                rank: 3, tier: .neverVisited, householdId: "h3", residentId: nil, name: nil, address: "丽岛花园8栋 101",
                tags: [], lastContactAtMs: nil, reasons: [.neverVisited(attempts: 1)]),
        ]
    }

    public static var searchResults: [SearchResult] {
        [SearchResult(residentId: "r1", householdId: "h1", name: "孙桂英", address: "丽岛花园6栋 301", tags: [.elderlyAlone])]
    }

    public static var need: NeedInfo {
        NeedInfo(
            id: "n1", householdId: "h1", residentId: "r1", category: .medicine, urgency: .critical,
            details: "降压药只剩一天", drug: "氨氯地平 5 mg", runsOutAtMs: now + day, status: .open, raisedAtMs: now - 3_600_000)
    }

    public static var needHistory: [NeedChange] {
        [NeedChange(from: nil, to: .open, note: nil, atMs: now - 3_600_000, by: "worker1")]
    }

    public static var referrals: [ReferralInfo] {
        [ReferralInfo(
            id: "f1", needId: "n1", target: .hospital, targetName: "武昌医院", note: nil, status: .sent,
            createdAtMs: now - 1_800_000)]
    }

    public static var followUps: [FollowUpInfo] {
        [FollowUpInfo(id: "u1", residentId: "r1", dueAtMs: now + 3 * day, note: "确认药已送到", done: false, cancelled: false)]
    }

    public static var visits: [VisitSummary] {
        [VisitSummary(id: "v0", residentId: "r1", outcome: .met, note: "精神不错", finishedAtMs: now - 7 * day, worker: "worker1")]
    }

    /// A checklist half filled in: one answer hides a question, one is refused.
    public static var visitForm: VisitForm {
        let yes = Choice(id: "yes", label: Label(zhHans: "是", en: "Yes"))
        let fair = Choice(id: "fair", label: Label(zhHans: "一般", en: "Fair"))
        return VisitForm(
            visitId: "v1", householdId: "h1", residentId: "r1",
            title: Label(zhHans: "独居老人走访", en: "Elderly living alone"), startedAtMs: now - 600_000,
            questions: [
                ShownQuestion(
                    question: Question(id: "seen_safe", label: Label(zhHans: "本人见到且安全", en: "Seen and safe"),
                                       kind: .yesNo, required: true),
                    answer: .yesNo(true)),
                ShownQuestion(
                    question: Question(id: "health", label: Label(zhHans: "健康状况", en: "Health"),
                                       kind: .single(options: [yes, fair]), required: true),
                    answer: .single("fair")),
                ShownQuestion(
                    question: Question(id: "days_left", label: Label(zhHans: "药还够几天", en: "Days of medicine left"),
                                       kind: .number(min: 0, max: 90, integer: true, unit: Label(zhHans: "天", en: "days")),
                                       required: false),
                    answer: nil),
            ],
            issues: [AnswerIssue(questionId: "mood", problem: .missing, detail: "mood is required")])
    }

    public static var tube: TubeInfo {
        TubeInfo(
            id: "t1", code: "T-0042", site: "丽岛社区广场", capacity: 10, members: 7, status: .open, result: .pending,
            openedAtMs: now - 900_000, sealedAtMs: nil)
    }

    public static var tubes: [TubeInfo] {
        [tube, TubeInfo(
            id: "t0", code: "T-0041", site: "丽岛社区广场", capacity: 10, members: 10, status: .sealed, result: .positive,
            openedAtMs: now - 2 * day, sealedAtMs: now - 2 * day + 1_200_000)]
    }

    public static var siteDay: SiteDay { SiteDay(day: "2022-04-12", scans: 214, admitted: 209) }

    public static var tubeScan: TubeScanResult {
        TubeScanResult(outcome: .admitted(queueNo: "B-215", lane: "2"), added: true, tube: tube)
    }

    public static var recall: [RecallEntry] {
        [RecallEntry(name: "孙桂英", address: "丽岛花园6栋 301", phone: "027-8765 4321", sampledAtMs: now - 2 * day, queueNo: "A-017")]
    }

    public static var runnerPackages: [RunnerPackage] {
        [
            RunnerPackage(
                packageId: "p1", requestId: "q1", householdId: "h1", unit: "301", address: "丽岛花园6栋", urgency: .critical,
                medicine: true, status: .outForDelivery,
                items: [ItemLine(item: "medicine", name: "氨氯地平", dose: "5 mg", quantity: 2)]),
            RunnerPackage(
                packageId: "p2", requestId: "q2", householdId: "h4", unit: "502", address: "丽岛花园6栋", urgency: .normal,
                medicine: false, status: .outForDelivery,
                items: [ItemLine(item: "rice", quantity: 5), ItemLine(item: "cooking_oil", quantity: 1)]),
        ]
    }

    public static var runnerDay: RunnerDay {
        RunnerDay(
            stops: [RunnerStop(building: "丽岛花园6栋", packages: runnerPackages)],
            toReturn: [],
            itemsLeft: [ItemLine(item: "rice", quantity: 5)])
    }

    public static var package: PackageInfo {
        let p = runnerPackages[1]
        return PackageInfo(
            id: p.packageId, requestId: p.requestId, householdId: p.householdId, address: p.address,
            building: "6栋", unit: p.unit, urgency: p.urgency, medicine: p.medicine, items: p.items, delivered: [],
            status: p.status, runner: "runner1", reason: nil, notes: "老人腿脚不便，请送到门口")
    }

    public static var handoffs: [HandoffInfo] {
        [HandoffInfo(
            id: "o1", seq: 1, status: .outForDelivery, from: "station", to: "runner1", atMs: now - 3_600_000,
            items: package.items, proofKind: nil, proof: nil, reason: nil, note: nil)]
    }

    public static var syncProgress: SyncProgress { SyncProgress(stage: .push, done: 40, total: 120) }

    public static var syncSummary: SyncSummary {
        SyncSummary(pulled: 12, pushed: 40, accepted: 39, rejected: 1, conflicts: 1, pending: 0)
    }

    public static var refused: [RefusedChange] {
        [RefusedChange(opId: "op1", entity: "visit", code: "out_of_scope", reason: "grid 第2网格 is not this phone's")]
    }

    public static var conflicts: [ConflictToReview] {
        [ConflictToReview(id: 1, entity: "resident", field: "phone", kept: "13800000001", lost: "13800000002")]
    }
}
