import DoorstepKit
import Foundation

// One state per screen for previews and screenshots, built from `Sample`'s records. They
// are compiled on Linux with the view models, so a changed state shows here first.

extension FirstRunState {
    public static var sample: FirstRunState {
        FirstRunState(server: "https://station.example.org", code: "K7WQ-3PZD", busy: false, failure: nil)
    }
}

extension SyncBarState {
    public static var sample: SyncBarState {
        SyncBarState(
            pending: 3, lastSyncAtMs: Sample.now - 600_000, running: true, progress: Sample.syncProgress,
            lastSummary: Sample.syncSummary, failure: nil, refused: Sample.refused, conflicts: Sample.conflicts,
            expanded: true)
    }
}

extension DueListState {
    public static var sample: DueListState {
        DueListState(items: Sample.dueItems, loading: false, query: "", results: nil, failure: nil)
    }
}

extension HouseholdState {
    public static var sample: HouseholdState {
        HouseholdState(
            household: Sample.household, residents: Sample.residents, needs: [Sample.need], visits: Sample.visits,
            followUps: Sample.followUps, drafts: [Sample.visitForm], edit: nil, busy: false, failure: nil)
    }
}

extension VisitState {
    public static var sample: VisitState {
        VisitState(
            form: Sample.visitForm, typed: ["days_left": "1"], refused: [:], outcome: .met, note: "", finished: nil,
            busy: false, failure: nil)
    }
}

extension NeedState {
    public static var sample: NeedState {
        NeedState(
            need: Sample.need, history: Sample.needHistory, referrals: Sample.referrals, followUps: Sample.followUps,
            note: "", target: .hospital, targetName: "", busy: false, failure: nil)
    }
}

extension MarshalState {
    public static var sample: MarshalState {
        let flags = PriorityFlags(elderly: true, disability: false, pregnancy: false, child: false)
        return MarshalState(
            site: "丽岛社区广场", lane: "2", prefix: "B", ready: true,
            today: Sample.siteDay,
            card: ScanCard(id: 3, outcome: .priority(queueNo: "B-215", lane: "2", flags: flags), atMs: Sample.now),
            recent: [
                ScanCard(id: 2, outcome: .revoked, atMs: Sample.now - 20_000),
                ScanCard(id: 1, outcome: .admitted(queueNo: "B-214", lane: "2"), atMs: Sample.now - 40_000),
            ],
            paused: true, pauseSeconds: 3, manual: "", busy: false, failure: nil)
    }
}

extension TubesState {
    public static var sample: TubesState {
        TubesState(
            site: "丽岛社区广场", lane: "2", tubes: Sample.tubes, current: Sample.tube, code: "", capacity: 10,
            lastScan: Sample.tubeScan,
            recallOf: nil, recall: [], busy: false, failure: nil)
    }
}

extension RunnerListState {
    public static var sample: RunnerListState {
        RunnerListState(day: Sample.runnerDay, loading: false, failure: nil)
    }
}

extension PackageState {
    public static var sample: PackageState {
        PackageState(
            package: Sample.package, handoffs: Sample.handoffs, pendingUploads: [], mode: .deliver, proof: .pin,
            pin: "", passText: nil, strokes: [], canvasWidth: 0, canvasHeight: 0, photo: nil, noProofReason: "",
            failReason: .nobodyHome, note: "", partial: Sample.package.items, pinTriesLeft: nil, busy: false,
            failure: nil)
    }
}
