"""Sync through the Python bindings: two phones enrol with a real station server
(started by tests/with-server.sh), one writes, the other receives it."""

import asyncio
import os

import pytest

import doorstep as ds
from conftest import KEY

GRID = "武昌区/中南路街道/丽岛社区/第1网格"


def server_and_codes():
    server = os.environ.get("DOORSTEP_TEST_SERVER")
    codes = os.environ.get("DOORSTEP_TEST_CODES", "").split(",")
    assert server, "DOORSTEP_TEST_SERVER is not set: run through tests/with-server.sh (tests/python/run.sh does)"
    return server, codes


class Progress(ds.SyncProgress):
    def __init__(self):
        self.seen = []

    def progress(self, stage, done, total):
        self.seen.append((stage, done, total))


def test_two_phones_sync_through_the_server(tmp_path):
    server, codes = server_and_codes()
    a = ds.Doorstep.open(str(tmp_path / "a.db"), KEY)
    b = ds.Doorstep.open(str(tmp_path / "b.db"), KEY)
    ea = asyncio.run(a.enrol(server, codes[0]))
    assert ea.role == ds.Role.SOCIAL_WORKER and ea.areas == [GRID] and ea.user == "worker1"
    asyncio.run(b.enrol(server, codes[1]))

    area = a.ensure_area(GRID)
    h = a.create_household(ds.NewHousehold(area_id=area.id, building_id=None, address="丽岛花园3栋", unit="201", phone=None))
    a.create_resident(
        ds.NewResident(household_id=h.id, name="张伟", sex=ds.Sex.MALE, birth_year=1950, phone=None, tags=[], notes=None)
    )
    other = a.ensure_area("武昌区/中南路街道/丽岛社区/第2网格")
    a.create_household(ds.NewHousehold(area_id=other.id, building_id=None, address="别处", unit=None, phone=None))

    progress = Progress()
    report = asyncio.run(a.sync(progress))
    assert report.pending == 0
    assert report.rejected == 2, "the other grid and its household are refused"
    assert {r.code for r in a.rejected_ops()} == {"out_of_scope"}
    assert any(s[0] == ds.SyncStage.PUSH for s in progress.seen)
    assert progress.seen[-1][0] == ds.SyncStage.DONE

    # Cancelled at its first progress report: it stops with Cancelled at its next
    # request, and the next sync finishes the job.
    handle = ds.CancelHandle()

    class CancelFirst(ds.SyncProgress):
        def progress(self, stage, done, total):
            handle.cancel()

    with pytest.raises(ds.DoorstepError.Cancelled):
        asyncio.run(b.sync(CancelFirst(), handle))
    assert handle.is_cancelled()
    asyncio.run(b.sync(None))
    names = [r.name for r in b.residents_of(h.id)]
    assert names == ["张伟"]
    assert b.conflicts(False) == []


def test_a_used_code_is_refused(tmp_path):
    server, codes = server_and_codes()
    admin = ds.Doorstep.open(str(tmp_path / "admin.db"), KEY)
    assert asyncio.run(admin.enrol(server, codes[2])).role == ds.Role.STATION_ADMIN
    c = ds.Doorstep.open(str(tmp_path / "c.db"), KEY)
    with pytest.raises(ds.DoorstepError.Unauthorized) as e:
        asyncio.run(c.enrol(server, codes[2]))
    assert "enrolment_code_used" in str(e.value)
    assert c.enrolment() is None
    with pytest.raises(ds.DoorstepError.Invalid):
        asyncio.run(c.sync(None))
