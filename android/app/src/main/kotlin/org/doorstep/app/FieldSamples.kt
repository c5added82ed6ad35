package org.doorstep.app

import org.doorstep.app.marshal.HomeStop
import org.doorstep.app.marshal.MarshalState
import org.doorstep.app.marshal.ScanCard
import org.doorstep.app.marshal.TubesState
import org.doorstep.app.runner.HandoffState
import org.doorstep.app.runner.RunnerListState
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.ItemCount
import org.doorstep.sdk.PackageInfo
import org.doorstep.sdk.PackageMove
import org.doorstep.sdk.PackageState
import org.doorstep.sdk.ProofWay
import org.doorstep.sdk.RecallEntry
import org.doorstep.sdk.RunnerDay
import org.doorstep.sdk.RunnerItem
import org.doorstep.sdk.RunnerStopInfo
import org.doorstep.sdk.ScanResult
import org.doorstep.sdk.SiteDay
import org.doorstep.sdk.TubeInfo
import org.doorstep.sdk.TubeOutcome
import org.doorstep.sdk.TubeScanResult
import org.doorstep.sdk.Urgency

/** Sample states of the marshal's and the runner's screens, for the screenshots. */
object FieldSamples {
    private const val NOW = Samples.NOW
    private const val SITE = "丽岛社区核酸点"

    /** Every outcome a card shows, by the name its screenshot takes. */
    val outcomes: List<Pair<String, ScanResult>> = listOf(
        "admitted" to ScanResult.Admitted("A-127", "2"),
        "priority" to ScanResult.Priority("A-128", "P"),
        "duplicate" to ScanResult.Duplicate(NOW - 25 * 60_000, "A-097"),
        "expired" to ScanResult.Expired(NOW - 86_400_000),
        "not-yet-valid" to ScanResult.NotYetValid(NOW + 86_400_000),
        "revoked" to ScanResult.Revoked,
        "unknown-key" to ScanResult.UnknownKey,
        "forged" to ScanResult.Forged,
        "unreadable" to ScanResult.Unreadable("no DS1: prefix"),
        "in-open-tube" to ScanResult.InOpenTube("T-0031"),
    )

    val marshalSetUp = MarshalState(SITE, "2", false, null, null, emptyList(), false, 3, "", false, null)

    /** The scanner paused on [o], with a few outcomes before it. */
    fun marshal(o: ScanResult) = marshalSetUp.copy(
        ready = true,
        today = SiteDay("2026-03-08", 214, 209),
        card = ScanCard(5, o, NOW),
        recent = listOf(
            ScanCard(4, ScanResult.Admitted("A-126", "2"), NOW - 40_000),
            ScanCard(3, ScanResult.Duplicate(NOW - 600_000, "A-101"), NOW - 80_000),
            ScanCard(2, ScanResult.Admitted("A-125", "2"), NOW - 120_000),
        ),
        paused = true,
    )

    private val filling = TubeInfo("t2", "T-0032", SITE, 10, 7, false, TubeOutcome.PENDING, NOW - 600_000)
    private val positive = TubeInfo("t1", "T-0031", SITE, 10, 10, true, TubeOutcome.POSITIVE, NOW - 7_200_000)
    val tubes = TubesState(
        SITE, "2", listOf(filling, positive), filling, "", 10,
        TubeScanResult(ScanResult.Admitted("A-127", "2"), true, filling), null, emptyList(), true, null, "", emptyList(), false, null,
    )

    /** Door to door: the tube at a bedridden resident's home. */
    val tubesAtHome = tubes.copy(home = HomeStop("h7", "丽岛花园7栋 3-401"), lastScan = TubeScanResult(ScanResult.Priority("A-129", "home"), true, filling))
    val tubesRecall = tubes.copy(
        current = null, lastScan = null, recallOf = positive,
        recall = listOf(
            RecallEntry("r1", "王秀英", "丽岛花园3栋", "201", NOW - 7_000_000, "A-031"),
            RecallEntry("r2", "李建国", "丽岛花园5栋", "302", NOW - 6_900_000, "A-032"),
            RecallEntry("r3", "陈婷", "丽岛花园1栋", "104", NOW - 6_800_000, "A-033"),
        ),
    )

    private val rice = ItemCount("rice", null, null, 5, "kg")
    private val insulin = ItemCount("medicine", "胰岛素", "300 IU", 1, "box")
    private val vegetables = ItemCount("vegetables", null, null, 2, "kg")
    private fun item(id: String, unit: String, address: String, u: Urgency, medicine: Boolean, items: List<ItemCount>, st: PackageState = PackageState.OUT_FOR_DELIVERY) =
        RunnerItem(id, "q$id", "h$id", unit, address, u, medicine, st, items)

    val runnerList = RunnerListState(
        RunnerDay(
            listOf(
                RunnerStopInfo("丽岛花园3栋", listOf(
                    item("1", "1-201", "丽岛花园3栋", Urgency.CRITICAL, true, listOf(insulin)),
                    item("2", "2-502", "丽岛花园3栋", Urgency.NORMAL, false, listOf(rice)),
                )),
                RunnerStopInfo("丽岛花园5栋", listOf(item("3", "1-302", "丽岛花园5栋", Urgency.HIGH, false, listOf(rice, vegetables)))),
            ),
            listOf(item("4", "2-101", "丽岛花园7栋", Urgency.NORMAL, false, listOf(rice), PackageState.FAILED)),
            listOf(rice.copy(quantity = 15), insulin, vegetables),
        ),
        false, null,
    )

    private val pkg = PackageInfo("1", "q1", "h1", "丽岛花园3栋", "1-201", Urgency.CRITICAL, true, listOf(insulin, rice), PackageState.OUT_FOR_DELIVERY, null, "老人独居，耳背，敲门要用力")
    private val moves = listOf(
        PackageMove(1, PackageState.PACKED, NOW - 3_600_000, null, null, null, null),
        PackageMove(2, PackageState.OUT_FOR_DELIVERY, NOW - 1_800_000, null, null, null, null),
    )
    val handoff = HandoffState(pkg, moves, ProofWay.PIN, "", "", emptyList(), 0, 0, null, "", "", null, 0, false, listOf(1L, 5L), false, null)
    val handoffWrongPin = handoff.copy(pin = "123456", triesLeft = 3, failure = DoorstepFailure.Refused("wrong PIN: 3 tries left"))
    val handoffSignature = handoff.copy(
        way = ProofWay.SIGNATURE, padW = 640, padH = 360,
        strokes = listOf(
            listOf(40f to 200f, 90f to 120f, 140f to 230f, 190f to 110f, 240f to 220f),
            listOf(300f to 150f, 380f to 160f, 460f to 140f, 560f to 170f),
        ),
    )
    /** Only part handed over: the insulin, and 3 of the 5 kg of rice. */
    val handoffPartial = handoff.copy(pin = "482913", partial = true, given = listOf(1L, 3L))
    val handoffDone = handoff.copy(
        pkg = pkg.copy(status = PackageState.DELIVERED),
        moves = moves + PackageMove(3, PackageState.DELIVERED, NOW, ProofWay.SIGNATURE, "9f2c…", null, null),
        pendingUploads = 1,
    )
}
