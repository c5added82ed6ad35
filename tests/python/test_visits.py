"""A social worker's round through the Python bindings: due list -> visit -> need -> referral."""

import datetime
import json

import pytest

import doorstep as ds

GRID = "武昌区/中南路街道/丽岛社区/第3网格"


def resident(store, area, address, name, tags):
    h = store.create_household(ds.NewHousehold(area_id=area.id, building_id=None, address=address, unit=None, phone=None))
    return store.create_resident(
        ds.NewResident(household_id=h.id, name=name, sex=ds.Sex.FEMALE, birth_year=1941, phone=None, tags=tags, notes=None)
    )


def test_due_list_visit_need_referral(store):
    store.set_visit_frequency(ds.Tag.ELDERLY_ALONE(), 2 * 86_400_000)
    grid = store.ensure_area(GRID)
    wang = resident(store, grid, "丽岛花园3栋201", "王秀英", [ds.Tag.ELDERLY_ALONE()])
    resident(store, grid, "丽岛花园3栋202", "张伟", [])

    # The morning's list: the elderly woman living alone first, then the household nobody has seen.
    due = store.due_list(ds.DueQuery(area_ids=[grid.id]))
    assert [(e.rank, e.tier, e.resident_name) for e in due] == [
        (1, ds.DueTier.VULNERABLE, "王秀英"),
        (2, ds.DueTier.NEVER_VISITED, None),
    ]
    assert due[0].reasons == [ds.DueReason.NEVER_VISITED(attempts=0)]

    # The visit: the checklist is fitted to her, and follows her answers.
    state = store.start_visit(ds.Subject(resident_id=wang.id), None)
    assert (state.template_id, state.template_version) == ("elderly_alone", 1)
    shown = [q.question.id for q in state.visible]
    assert "drug" not in shown
    health = next(q.question for q in state.visible if q.question.id == "health")
    assert health.label.zh_cn == "目前身体状况"
    assert [o.id for o in health.kind.options] == ["good", "fair", "unwell", "emergency"]

    state = store.answer(state.visit_id, "chronic_meds", ds.Answer.BOOL(value=True))
    assert "drug_days_left" in [q.question.id for q in state.visible]
    with pytest.raises(ds.DoorstepError.Invalid) as e:
        store.answer(state.visit_id, "drug_days_left", ds.Answer.NUMBER(value=400.0))
    assert "above the maximum 365" in str(e.value)
    with pytest.raises(ds.DoorstepError.Invalid):
        store.answer(state.visit_id, "health", ds.Answer.TEXT(value="fine"))

    answers = {
        "seen_safe": ds.Answer.BOOL(value=True),
        "health": ds.Answer.CHOICE(option="fair"),
        "self_care": ds.Answer.CHOICE(option="independent"),
        "caregiver": ds.Answer.CHOICE(option="neighbour"),
        "drug": ds.Answer.TEXT(value="胰岛素"),
        "drug_days_left": ds.Answer.NUMBER(value=1.0),
        "supplies_ok": ds.Answer.BOOL(value=True),
    }
    state = store.answer_all(state.visit_id, [ds.AnswerEntry(question_id=q, value=v) for q, v in answers.items()])
    assert [(i.question_id, i.problem) for i in state.issues] == [("mood", ds.AnswerProblem.MISSING)]
    with pytest.raises(ds.DoorstepError.Invalid):
        store.finish_visit(state.visit_id, ds.FinishVisit(outcome=ds.VisitOutcome.MET))
    store.answer(state.visit_id, "mood", ds.Answer.CHOICE(option="worried"))
    done = store.finish_visit(state.visit_id, ds.FinishVisit(outcome=ds.VisitOutcome.MET, note="胰岛素只剩一天"))
    with pytest.raises(ds.DoorstepError.Conflict):
        store.answer(state.visit_id, "mood", ds.Answer.CHOICE(option="calm"))

    # The need: insulin for one day, raised from her answers; now first on the list.
    [need] = done.needs
    assert (need.category, need.urgency, need.drug) == (ds.NeedCategory.MEDICINE, ds.Urgency.CRITICAL, "胰岛素")
    due = store.due_list(ds.DueQuery(area_ids=[grid.id], limit=10))
    assert due[0].tier == ds.DueTier.LIFE and due[0].resident_id == wang.id
    assert due[0].reasons[0] == ds.DueReason.LIFE_NEED(
        need_id=need.id, category=ds.NeedCategory.MEDICINE, urgency=ds.Urgency.CRITICAL, runs_out_at_ms=need.runs_out_at_ms
    )

    # The referral: to the supplies team, who accept and deliver.
    with pytest.raises(ds.DoorstepError.Conflict):
        store.set_need_status(need.id, ds.NeedStatus.RESOLVED, None)
    referral = store.refer_need(need.id, ds.NewReferral(target=ds.ReferralTarget.SUPPLIES_TEAM, note="胰岛素两支"))
    assert referral.status == ds.ReferralStatus.SENT
    queue = store.referrals(ds.ReferralQuery(target=ds.ReferralTarget.SUPPLIES_TEAM, status=ds.ReferralStatus.SENT))
    assert [r.id for r in queue] == [referral.id]
    with pytest.raises(ds.DoorstepError.Conflict):
        store.set_referral_status(referral.id, ds.ReferralStatus.DONE, None)
    store.set_referral_status(referral.id, ds.ReferralStatus.ACCEPTED, "下午送到")
    store.set_referral_status(referral.id, ds.ReferralStatus.DONE, "已送达")
    assert store.get_need(need.id).status == ds.NeedStatus.RESOLVED
    history = store.need_history(need.id)
    assert [(u.from_status, u.to_status) for u in history] == [
        (None, ds.NeedStatus.OPEN),
        (ds.NeedStatus.OPEN, ds.NeedStatus.IN_PROGRESS),
        (ds.NeedStatus.IN_PROGRESS, ds.NeedStatus.REFERRED),
        (ds.NeedStatus.REFERRED, ds.NeedStatus.RESOLVED),
    ]
    assert store.due_list(ds.DueQuery(area_ids=[grid.id]))[0].tier == ds.DueTier.NEVER_VISITED

    # The day's ledger for the community.
    community = store.ensure_area("武昌区/中南路街道/丽岛社区")
    day = store.get_visit(done.visit.id).finished_at_ms
    local = datetime.datetime.fromtimestamp(day / 1000, datetime.timezone(datetime.timedelta(hours=8)))
    ledger = store.ledger(community.id, local.strftime("%Y-%m-%d"), 480)
    assert (ledger.visits, ledger.households_visited, ledger.residents_reached) == (1, 1, 1)
    assert ledger.residents_reached_by_tag == [ds.TagCount(tag=ds.Tag.ELDERLY_ALONE(), count=1)]
    assert ledger.needs_resolved == [ds.CategoryCount(category=ds.NeedCategory.MEDICINE, count=1)]


def test_template_errors_name_the_json_path(store):
    bad = {
        "id": "flood",
        "version": 1,
        "title": {"zh-CN": "汛期走访", "en": "Flood visit"},
        "questions": [
            {"id": "water", "kind": "yes_no", "label": {"zh-CN": "家中进水？", "en": "Water inside?"},
             "show_if": {"question": "depth", "gt": 0}},
            {"id": "depth", "kind": "number", "label": {"zh-CN": "水深", "en": "Depth"}},
        ],
    }
    with pytest.raises(ds.DoorstepError.Invalid) as e:
        store.add_template(json.dumps(bad, ensure_ascii=False))
    assert "$.questions[0].show_if.question" in str(e.value)
    # Asked in the other order, the same condition is fine.
    bad["questions"].reverse()
    t = store.add_template(json.dumps(bad, ensure_ascii=False))
    assert (t.id, t.version, [q.id for q in t.questions]) == ("flood", 1, ["depth", "water"])
    assert t.questions[0].kind == ds.QuestionKind.NUMBER(min=None, max=None, integer=False, unit=None)
    assert "flood" in [x.id for x in store.templates()]
