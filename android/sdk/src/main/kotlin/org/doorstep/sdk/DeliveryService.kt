package org.doorstep.sdk

import org.doorstep.core.model.FailReason
import org.doorstep.core.model.HandoffInput
import org.doorstep.core.model.ItemLine
import org.doorstep.core.model.PackageStatus
import org.doorstep.core.model.Proof
import org.doorstep.core.model.ProofKind
import org.doorstep.core.model.RunnerPackage
import org.doorstep.core.model.SignaturePoint
import org.doorstep.core.model.SignatureStroke

/** The runner's packages and their handoffs. The core checks every proof. */
class DeliveryService internal constructor(private val s: DoorstepServices) {
    /** Each catalogue code's unit, read from the core once (the catalogue is built in). */
    @Volatile
    private var units: Map<String, String>? = null

    private fun unitsOf(d: org.doorstep.core.Doorstep): Map<String, String> =
        units ?: d.itemCatalogue().associate { it.code to it.unit }.also { units = it }

    private fun ItemLine.toApp(d: org.doorstep.core.Doorstep) = ItemCount(item, name, dose, quantity, unitsOf(d)[item].orEmpty())

    private fun RunnerPackage.toApp(d: org.doorstep.core.Doorstep) = RunnerItem(
        packageId, requestId, householdId, unit, address, Urgency.valueOf(urgency.name), medicine,
        PackageState.valueOf(status.name), items.map { it.toApp(d) },
    )

    /** [runner]'s walking route by building and unit, urgent and medicine first. */
    suspend fun runnerList(runner: String): RunnerDay = s.call { d ->
        val l = d.runnerList(runner)
        RunnerDay(
            l.stops.map { st -> RunnerStopInfo(st.building, st.packages.map { it.toApp(d) }) },
            l.toReturn.map { it.toApp(d) },
            l.itemsLeft.map { it.toApp(d) },
        )
    }

    /** A package with its household's address and the request's notes. */
    suspend fun pkg(id: String): PackageInfo = s.call { d ->
        val p = d.`package`(id)
        val notes = d.deliveryRequest(p.requestId).notes
        PackageInfo(
            p.id, p.requestId, p.householdId, p.address, p.unit, Urgency.valueOf(p.urgency.name), p.medicine,
            p.items.map { it.toApp(d) }, PackageState.valueOf(p.status.name), p.reason?.let { FailWhy.valueOf(it.name) }, notes,
        )
    }

    /** The package's moves so far, oldest first. */
    suspend fun moves(packageId: String): List<PackageMove> = s.call { d ->
        d.handoffs(packageId).map { h ->
            PackageMove(
                h.seq.toInt(), PackageState.valueOf(h.status.name), h.atMs, h.proofKind?.toApp(), h.proof,
                h.reason?.let { FailWhy.valueOf(it.name) }, h.note,
            )
        }
    }

    /** Wrong PINs the household's PIN still takes before it locks (0: locked). */
    suspend fun pinTriesLeft(requestId: String): Int = s.call { it.pinTriesLeft(requestId).toInt() }

    /**
     * Delivers a package (all of it, or only [items] for a partial delivery) with one proof.
     * A refused proof records nothing and fails with [DoorstepFailure.Refused].
     */
    suspend fun deliver(packageId: String, proof: HandoffProof, items: List<ItemCount>? = null, place: String? = null): PackageMove =
        move(
            packageId,
            HandoffInput(
                toStatus = if (items == null) PackageStatus.DELIVERED else PackageStatus.PARTLY_DELIVERED,
                items = items?.map { it.toFfi() },
                proof = proof.toFfi(),
                place = place,
            ),
        )

    /** Records a failed delivery with its reason; the core reopens the need behind it. */
    suspend fun fail(packageId: String, why: FailWhy, note: String?): PackageMove =
        move(packageId, HandoffInput(toStatus = PackageStatus.FAILED, reason = FailReason.valueOf(why.name), note = note))

    /** Hands a package back to the station. */
    suspend fun returned(packageId: String, note: String?): PackageMove =
        move(packageId, HandoffInput(toStatus = PackageStatus.RETURNED, note = note))

    /** A stored photo or signature (its MIME type and bytes) by hash. */
    suspend fun blob(hash: String): Pair<String, ByteArray> = s.call { d -> d.blob(hash).let { it.mime to it.bytes } }

    /** Hashes of photos and signatures not yet uploaded: shown as pending. */
    suspend fun pendingBlobs(): List<String> = s.call { it.pendingBlobs(1000u) }

    private suspend fun move(packageId: String, input: HandoffInput): PackageMove = s.call { d ->
        val h = d.handoff(packageId, input)
        PackageMove(h.seq.toInt(), PackageState.valueOf(h.status.name), h.atMs, h.proofKind?.toApp(), h.proof, h.reason?.let { FailWhy.valueOf(it.name) }, h.note)
    }.also { s.sync.wrote() }
}

private fun ProofKind.toApp() = when (this) {
    ProofKind.PASS -> ProofWay.PASS
    ProofKind.PIN -> ProofWay.PIN
    ProofKind.SIGNATURE -> ProofWay.SIGNATURE
    ProofKind.PHOTO -> ProofWay.PHOTO
    ProofKind.NO_PROOF -> ProofWay.NO_PROOF
}

private fun HandoffProof.toFfi(): Proof = when (this) {
    is HandoffProof.Pin -> Proof.Pin(pin)
    is HandoffProof.Pass -> Proof.Pass(text)
    is HandoffProof.Photo -> Proof.Photo(bytes)
    is HandoffProof.NoProof -> Proof.NoProof(reason)
    is HandoffProof.Drawn -> Proof.Signature(
        signature.width.toUInt(), signature.height.toUInt(),
        signature.strokes.map { st -> SignatureStroke(st.map { (x, y) -> SignaturePoint(x, y) }) },
    )
}

private fun ItemCount.toFfi() = ItemLine(item = item, name = name, dose = dose, quantity = quantity)
