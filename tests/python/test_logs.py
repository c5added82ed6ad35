"""Core's log lines reach a LogSink the app sets once; none carries a name or a phone."""

import doorstep as ds
import pytest


class Sink(ds.LogSink):
    def __init__(self):
        self.lines = []

    def log(self, level, target, message):
        self.lines.append((level, target, message))


def test_log_lines_reach_the_sink_once_set_and_carry_no_names(tmp_path):
    sink = Sink()
    ds.set_log_sink(sink, ds.LogLevel.DEBUG)
    with pytest.raises(ds.DoorstepError.Invalid):
        ds.set_log_sink(Sink(), ds.LogLevel.DEBUG)

    store = ds.Doorstep.open(str(tmp_path / "phone.db"), bytes(range(32)))
    csv = (
        "区域,楼栋,门牌,地址,姓名,性别,出生年份,手机,标签\n"
        "武昌区/中南路街道/丽岛社区/第3网格,3栋,201,丽岛花园,欧阳秀英,女,1941,13912345678,独居老人\n"
    )
    report = store.import_csv(csv.encode())
    assert report.residents_added == 1

    targets = {t for _, t, _ in sink.lines}
    assert "doorstep::store" in targets, sink.lines
    assert "doorstep::registry" in targets, sink.lines
    opened = [m for _, t, m in sink.lines if t == "doorstep::store" and m.startswith("store opened")]
    assert opened and "new=true" in opened[0], sink.lines
    assert all(level in (ds.LogLevel.INFO, ds.LogLevel.DEBUG) for level, _, _ in sink.lines)
    text = "\n".join(m for _, _, m in sink.lines)
    for private in ("欧阳秀英", "13912345678", "丽岛花园"):
        assert private not in text
