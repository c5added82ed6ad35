"""A testing site's hour through the Python bindings: the station issues passes, a
marshal's phone (holding only the trust list) scans them, pools residents into a tube,
and a positive tube gives the residents to recall."""

import time

import pytest

import doorstep as ds
from conftest import KEY

SITE = "丽岛社区核酸点"
DAY_MS = 86_400_000


def now_ms():
    return int(time.time() * 1000)


def household(store, area, building, unit):
    return store.create_household(
        ds.NewHousehold(area_id=area.id, building_id=building.id, address="丽岛花园", unit=unit, phone=None)
    )


def resident(store, h, name, birth_year, tags=()):
    return store.create_resident(
        ds.NewResident(household_id=h.id, name=name, sex=ds.Sex.FEMALE, birth_year=birth_year, phone=None, tags=list(tags), notes=None)
    )


def test_issue_render_scan_and_pool(store, tmp_path):
    # The station: a registry, a signing key, passes.
    grid = store.ensure_area("武昌区/中南路街道/丽岛社区/第1网格")
    b3 = store.create_building(grid.id, "3栋")
    h201 = household(store, grid, b3, "201")
    h202 = household(store, grid, b3, "202")
    zhang = resident(store, h201, "张伟", 1980)
    wang = resident(store, h202, "王秀英", 1941, [ds.Tag.ELDERLY_ALONE()])
    key = store.new_signing_key()
    assert key.can_sign and len(key.key_id) == 8
    start = now_ms() - 3_600_000
    p_zhang = store.issue_pass(zhang.id, start, start + 7 * DAY_MS)
    p_wang = store.issue_pass(wang.id, start, start + 7 * DAY_MS)
    assert p_zhang.text.startswith("DS1:") and len(p_zhang.text) == 145
    assert p_wang.priority == ds.PriorityFlags(elderly=True, disability=False, pregnancy=False, child=False)

    # The marshal's phone gets the public key only (as sync would bring it).
    marshal = ds.Doorstep.open(str(tmp_path / "marshal.db"), KEY)
    assert marshal.set_queue_prefix("b") == "B"
    marshal.trust_key(key.public_key, key.valid_from_ms)
    assert not marshal.trusted_keys()[0].can_sign
    with pytest.raises(ds.DoorstepError.Conflict):
        marshal.issue_pass(zhang.id, start, start + DAY_MS)

    # A phone camera reads the pass off a PNG.
    png = store.pass_png(p_zhang.text, 8)
    assert png[:4] == b"\x89PNG"
    read = marshal.decode_qr_image(png)
    assert read == p_zhang.text
    assert "<svg" in store.pass_svg(p_zhang.text)

    admitted = marshal.scan(read, SITE, "1")
    assert admitted == ds.ScanOutcome.ADMITTED(queue_no="B-001", lane="1")
    dup = marshal.scan(read, SITE, "1")
    assert isinstance(dup, ds.ScanOutcome.DUPLICATE) and dup.queue_no == "B-001"
    elder = marshal.scan_image(store.pass_png(p_wang.text, 4), SITE, "1")
    assert isinstance(elder, ds.ScanOutcome.PRIORITY) and elder.lane == "priority"
    bad = marshal.scan("https://example.com", SITE, "1")
    assert isinstance(bad, ds.ScanOutcome.UNREADABLE) and "DS1:" in bad.reason
    forged = marshal.scan(p_zhang.text[:-3] + ("AAA" if not p_zhang.text.endswith("AAA") else "BBB"), SITE, "1")
    assert isinstance(forged, (ds.ScanOutcome.FORGED, ds.ScanOutcome.UNREADABLE))
    trail = marshal.check_ins(SITE, marshal.checkin_day())
    assert [c.outcome.__class__ for c in trail][:3] == [ds.ScanOutcome.ADMITTED, ds.ScanOutcome.DUPLICATE, ds.ScanOutcome.PRIORITY]
    assert len(trail) == 5

    # Revocation reaches the phone and refuses the pass.
    store.revoke_pass(p_wang.pass_id, "phone lost")
    marshal.trust_key(key.public_key, key.valid_from_ms)  # idempotent
    assert isinstance(store.scan(p_wang.text, "紫阳公园核酸点", "2"), ds.ScanOutcome.REVOKED)

    # Pooled sampling at the station: scan the tube, then the residents; seal; result.
    tube = store.open_tube("T-0001", SITE, 2)
    assert (tube.capacity, tube.status) == (2, ds.TubeStatus.OPEN)
    first = store.tube_scan(tube.id, p_zhang.text, "1")
    assert first.added and first.tube.members == 1
    p_wang2 = store.issue_pass(wang.id, start, start + DAY_MS)
    assert store.tube_scan(tube.id, p_wang2.text, "1").added
    with pytest.raises(ds.DoorstepError.Conflict):
        store.tube_scan(tube.id, p_wang2.text, "1")  # full
    sealed = store.seal_tube(tube.id)
    assert sealed.status == ds.TubeStatus.SEALED
    store.set_tube_result(tube.id, ds.TubeResult.POSITIVE)
    recall = store.tube_recall(tube.id)
    assert sorted(r.resident.name for r in recall) == ["张伟", "王秀英"]
    assert {r.household.unit for r in recall} == {"201", "202"}


def test_print_a_sheet_for_a_building(store):
    grid = store.ensure_area("武昌区/中南路街道/丽岛社区/第2网格")
    b5 = store.create_building(grid.id, "5栋")
    for unit in ("101", "102", "201"):
        h = household(store, grid, b5, unit)
        resident(store, h, "居民" + unit, 1990)
    with pytest.raises(ds.DoorstepError.Conflict):
        store.pass_sheet(ds.SheetFilter(building_id=b5.id), now_ms(), now_ms() + DAY_MS)
    store.new_signing_key()
    sheet = store.pass_sheet(ds.SheetFilter(building_id=b5.id), now_ms(), now_ms() + DAY_MS)
    assert sheet.pdf[:5] == b"%PDF-"
    assert len(sheet.passes) == 3
    assert b"/STSong-Light" in sheet.pdf
    with pytest.raises(ds.DoorstepError.Invalid):
        store.pass_sheet(ds.SheetFilter(), now_ms(), now_ms() + DAY_MS)
