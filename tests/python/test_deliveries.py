"""A runner's day through the Python bindings: request -> pack -> out -> delivered, with a PIN and with a photo."""

import base64
import datetime
import hashlib

import pytest

import doorstep as ds

GRID = "武昌区/中南路街道/丽岛社区/第3网格"

# A 64x48 JPEG as a phone camera writes it: an EXIF segment with a GPS position.
CAMERA_JPEG = base64.b64decode("/9j/4QA4RXhpZgAATU0AKgAAAAgAAYglAAQAAAABAAAAGgAAAABHUFMgMzAuNTI4OE4gMTE0LjM1MDRF/+AAEEpGSUYAAQIAAAEAAQAA/8AAEQgAMABAAwERAAIRAQMRAf/bAEMADQkKCwoIDQsKCw4ODQ8TIBUTEhITJxweFyAuKTEwLiktLDM6Sj4zNkY3LC1AV0FGTE5SU1IyPlphWlBgSlFST//bAEMBDg4OExETJhUVJk81LTVPT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT//EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/EAB8BAAMBAQEBAQEBAQEAAAAAAAABAgMEBQYHCAkKC//EALURAAIBAgQEAwQHBQQEAAECdwABAgMRBAUhMQYSQVEHYXETIjKBCBRCkaGxwQkjM1LwFWJy0QoWJDThJfEXGBkaJicoKSo1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoKDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uLj5OXm5+jp6vLz9PX29/j5+v/aAAwDAQACEQMRAD8A4JYq+gcjGEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqzcjqhMlWKocjphMmWKocjphMxVirucj81hMlWKocjphMmWKocjqhMmWKocjphMmWKocjphMmWKocjphMmWKocjphMmWKocjphMxFirucj82hMmWKocjphMmWKocjphMmWKocjphMmWKs3I6YTJViqHI6oTJliqHI6YTJliqHI6YTMRYq7nI/NYTJliqHI6YTJliqHI6YTJliqHI6oTJliqHI6YTJliqHI6YTJliqHI6YTJliqHI6YTMRYq7nI/NoTJliqHI6YTJlirNyOmEyZYqhyOmEyVYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOqEzEWKu5yPzWEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOqEyZYqhyOmEyZYqhyOmEyZYqzcjphM//Z")
GPS_MARK = b"GPS 30.5288N 114.3504E"


def household(store, unit):
    grid = store.ensure_area(GRID)
    b = store.create_building(grid.id, "丽岛花园3栋")
    return grid, store.create_household(ds.NewHousehold(area_id=grid.id, building_id=b.id, address="丽岛花园3栋", unit=unit, phone=None))


def out_for_delivery(store, h, items):
    for line in items:
        store.receive_stock(line, ds.StockMoveKind.DONATION, "红十字会", None)
    created = store.create_request(ds.NewRequest(household_id=h.id, source=ds.RequestSource.MANUAL(), items=items, urgency=ds.Urgency.HIGH, notes=None))
    package = store.new_package(created.request.id, None)
    assert package.status == ds.PackageStatus.REQUESTED
    packed = store.handoff(package.id, ds.HandoffInput(to_status=ds.PackageStatus.PACKED))
    assert packed.seq == 1
    out = store.handoff(package.id, ds.HandoffInput(to_status=ds.PackageStatus.OUT_FOR_DELIVERY, to="runner-1"))
    assert out.prev_hash == packed.hash
    return created, package


def test_request_pack_out_delivered_with_pin(store):
    grid, h = household(store, "2-101")
    rice = ds.ItemLine(item="rice", quantity=5)
    insulin = ds.ItemLine(item="medicine", name="胰岛素", dose="300 IU", quantity=1)
    created, package = out_for_delivery(store, h, [rice, insulin])
    assert len(created.pin) == 6 and created.pin.isdigit()

    stops = store.runner_list("runner-1").stops
    assert [(s.building, [p.package_id for p in s.packages]) for s in stops] == [("丽岛花园3栋", [package.id])]
    assert stops[0].packages[0].medicine

    wrong = "000000" if created.pin != "000000" else "111111"
    with pytest.raises(ds.DoorstepError.ProofRefused) as e:
        store.handoff(package.id, ds.HandoffInput(to_status=ds.PackageStatus.DELIVERED, proof=ds.Proof.PIN(pin=wrong)))
    assert "4 tries left" in str(e.value)

    done = store.handoff(package.id, ds.HandoffInput(to_status=ds.PackageStatus.DELIVERED, proof=ds.Proof.PIN(pin=created.pin)))
    assert done.proof_kind == ds.ProofKind.PIN
    assert store.package(package.id).status == ds.PackageStatus.DELIVERED
    assert store.delivery_request(created.request.id).status == ds.RequestStatus.DELIVERED
    with pytest.raises(ds.DoorstepError.Conflict):
        store.handoff(package.id, ds.HandoffInput(to_status=ds.PackageStatus.DELIVERED, proof=ds.Proof.PIN(pin=created.pin)))
    report = store.verify_package(package.id)
    assert report.intact and report.steps == 3
    assert store.runner_list("runner-1").items_left == []
    assert {(l.item, l.quantity) for l in store.stock()} == {("rice", 0), ("medicine", 0)}

    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).strftime("%Y-%m-%d")
    ledger = store.delivery_ledger(grid.id, today, 480)
    assert [(c.status, c.count) for c in ledger.requests_by_status] == [(ds.RequestStatus.DELIVERED, 1)]


def test_request_pack_out_delivered_with_photo(store):
    _, h = household(store, "2-102")
    created, package = out_for_delivery(store, h, [ds.ItemLine(item="care_package", quantity=1)])
    assert GPS_MARK in CAMERA_JPEG

    with pytest.raises(ds.DoorstepError.Invalid):
        store.handoff(package.id, ds.HandoffInput(to_status=ds.PackageStatus.DELIVERED, proof=ds.Proof.PHOTO(bytes=b"not an image")))

    done = store.handoff(package.id, ds.HandoffInput(to_status=ds.PackageStatus.DELIVERED, proof=ds.Proof.PHOTO(bytes=CAMERA_JPEG), place="门口"))
    assert done.proof_kind == ds.ProofKind.PHOTO
    blob = store.blob(done.proof)
    assert blob.mime == "image/jpeg"
    assert blob.bytes[:3] == b"\xff\xd8\xff"
    assert hashlib.sha256(blob.bytes).hexdigest() == done.proof
    assert GPS_MARK not in blob.bytes and b"Exif" not in blob.bytes
    assert store.pending_blobs(10) == [done.proof]


def test_stock_shortfall_is_typed(store):
    _, h = household(store, "2-103")
    store.receive_stock(ds.ItemLine(item="flour", quantity=1), ds.StockMoveKind.PURCHASE, None, None)
    created = store.create_request(ds.NewRequest(household_id=h.id, source=ds.RequestSource.MANUAL(), items=[ds.ItemLine(item="flour", quantity=3)], urgency=ds.Urgency.NORMAL, notes=None))
    package = store.new_package(created.request.id, None)
    with pytest.raises(ds.DoorstepError.Shortfall) as e:
        store.handoff(package.id, ds.HandoffInput(to_status=ds.PackageStatus.PACKED))
    assert "short by 2" in str(e.value)
    with pytest.raises(ds.DoorstepError.Invalid):
        store.create_request(ds.NewRequest(household_id=h.id, source=ds.RequestSource.MANUAL(), items=[ds.ItemLine(item="flour", quantity=-1)], urgency=ds.Urgency.NORMAL, notes=None))
