"""The registry through the generated Python bindings and the real cdylib."""

import pytest

import doorstep as ds
from conftest import KEY

CSV = """区域,楼栋,门牌,地址,姓名,性别,出生年份,手机,标签
武昌区/中南路街道/丽岛社区/第1网格,3栋,201,丽岛花园,张伟,男,1950,13800000001,独居老人
武昌区/中南路街道/丽岛社区/第1网格,3栋,201,丽岛花园,李秀兰,女,1952,,慢性病
武昌区/中南路街道/丽岛社区/第2网格,5栋,502,丽岛花园,单丽,女,1988,13912345678,孕产妇
武昌区/中南路街道/丽岛社区/第2网格,5栋,503,丽岛花园,,女,1990,,
"""


def test_open_create_and_reopen(db_path):
    d = ds.Doorstep.open(db_path, KEY)
    area = d.ensure_area("武昌区/中南路街道/丽岛社区/第3网格")
    assert area.level == ds.AreaLevel.GRID
    building = d.create_building(area.id, "7栋")
    h = d.create_household(
        ds.NewHousehold(area_id=area.id, building_id=building.id, address="紫阳路8号", unit="302", phone=None)
    )
    r = d.create_resident(
        ds.NewResident(
            household_id=h.id,
            name="王秀英",
            sex=ds.Sex.FEMALE,
            birth_year=1941,
            phone="139-0000-1111",
            tags=[ds.Tag.ELDERLY_ALONE(), ds.Tag.CUSTOM(name="需轮椅")],
            notes="女儿在外地",
        )
    )
    assert r.phone == "13900001111"
    assert d.pending_op_count() == 7  # 4 areas, building, household, resident
    del d
    again = ds.Doorstep.open(db_path, KEY)
    got = again.get_resident(r.id)
    assert got.name == "王秀英"
    assert got.tags == [ds.Tag.ELDERLY_ALONE(), ds.Tag.CUSTOM(name="需轮椅")]


def test_wrong_key_is_typed(db_path):
    ds.Doorstep.open(db_path, KEY)
    with pytest.raises(ds.DoorstepError.WrongKey):
        ds.Doorstep.open(db_path, bytes(32))


def test_bad_key_length_and_not_a_database(tmp_path):
    with pytest.raises(ds.DoorstepError.Invalid) as e:
        ds.Doorstep.open(str(tmp_path / "x.db"), b"short")
    assert "32 bytes" in str(e.value)
    text = tmp_path / "notes.txt"
    text.write_text("这不是数据库\n" * 100, encoding="utf-8")
    with pytest.raises(ds.DoorstepError.NotADatabase):
        ds.Doorstep.open(str(text), KEY)


def test_import_csv_and_search_in_pinyin(store):
    report = store.import_csv(CSV.encode("gbk"))
    assert (report.households_added, report.residents_added) == (2, 3)
    assert [(e.line, e.column) for e in report.errors] == [(5, "姓名")]
    assert (report.rows, report.rows_refused, report.error_count, report.refused_whole) == (4, 1, 1, False)
    hits = store.search(ds.SearchQuery(text="zw", area_id=None, tag=None, limit=10))
    assert [h.resident.name for h in hits] == ["张伟"]
    assert "丽岛花园" in hits[0].address
    assert [h.resident.name for h in store.search(ds.SearchQuery(text="shanli", area_id=None, tag=None, limit=10))] == ["单丽"]
    assert [h.resident.name for h in store.search(ds.SearchQuery(text="5678", area_id=None, tag=None, limit=10))] == ["单丽"]
    elderly = store.search(ds.SearchQuery(text="", area_id=None, tag=ds.Tag.ELDERLY_ALONE(), limit=10))
    assert [h.resident.name for h in elderly] == ["张伟"]
    again = store.import_csv(CSV.encode("utf-8-sig"))
    assert (again.households_added, again.residents_added, again.unchanged) == (0, 0, 3)


def test_a_sheet_with_house_numbers_and_crlf_lines(store):
    sheet = "街道,社区,网格,楼栋,单元,门牌号,姓名,性别,出生年份\r\n" + "".join(
        f"中南路街道,丽岛社区,第3网格,3栋,{e},{r},居民{e}{r},女,1950\r\n" for e in (1, 2) for r in (101, 102)
    ) + "中南路街道,丽岛社区,第3网格,3栋,1,103,,女,1950\r\n"
    report = store.import_csv(sheet.encode("gbk"))
    assert (report.households_added, report.residents_added) == (4, 4)
    assert [(e.line, e.column) for e in report.errors] == [(6, "姓名")]
    hit = store.search(ds.SearchQuery(text="居民2102", area_id=None, tag=None, limit=10))[0]
    assert hit.address == "3栋2单元102室"
    with pytest.raises(ds.DoorstepError.Invalid) as e:
        store.import_csv(b"")
    assert "empty" in str(e.value)


def test_typed_errors_for_bad_records(store):
    with pytest.raises(ds.DoorstepError.NotFound):
        store.get_resident("no-such-id")
    area = store.ensure_area("区/街道")
    h = store.create_household(ds.NewHousehold(area_id=area.id, building_id=None, address="1号", unit=None, phone=None))
    bad = ds.NewResident(household_id=h.id, name="李四", sex=ds.Sex.MALE, birth_year=2999, phone=None, tags=[], notes=None)
    with pytest.raises(ds.DoorstepError.Invalid) as e:
        store.create_resident(bad)
    assert "birth_year 2999 is in the future" in str(e.value)
    assert store.residents_of(h.id) == []


def test_update_move_delete(store):
    area = store.ensure_area("区/街道/社区/网格")
    a = store.create_household(ds.NewHousehold(area_id=area.id, building_id=None, address="1号", unit=None, phone=None))
    b = store.create_household(ds.NewHousehold(area_id=area.id, building_id=None, address="2号", unit=None, phone=None))
    r = store.create_resident(ds.NewResident(household_id=a.id, name="刘洋", sex=ds.Sex.MALE, birth_year=None, phone=None, tags=[], notes=None))
    r = store.update_resident(r.id, ds.ResidentPatch(tags=[ds.Tag.STRANDED()]))
    assert r.tags == [ds.Tag.STRANDED()]
    r = store.move_resident(r.id, b.id)
    assert [x.id for x in store.residents_of(b.id)] == [r.id]
    store.delete_resident(r.id)
    with pytest.raises(ds.DoorstepError.NotFound):
        store.get_resident(r.id)
