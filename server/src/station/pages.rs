//! The dashboard: server-rendered pages over the station's store, with a login, a
//! session cookie (HttpOnly, SameSite=Strict) and a CSRF token on every form.

use std::sync::Arc;

use crate::stats::{self, LedgerKind};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_core::checkin::Recall;
use doorstep_core::registry::{Area, Tag};
use doorstep_core::sync::Role;
use doorstep_core::visits::{DueQuery, DueTier, ReferralQuery};
use doorstep_core::Clock;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Deserialize;

use super::auth::{same_secret, Session};
use super::i18n::{item_name, item_unit, label, Lang};
use super::{Station, UTC_OFFSET_MINUTES};
use crate::storage::Enrolment;
use crate::sync::enrol::{self, CodeRequest};
use crate::sync::routes::ConnectInfoIp;
use crate::throttle::Key;
use crate::AppState;

const SESSION_COOKIE: &str = "ds_session";
const LOGIN_COOKIE: &str = "ds_login";
const LANG_COOKIE: &str = "ds_lang";
const DAY_MS: i64 = 86_400_000;

/// What dashboard handlers share.
#[derive(Clone)]
pub struct Dash {
    pub app: AppState,
    pub station: Arc<Station>,
}

/// The dashboard's routes. Every one but the login and the language switch needs a live
/// session: without one, a GET or a POST alike is sent to the login page before anything
/// of the request is read.
pub fn routes(dash: Dash) -> Router {
    let open = Router::new()
        .route("/login", get(login_page).post(login))
        .route("/lang", get(set_lang));
    Router::new()
        .route("/", get(overview))
        .route("/logout", post(logout))
        .route("/area", get(area_page))
        .route("/checkin", get(checkin_page))
        .route("/deliveries", get(deliveries_page))
        .route("/devices", get(devices_page))
        .route("/devices/enrol", post(devices_enrol))
        .route("/devices/revoke", post(devices_revoke))
        .route("/devices/cancel", post(devices_cancel))
        .route("/passes", get(passes_page))
        .route("/passes/sheet", post(passes_sheet))
        .route("/exports", get(exports_page))
        .route("/export", get(crate::export::download))
        .route_layer(axum::middleware::from_fn_with_state(
            dash.clone(),
            require_session,
        ))
        .merge(open)
        .with_state(dash)
}

/// Sends a request without a live session to the login page.
async fn require_session(
    State(dash): State<Dash>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let live = cookie(req.headers(), SESSION_COOKIE)
        .map(|t| dash.station.admins.session(t, now(&dash)))
        .transpose();
    match live {
        Ok(Some(Some(_))) => next.run(req).await,
        Ok(_) => Redirect::to("/login").into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// A page-level failure: shown as a short HTML page with its status.
#[derive(Debug)]
pub struct PageError(pub StatusCode, pub String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = html! { (DOCTYPE) html { head { meta charset="utf-8"; title { "Doorstep" } }
        body { h1 { (self.0.as_u16()) } p.error { (self.1) } p { a href="/" { "←" } } } } };
        (self.0, body).into_response()
    }
}

impl From<doorstep_core::Error> for PageError {
    fn from(e: doorstep_core::Error) -> Self {
        let status = match &e {
            doorstep_core::Error::Invalid(_) => StatusCode::BAD_REQUEST,
            doorstep_core::Error::NotFound { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        PageError(status, e.to_string())
    }
}

impl From<super::StationError> for PageError {
    fn from(e: super::StationError) -> Self {
        PageError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn now(dash: &Dash) -> i64 {
    dash.app.clock.now_ms()
}

/// Who is asking and in which language; a request without a live session is sent to
/// the login page.
#[derive(Clone)]
pub struct Viewer {
    pub session: Session,
    pub lang: Lang,
}

/// Runs blocking work of a page (SQLCipher queries under core's one mutex, argon2) on
/// tokio's blocking threads, so the workers that answer `/healthz` and the sync API never
/// wait on it. A panic in it is a 500, not a lost connection.
pub async fn blocking<T: Send + 'static>(
    dash: &Dash,
    f: impl FnOnce(&Dash) -> T + Send + 'static,
) -> Result<T, PageError> {
    let dash = dash.clone();
    tokio::task::spawn_blocking(move || f(&dash))
        .await
        .map_err(|e| {
            PageError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("page failed: {e}"),
            )
        })
}

/// A page whose body is built by blocking work.
async fn page(
    dash: &Dash,
    f: impl FnOnce(&Dash) -> Result<Markup, PageError> + Send + 'static,
) -> Response {
    render(blocking(dash, f).await.and_then(|r| r))
}

/// The signed-in viewer, or the response that sends them to log in.
pub async fn viewer(dash: &Dash, headers: &HeaderMap) -> Result<Viewer, Box<Response>> {
    let lang = Lang::from_cookie(cookie(headers, LANG_COOKIE));
    let token = cookie(headers, SESSION_COOKIE).map(str::to_string);
    let session = match token {
        Some(t) => blocking(dash, move |d| d.station.admins.session(&t, now(d)))
            .await
            .map_err(|e| Box::new(e.into_response()))?
            .map_err(|e| Box::new(PageError::from(e).into_response()))?,
        None => None,
    };
    match session {
        Some(session) => Ok(Viewer { session, lang }),
        None => Err(Box::new(Redirect::to("/login").into_response())),
    }
}

/// Checks a form's CSRF token against the session's, in constant time.
pub fn check_csrf(v: &Viewer, token: Option<&str>) -> Result<(), Box<Response>> {
    match token {
        Some(t) if !t.is_empty() && same_secret(t, &v.session.csrf) => Ok(()),
        _ => Err(Box::new(
            PageError(
                StatusCode::FORBIDDEN,
                "the form's CSRF token is missing or wrong; reload the page".into(),
            )
            .into_response(),
        )),
    }
}

/// The areas the viewer may see, by path.
pub fn visible_areas(dash: &Dash, v: &Viewer) -> Result<Vec<Area>, PageError> {
    let mut areas = dash.station.core.areas()?;
    areas.retain(|a| v.session.admin.may_see(&a.path));
    areas.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(areas)
}

/// The area a request asks for, checked against the viewer's; `None` (whole station)
/// only for a station admin, a sub-admin gets their first area.
pub fn chosen_area(
    dash: &Dash,
    v: &Viewer,
    asked: Option<&str>,
) -> Result<Option<Area>, PageError> {
    let areas = visible_areas(dash, v)?;
    match asked.filter(|a| !a.is_empty()) {
        Some(id) => areas
            .into_iter()
            .find(|a| a.id == id)
            .map(Some)
            .ok_or_else(|| {
                PageError(
                    StatusCode::FORBIDDEN,
                    format!("area {id} is not one of yours"),
                )
            }),
        None if v.session.admin.is_station_admin() => Ok(None),
        None => Ok(areas.into_iter().next()),
    }
}

fn layout(v: &Viewer, title: &str, active: &str, body: Markup) -> Markup {
    let l = v.lang;
    let nav: [(&str, &str, &str); 7] = [
        ("/", "总览", "Overview"),
        ("/area", "走访与需求", "Visits & needs"),
        ("/deliveries", "物资配送", "Deliveries"),
        ("/checkin", "核酸检测", "Check-in"),
        ("/devices", "设备", "Devices"),
        ("/passes", "通行码", "Passes"),
        ("/exports", "台账导出", "Exports"),
    ];
    html! {
        (DOCTYPE)
        html lang=(l.html()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Doorstep" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    strong { "Doorstep " (l.t("社区工作站", "station")) }
                    nav { @for (href, zh, en) in nav {
                        a href=(href) class=[(href == active).then_some("on")] { (l.t(zh, en)) }
                    } }
                    span.me {
                        (v.session.admin.name) " · "
                        a href="/lang?to=zh" { "中文" } " | " a href="/lang?to=en" { "English" }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(v.session.csrf);
                            button { (l.t("退出", "Log out")) }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// The pages' one stylesheet, inline; the content security policy allows it by its hash
/// and no other style.
pub(crate) const CSS: &str = "body{font-family:system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;margin:0;color:#222}
header{background:#b71c1c;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:center}
header a{color:#fff;margin-right:.6em}header a.on{text-decoration:underline;font-weight:bold}
header .me{margin-left:auto}main{padding:1em;max-width:1100px}
table{border-collapse:collapse;margin:.5em 0 1.5em;max-width:100%;display:block;overflow-x:auto}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}th{background:#f5f5f5}
.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.8em}.error{color:#b71c1c}
form.box{border:1px solid #ddd;padding:1em;margin:1em 0;max-width:32em}form.box label{display:block;margin:.4em 0}
input,select,button{font-size:1em;padding:.3em}form.inline{display:inline}#code{font-size:2em}.qr{max-width:240px}";

fn area_select(areas: &[Area], chosen: Option<&Area>, all: Option<&str>) -> Markup {
    html! {
        select name="area" {
            @if let Some(all) = all { option value="" { (all) } }
            @for a in areas {
                option value=(a.id) selected[chosen.map(|c| c.id == a.id).unwrap_or(false)] { (a.path) }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct AreaQuery {
    pub area: Option<String>,
}

async fn overview(
    State(dash): State<Dash>,
    headers: HeaderMap,
    Query(q): Query<AreaQuery>,
) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    page(&dash, move |d| overview_body(d, &v, q.area.as_deref())).await
}

fn render(r: Result<Markup, PageError>) -> Response {
    match r {
        Ok(m) => m.into_response(),
        Err(e) => e.into_response(),
    }
}

fn overview_body(dash: &Dash, v: &Viewer, area: Option<&str>) -> Result<Markup, PageError> {
    let l = v.lang;
    let area = chosen_area(dash, v, area)?;
    let areas = visible_areas(dash, v)?;
    let o = dash.station.core.read(|c| {
        stats::overview(
            c,
            area.as_ref().map(|a| a.id.as_str()),
            now(dash),
            UTC_OFFSET_MINUTES,
        )
    })?;
    let requests_open = dash
        .station
        .core
        .read(|c| stats::requests_open(c, area.as_ref().map(|a| a.id.as_str()), now(dash)))?;
    let open_total: u64 = o.open_needs.iter().map(|n| n.count).sum();
    let all = v
        .session
        .admin
        .is_station_admin()
        .then(|| l.t("全站", "Whole station"));
    let body = html! {
        form method="get" action="/" { (area_select(&areas, area.as_ref(), all)) " " button { (l.t("查看", "Show")) } }
        p { (l.t("日期", "Day")) " " span #day { (o.day) } }
        div.cards {
            div.card { (l.t("居民", "Residents")) b #residents { (o.residents) } }
            div.card { (l.t("今日走访", "Visits today")) b #visits-today { (o.visits_today) } }
            div.card { (l.t("近7日走访", "Visits this week")) b #visits-week { (o.visits_week) } }
            div.card { (l.t("待解决需求", "Open needs")) b #open-needs { (open_total) } }
            div.card { (l.t("转介未办结", "Referrals open")) b #referrals-open { (o.referrals_open) } }
        }
        h2 { (l.t("重点人群", "Residents by tag")) }
        table #tags { tr { th { (l.t("标签", "Tag")) } th { (l.t("人数", "Residents")) } }
            @for t in &o.residents_by_tag { tr data-code=(t.code) { td { (label(l, &t.code)) } td.num { (t.count) } } } }
        h2 { (l.t("待解决需求（按类别和紧急程度）", "Open needs by category and urgency")) }
        table #needs { tr { th { (l.t("类别", "Category")) } th { (l.t("紧急程度", "Urgency")) } th { (l.t("数量", "Count")) } }
            @for n in &o.open_needs { tr data-code=(format!("{}/{}", n.category, n.urgency)) {
                td { (label(l, &n.category)) } td { (label(l, &n.urgency)) } td.num { (n.count) } } } }
        h2 { (l.t("物资需求", "Requests outstanding")) }
        p { (l.t("待配送申请", "Requests not yet delivered")) " " b #requests-open { (requests_open.total()) }
            " · " a href=(format!("/deliveries{}", area.as_ref().map(|a| format!("?area={}", a.id)).unwrap_or_default())) { (l.t("物资配送", "Deliveries")) " →" } }
        // Scans per site carry no area: they are the station admin's figures.
        @if v.session.admin.is_station_admin() {
            h2 { (l.t("今日各采样点每小时扫码", "Check-ins per site per hour today")) }
            table #checkins { tr { th { (l.t("采样点", "Site")) } th { (l.t("时段", "Hour")) } th { (l.t("人次", "Scans")) } }
                @for h in &o.check_ins_by_hour { tr { td { (h.site) } td { (format!("{:02}:00", h.hour)) } td.num { (h.count) } } } }
        }
    };
    Ok(layout(v, l.t("总览", "Overview"), "/", body))
}

async fn area_page(
    State(dash): State<Dash>,
    headers: HeaderMap,
    Query(q): Query<AreaQuery>,
) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    page(&dash, move |d| area_body(d, &v, q.area.as_deref())).await
}

fn tier_code(t: DueTier) -> &'static str {
    match t {
        DueTier::Life => "life",
        DueTier::Vulnerable => "vulnerable",
        DueTier::Overdue => "overdue",
        DueTier::NeverVisited => "never_visited",
    }
}

fn area_body(dash: &Dash, v: &Viewer, area: Option<&str>) -> Result<Markup, PageError> {
    let l = v.lang;
    let areas = visible_areas(dash, v)?;
    let area = match chosen_area(dash, v, area)? {
        Some(a) => Some(a),
        None => areas.iter().find(|a| a.parent_id.is_none()).cloned(),
    };
    let Some(area) = area else {
        return Ok(layout(
            v,
            l.t("走访与需求", "Visits & needs"),
            "/area",
            html! { p { (l.t("还没有区域。", "No areas yet.")) } },
        ));
    };
    let core = &dash.station.core;
    let due = core.due_list(&DueQuery {
        area_ids: vec![area.id.clone()],
        limit: 100,
    })?;
    let needs = core.open_needs(&area.id)?;
    let refs = core.referrals(&ReferralQuery {
        area_id: Some(area.id.clone()),
        ..Default::default()
    })?;
    let body = html! {
        form method="get" action="/area" { (area_select(&areas, Some(&area), None)) " " button { (l.t("查看", "Show")) } }
        h2 { (l.t("待走访名单", "Due list")) " (" (due.len()) ")" }
        table #due { tr { th { "#" } th { (l.t("优先级", "Tier")) } th { (l.t("姓名", "Name")) } th { (l.t("地址", "Address")) } th { (l.t("标签", "Tags")) } }
            @for d in &due { tr { td.num { (d.rank) } td { (label(l, tier_code(d.tier))) }
                td { (d.resident_name.clone().unwrap_or_default()) } td { (d.address) }
                td { (d.tags.iter().map(|t| label(l, &t.code())).collect::<Vec<_>>().join("、")) } } } }
        h2 { (l.t("需求看板", "Needs board")) " (" span #needs-count { (needs.len()) } ")" }
        table #needs { tr { th { (l.t("类别", "Category")) } th { (l.t("紧急程度", "Urgency")) } th { (l.t("状态", "Status")) } th { (l.t("详情", "Details")) } th { (l.t("登记时间", "Raised")) } }
            @for n in &needs { tr { td { (label(l, n.category.code())) } td { (label(l, n.urgency.code())) }
                td { (label(l, n.status.code())) } td { (n.details.clone().unwrap_or_default()) (n.drug.as_ref().map(|d| format!(" {d}")).unwrap_or_default()) }
                td { (fmt_time(n.raised_at_ms)) } } } }
        h2 { (l.t("转介", "Referrals")) " (" span #referrals-count { (refs.len()) } ")" }
        table #referrals { tr { th { (l.t("类别", "Category")) } th { (l.t("转介对象", "To")) } th { (l.t("状态", "Status")) } th { (l.t("时间", "When")) } }
            @for r in &refs { tr { td { (label(l, r.category.code())) }
                td { (label(l, r.target.code())) " " (r.target_name.clone().unwrap_or_default()) }
                td { (label(l, r.status.code())) } td { (fmt_time(r.created_at_ms)) } } } }
    };
    Ok(layout(
        v,
        l.t("走访与需求", "Visits & needs"),
        "/area",
        body,
    ))
}

/// A time as the station reads it (China time).
pub fn fmt_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + UTC_OFFSET_MINUTES as i64 * 60_000)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

async fn checkin_page(State(dash): State<Dash>, headers: HeaderMap) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    page(&dash, move |d| checkin_body(d, &v)).await
}

/// A recall line the viewer may read: the station admin all, a sub-admin those whose
/// household lies in their areas (a line the station cannot place is the station
/// admin's alone).
fn may_read_recall(v: &Viewer, visible: &std::collections::HashSet<String>, r: &Recall) -> bool {
    v.session.admin.is_station_admin()
        || r.household
            .as_ref()
            .is_some_and(|h| visible.contains(&h.area_id))
}

fn checkin_body(dash: &Dash, v: &Viewer) -> Result<Markup, PageError> {
    let l = v.lang;
    let core = &dash.station.core;
    let station_admin = v.session.admin.is_station_admin();
    let visible: std::collections::HashSet<String> =
        visible_areas(dash, v)?.into_iter().map(|a| a.id).collect();
    let (day, _) = stats::day_bounds(now(dash), UTC_OFFSET_MINUTES);
    // Scans per site and tubes awaiting their results carry no area (a tube holds
    // residents of any area): they are the station admin's. A sub-admin sees, of a
    // positive tube, the residents of their areas to recall.
    let (lanes, awaiting) = if station_admin {
        (
            core.read(|c| stats::lane_counts(c, &day))?,
            core.read(stats::tubes_awaiting)?,
        )
    } else {
        (vec![], vec![])
    };
    let mut recalls = Vec::new();
    for id in &core.read(stats::tubes_positive)? {
        let mut list = core.tube_recall(id)?;
        list.retain(|r| may_read_recall(v, &visible, r));
        if station_admin || !list.is_empty() {
            recalls.push((core.tube(id)?, list));
        }
    }
    let body = html! {
        p { (l.t("日期", "Day")) " " (day) }
        @if station_admin {
            h2 { (l.t("各采样点各通道人次", "Scans per site and lane")) }
            table #lanes { tr { th { (l.t("采样点", "Site")) } th { (l.t("通道", "Lane")) } th { (l.t("人次", "Scans")) } }
                @for c in &lanes { tr { td { (c.site) } td { (c.lane) } td.num { (c.count) } } } }
            h2 { (l.t("待出结果的混管", "Tubes awaiting results")) " (" span #awaiting { (awaiting.len()) } ")" }
            table { tr { th { (l.t("混管", "Tube")) } th { (l.t("采样点", "Site")) } th { (l.t("人数", "Residents")) } th { (l.t("封管时间", "Sealed")) } }
                @for id in &awaiting { @if let Ok(t) = core.tube(id) {
                    tr { td { (t.code) } td { (t.site) } td.num { (t.members) } td { (t.sealed_at_ms.map(fmt_time).unwrap_or_default()) } } } } }
        }
        h2 { (l.t("阳性混管召回名单", "Recall lists of positive tubes")) }
        @for (t, list) in &recalls {
            h3 { (t.code) " · " (t.site) }
            table.recall { tr { th { (l.t("姓名", "Name")) } th { (l.t("地址", "Address")) } th { (l.t("电话", "Phone")) } th { (l.t("采样时间", "Sampled")) } }
                @for r in list { tr {
                    td { (r.resident.as_ref().map(|x| x.name.clone()).unwrap_or_else(|| r.resident_ref.clone())) }
                    td { (r.household.as_ref().map(|h| format!("{} {}", h.address, h.unit.clone().unwrap_or_default())).unwrap_or_default()) }
                    td { (r.resident.as_ref().and_then(|x| x.phone.clone()).or_else(|| r.household.as_ref().and_then(|h| h.phone.clone())).unwrap_or_default()) }
                    td { (fmt_time(r.sampled_at_ms)) } } } }
        }
    };
    Ok(layout(v, l.t("核酸检测", "Check-in"), "/checkin", body))
}

async fn deliveries_page(
    State(dash): State<Dash>,
    headers: HeaderMap,
    Query(q): Query<AreaQuery>,
) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    page(&dash, move |d| deliveries_body(d, &v, q.area.as_deref())).await
}

/// Hours or days, whichever reads better, for an age.
fn fmt_age(l: Lang, ms: i64) -> String {
    let hours = ms / 3_600_000;
    if hours < 48 {
        format!("{hours}{}", l.t("小时", " h"))
    } else {
        format!("{}{}", hours / 24, l.t("天", " days"))
    }
}

fn deliveries_body(dash: &Dash, v: &Viewer, area: Option<&str>) -> Result<Markup, PageError> {
    let l = v.lang;
    let area = chosen_area(dash, v, area)?;
    let areas = visible_areas(dash, v)?;
    let d = dash.station.core.read(|c| {
        stats::deliveries(
            c,
            area.as_ref().map(|a| a.id.as_str()),
            now(dash),
            UTC_OFFSET_MINUTES,
        )
    })?;
    let all = v
        .session
        .admin
        .is_station_admin()
        .then(|| l.t("全站", "Whole station"));
    let count_of = |code: &str| {
        d.packages_by_status
            .iter()
            .find(|c| c.code == code)
            .map_or(0, |c| c.count)
    };
    let failed_today: u64 = d.failures.iter().map(|f| f.today).sum();
    // Today's and the week's deliveries side by side, one row per item.
    let mut delivered: Vec<(&doorstep_core::deliveries::ItemLine, i64)> = d
        .delivered_week
        .iter()
        .map(|w| {
            let today = d
                .delivered_today
                .iter()
                .find(|t| t.key() == w.key())
                .map_or(0, |t| t.quantity);
            (w, today)
        })
        .collect();
    delivered.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.quantity.cmp(&a.0.quantity)));
    let age = &d.requests_open;
    let body = html! {
        form method="get" action="/deliveries" { (area_select(&areas, area.as_ref(), all)) " " button { (l.t("查看", "Show")) } }
        p { (l.t("日期", "Day")) " " (d.day) }
        div.cards {
            div.card { (l.t("待配送申请", "Requests open")) b #requests-open { (age.total()) } }
            div.card { (l.t("配送中", "Out for delivery")) b #packages-out { (count_of("out_for_delivery")) } }
            div.card { (l.t("今日送达", "Delivered today")) b #delivered-today { (d.deliveries_today) } }
            div.card { (l.t("今日配送失败", "Failed today")) b #failed-today { (failed_today) } }
        }
        h2 { (l.t("物资包状态", "Packages by state")) }
        table #packages { tr { th { (l.t("状态", "State")) } th { (l.t("数量", "Packages")) } }
            @for c in &d.packages_by_status { tr data-code=(c.code) { td { (label(l, &c.code)) } td.num { (c.count) } } } }
        h2 { (l.t("配送失败原因", "Failures by reason")) }
        table #failures { tr { th { (l.t("原因", "Reason")) } th { (l.t("今日", "Today")) } th { (l.t("近7日", "Last 7 days")) } }
            @for f in &d.failures { tr data-code=(f.reason) { td { (label(l, &f.reason)) } td.num { (f.today) } td.num { (f.week) } } } }
        h2 { (l.t("待配送申请等待时长", "Open requests by waiting time")) }
        table #request-age { tr { th { (l.t("不足1天", "Under a day")) } th { (l.t("1至3天", "1 to 3 days")) } th { (l.t("超过3天", "Over 3 days")) } th { (l.t("最久", "Longest")) } }
            tr { td.num { (age.under_1_day) } td.num { (age.from_1_to_3_days) } td.num { (age.over_3_days) }
                td.num { @if age.total() > 0 { (fmt_age(l, age.oldest_ms)) } } } }
        h2 { (l.t("送达物品", "Items delivered")) }
        table #delivered { tr { th { (l.t("物品", "Item")) } th { (l.t("今日", "Today")) } th { (l.t("近7日", "Last 7 days")) } th { (l.t("单位", "Unit")) } }
            @for (w, today) in &delivered { tr data-code=(w.key()) { td { (item_name(l, w)) } td.num { (today) } td.num { (w.quantity) } td { (item_unit(l, &w.item)) } } } }
        h2 { (l.t("全站库存", "Station stock")) }
        table #stock { tr { th { (l.t("物品", "Item")) } th { (l.t("今日入库", "In today")) } th { (l.t("今日出库", "Out today")) } th { (l.t("今日退回", "Back today")) } th { (l.t("结余", "Balance")) } th { (l.t("单位", "Unit")) } }
            @for s in &d.stock { tr data-code=(s.line.key()) { td { (item_name(l, &s.line)) } td.num { (s.received) } td.num { (s.issued) }
                td.num { (s.returned) } td.num { (s.line.quantity) } td { (item_unit(l, &s.line.item)) } } } }
        p { a href="/exports" { (l.t("导出配送台账", "Export the deliveries ledger")) } }
    };
    Ok(layout(
        v,
        l.t("物资配送", "Deliveries"),
        "/deliveries",
        body,
    ))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

async fn logout(State(dash): State<Dash>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if let Err(r) = check_csrf(&v, f.csrf.as_deref()) {
        return *r;
    }
    if let Some(t) = cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let _ = blocking(&dash, move |d| d.station.admins.end_session(&t)).await;
    }
    let mut resp = Redirect::to("/login").into_response();
    set_cookie(
        &mut resp,
        &format!(
            "{SESSION_COOKIE}=; Max-Age=0; {}",
            cookie_attrs(&dash, &headers)
        ),
    );
    resp
}

fn set_cookie(resp: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[derive(Deserialize)]
struct LangQuery {
    to: Option<String>,
}

async fn set_lang(Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let to = if q.to.as_deref() == Some("en") {
        "en"
    } else {
        "zh"
    };
    // Back to the page the switch was clicked on, if it was one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .and_then(station_path)
        .unwrap_or_else(|| "/".to_string());
    let mut resp = Redirect::to(&back).into_response();
    set_cookie(
        &mut resp,
        &format!("{LANG_COOKIE}={to}; Path=/; Max-Age=31536000; SameSite=Lax"),
    );
    resp
}

/// Pages a redirect may go back to.
const PAGES: &[&str] = &[
    "/",
    "/login",
    "/area",
    "/checkin",
    "/deliveries",
    "/devices",
    "/passes",
    "/exports",
];

/// `path` (with its query) if it is one of this station's pages, never a way elsewhere
/// (`//host`, `/\host`, a control character).
pub fn station_path(path: &str) -> Option<String> {
    let page = path.split(['?', '#']).next().unwrap_or(path);
    let clean = !path.contains(['\\', '#']) && !path.chars().any(|c| c.is_control());
    (clean && PAGES.contains(&page)).then(|| path.to_string())
}

async fn login_page(State(dash): State<Dash>, headers: HeaderMap) -> Response {
    login_form(
        Lang::from_cookie(cookie(&headers, LANG_COOKIE)),
        None,
        over_https(&dash, &headers),
    )
}

fn login_form(l: Lang, error: Option<&str>, secure: bool) -> Response {
    let token = match super::random_hex(16) {
        Ok(t) => t,
        Err(e) => return PageError::from(e).into_response(),
    };
    let page = html! {
        (DOCTYPE)
        html lang=(l.html()) {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1";
                title { (l.t("登录", "Log in")) " · Doorstep" } style { (PreEscaped(CSS)) } }
            body { header { strong { "Doorstep " (l.t("社区工作站", "station")) }
                    span.me { a href="/lang?to=zh" { "中文" } " | " a href="/lang?to=en" { "English" } } }
                main { h1 { (l.t("管理员登录", "Admin login")) }
                    @if let Some(e) = error { p.error #login-error { (e) } }
                    form.box method="post" action="/login" {
                        input type="hidden" name="csrf" value=(token);
                        label { (l.t("账号", "Name")) " " input name="name" autocomplete="username"; }
                        label { (l.t("密码", "Password")) " " input name="password" type="password" autocomplete="current-password"; }
                        button #login type="submit" { (l.t("登录", "Log in")) }
                    } } }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut resp = (status, page).into_response();
    let secure = if secure { "; Secure" } else { "" };
    set_cookie(
        &mut resp,
        &format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict{secure}"),
    );
    resp
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: Option<String>,
}

/// Whether the browser reached the station over HTTPS: `--cookie-secure`, or a proxy in
/// front saying so. Believing the proxy costs nothing: a false `https` only keeps the
/// cookie from the claimant's own plain-HTTP requests.
fn over_https(dash: &Dash, headers: &HeaderMap) -> bool {
    let said = |name: &str, want: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains(want))
    };
    dash.app.cookie_secure || said("x-forwarded-proto", "https") || said("forwarded", "proto=https")
}

/// A session cookie's attributes.
fn cookie_attrs(dash: &Dash, headers: &HeaderMap) -> &'static str {
    if over_https(dash, headers) {
        "Path=/; HttpOnly; SameSite=Strict; Secure"
    } else {
        "Path=/; HttpOnly; SameSite=Strict"
    }
}

/// Logs an admin in. Wrong passwords are throttled per name typed and per client
/// address (`crate::throttle`); a try during a wait is 429 whatever it holds.
async fn login(
    State(dash): State<Dash>,
    ConnectInfoIp(ip): ConnectInfoIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let l = Lang::from_cookie(cookie(&headers, LANG_COOKIE));
    // Login CSRF: the form must carry the token set in the cookie with it.
    let expected = cookie(&headers, LOGIN_COOKIE);
    let sent = f.csrf.as_deref().unwrap_or_default();
    if !expected.is_some_and(|e| !e.is_empty() && same_secret(e, sent)) {
        return PageError(
            StatusCode::FORBIDDEN,
            "the login form's CSRF token is missing or wrong; reload the page".into(),
        )
        .into_response();
    }
    let throttle = &dash.app.throttle;
    let mut keys = vec![Key::account(&f.name)];
    keys.extend(ip.map(Key::LoginAddress));
    if let Err(wait) = throttle.attempt(&keys, now(&dash)) {
        let mut resp = login_form(
            l,
            Some(&format!(
                "{} {} {}",
                l.t("尝试次数过多，请在", "Too many tries; try again in"),
                wait.seconds(),
                l.t("秒后重试", "s")
            )),
            over_https(&dash, &headers),
        );
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        resp.headers_mut()
            .insert(header::RETRY_AFTER, wait.seconds().max(1).into());
        return resp;
    }
    let name = f.name.trim().to_string();
    enum Tried {
        Wrong,
        Refused(super::StationError),
        Started(super::StationResult<String>),
    }
    // Argon2 and the admin file's SQLite run on a blocking thread, not the server's.
    let tried = blocking(&dash, move |d| {
        let admins = &d.station.admins;
        match admins.verify(&f.name, &f.password) {
            Ok(Some(admin)) => Tried::Started(admins.start_session(&admin, now(d))),
            Ok(None) => Tried::Wrong,
            Err(e) => Tried::Refused(e),
        }
    })
    .await;
    let wrong = |dash: &Dash| {
        login_form(
            l,
            Some(l.t("账号或密码错误", "Wrong name or password")),
            over_https(dash, &headers),
        )
    };
    let token = match tried {
        Ok(Tried::Started(Ok(t))) => t,
        Ok(Tried::Wrong) => {
            tracing::warn!(name = %name, ip = ?ip, "wrong dashboard password");
            return wrong(&dash);
        }
        // Stored areas that cannot be read refuse the login like a wrong password.
        Ok(Tried::Refused(e)) => {
            tracing::error!(name = %name, error = %e, "dashboard login refused");
            return wrong(&dash);
        }
        Ok(Tried::Started(Err(e))) => return PageError::from(e).into_response(),
        Err(e) => return e.into_response(),
    };
    throttle.succeeded(&keys);
    let mut resp = Redirect::to("/").into_response();
    set_cookie(
        &mut resp,
        &format!(
            "{SESSION_COOKIE}={token}; {}",
            cookie_attrs(&dash, &headers)
        ),
    );
    resp
}

async fn devices_page(State(dash): State<Dash>, headers: HeaderMap) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    render(devices_body(&dash, &v, None, None).await)
}

/// Enrolment codes the devices page lists, newest first.
const CODES_LISTED: u32 = 200;

/// Where an enrolment code stands now.
fn code_status(e: &Enrolment, now_ms: i64) -> &'static str {
    if e.used_at.is_some() {
        "used"
    } else if e.cancelled_at.is_some() {
        "cancelled"
    } else if e.expires_at <= now_ms {
        "expired"
    } else {
        "unused"
    }
}

/// Whether the viewer may see (and act on) what was issued for `role` in `areas`: the
/// station admin everything, a sub-admin what lies wholly in their areas.
fn may_see_scope(v: &Viewer, role: Role, areas: &[String]) -> bool {
    let admin = &v.session.admin;
    admin.is_station_admin()
        || (role != Role::StationAdmin
            && !areas.is_empty()
            && areas.iter().all(|a| admin.may_see(a)))
}

/// The codes the viewer may see, without those the station made to enrol itself.
async fn visible_codes(dash: &Dash, v: &Viewer) -> Result<Vec<Enrolment>, PageError> {
    let mut codes = dash
        .app
        .store
        .enrolments(CODES_LISTED)
        .await
        .map_err(|e| PageError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    codes.retain(|e| {
        !(e.user == super::STATION_USER && e.role == Role::StationAdmin)
            && may_see_scope(v, e.role, &e.areas)
    });
    Ok(codes)
}

/// One device on the page: enrolled (or only seen), with what it has written.
struct DeviceRow {
    id: String,
    user: String,
    role: Option<Role>,
    areas: Vec<String>,
    enrolled_at: Option<i64>,
    status: &'static str,
    ops: u64,
    last_at_ms: Option<i64>,
}

async fn devices_body(
    dash: &Dash,
    v: &Viewer,
    made: Option<(String, String)>,
    notice: Option<Markup>,
) -> Result<Markup, PageError> {
    let l = v.lang;
    let now_ms = now(dash);
    let seen_by = v.clone();
    let (areas, own, seen) = blocking(dash, move |d| {
        Ok::<_, PageError>((
            visible_areas(d, &seen_by)?,
            d.station.core.device_id(),
            d.station.core.read(stats::devices_seen)?,
        ))
    })
    .await??;
    let roles = [
        Role::SocialWorker,
        Role::Marshal,
        Role::Runner,
        Role::StationAdmin,
    ];
    let station_admin = v.session.admin.is_station_admin();
    let codes = visible_codes(dash, v).await?;
    let enrolled = dash
        .app
        .store
        .devices()
        .await
        .map_err(|e| PageError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    let mut seen: std::collections::HashMap<String, stats::DeviceSeen> =
        seen.into_iter().map(|d| (d.device.clone(), d)).collect();
    let mut devices: Vec<DeviceRow> = Vec::new();
    for d in enrolled {
        let s = seen.remove(&d.device.device_id);
        if d.device.device_id == own || !may_see_scope(v, d.device.role, &d.device.areas) {
            continue;
        }
        let status = if d.revoked_at.is_some() {
            "revoked"
        } else if d.device.token_expires_at <= now_ms {
            "token_expired"
        } else {
            "active"
        };
        devices.push(DeviceRow {
            id: d.device.device_id,
            user: d.device.user,
            role: Some(d.device.role),
            areas: d.device.areas,
            enrolled_at: Some(d.enrolled_at),
            status,
            ops: s.as_ref().map_or(0, |s| s.ops),
            last_at_ms: s.map(|s| s.last_at_ms),
        });
    }
    // Records can come from a device this storage never enrolled (a station restored
    // beside another sync storage); the station admin still sees them.
    if station_admin {
        let mut rest: Vec<_> = seen.into_values().collect();
        rest.sort_by_key(|s| std::cmp::Reverse(s.last_at_ms));
        devices.extend(rest.into_iter().map(|s| DeviceRow {
            id: s.device,
            user: s.user,
            role: None,
            areas: vec![],
            enrolled_at: None,
            status: "unknown",
            ops: s.ops,
            last_at_ms: Some(s.last_at_ms),
        }));
    }
    let body = html! {
        @if let Some(n) = notice { (n) }
        @if let Some((code, svg)) = &made {
            section #enrolment {
                h2 { (l.t("登记码", "Enrolment code")) }
                p { (l.t("在手机上输入此码或扫描二维码（24小时内有效，仅可使用一次）：", "Type this code on the phone or scan the QR (valid 24 hours, once):")) }
                p { code #code { (code) } }
                div.qr { (PreEscaped(svg)) }
            }
        }
        form.box method="post" action="/devices/enrol" {
            h2 { (l.t("登记手机", "Enrol a phone")) }
            input type="hidden" name="csrf" value=(v.session.csrf);
            label { (l.t("使用人", "User")) " " input name="user" required; }
            label { (l.t("角色", "Role")) " " select name="role" {
                @for r in roles { @if station_admin || r != Role::StationAdmin {
                    option value=(r.code()) { (label(l, r.code())) } } } } }
            label { (l.t("区域", "Area")) " " (area_select(&areas, None, None)) }
            button #enrol type="submit" { (l.t("生成登记码", "Create code")) }
        }
        h2 { (l.t("已发登记码", "Enrolment codes issued")) " (" span #codes-count { (codes.len()) } ")" }
        table #codes { tr { th { (l.t("使用人", "User")) } th { (l.t("角色", "Role")) } th { (l.t("区域", "Areas")) }
                th { (l.t("生成时间", "Made")) } th { (l.t("有效期至", "Valid until")) } th { (l.t("状态", "State")) } th {} }
            @for e in &codes { @let status = code_status(e, now_ms);
                tr data-code=(status) data-id=(e.id) { td { (e.user) } td { (label(l, e.role.code())) }
                    td { (e.areas.join("、")) } td { (fmt_time(e.created_at)) } td { (fmt_time(e.expires_at)) }
                    td { (label(l, status))
                        @if let (Some(at), Some(dev)) = (e.used_at, &e.used_by) { " " (fmt_time(at)) " · " code { (dev) } } }
                    td { @if status == "unused" {
                        form method="post" action="/devices/cancel" {
                            input type="hidden" name="csrf" value=(v.session.csrf);
                            input type="hidden" name="id" value=(e.id);
                            button { (l.t("作废", "Cancel")) } } } } } } }
        h2 { (l.t("设备", "Devices")) " (" span #devices-count { (devices.len()) } ")" }
        table #devices { tr { th { (l.t("设备编号", "Device")) } th { (l.t("使用人", "User")) } th { (l.t("角色", "Role")) } th { (l.t("区域", "Areas")) }
                th { (l.t("登记时间", "Enrolled")) } th { (l.t("状态", "State")) } th { (l.t("记录数", "Ops")) } th { (l.t("最近记录", "Last write")) } th {} }
            @for d in &devices { tr data-code=(d.status) data-id=(d.id) { td { code { (d.id) } } td { (d.user) }
                td { (d.role.map(|r| label(l, r.code())).unwrap_or_default()) } td { (d.areas.join("、")) }
                td { (d.enrolled_at.map(fmt_time).unwrap_or_default()) } td { (label(l, d.status)) }
                td.num { (d.ops) } td { (d.last_at_ms.map(fmt_time).unwrap_or_default()) }
                td { @if station_admin && d.status != "revoked" {
                    form method="post" action="/devices/revoke" {
                        input type="hidden" name="csrf" value=(v.session.csrf);
                        input type="hidden" name="device" value=(d.id);
                        button { (l.t("停用", "Revoke")) } } } } } } }
        @if station_admin {
            form.box method="post" action="/devices/revoke" {
                h2 { (l.t("停用设备", "Revoke a device")) }
                input type="hidden" name="csrf" value=(v.session.csrf);
                label { (l.t("设备编号", "Device id")) " " input name="device" required; }
                button type="submit" { (l.t("停用", "Revoke")) }
            }
        }
    };
    Ok(layout(v, l.t("设备", "Devices"), "/devices", body))
}

#[derive(Deserialize)]
struct EnrolForm {
    csrf: Option<String>,
    user: String,
    role: String,
    area: Option<String>,
}

async fn devices_enrol(
    State(dash): State<Dash>,
    headers: HeaderMap,
    Form(f): Form<EnrolForm>,
) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if let Err(r) = check_csrf(&v, f.csrf.as_deref()) {
        return *r;
    }
    let Some(role) = Role::parse(&f.role) else {
        return PageError(
            StatusCode::BAD_REQUEST,
            format!("role {:?} is unknown", f.role),
        )
        .into_response();
    };
    if role == Role::StationAdmin && !v.session.admin.is_station_admin() {
        return PageError(
            StatusCode::FORBIDDEN,
            "only the station admin enrols station-admin phones".into(),
        )
        .into_response();
    }
    let (asker, asked) = (v.clone(), f.area.clone());
    let area = match blocking(&dash, move |d| chosen_area(d, &asker, asked.as_deref()))
        .await
        .and_then(|r| r)
    {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let areas: Vec<String> = if role == Role::StationAdmin {
        vec![]
    } else {
        area.into_iter().map(|a| a.path).collect()
    };
    let req = CodeRequest {
        user: f.user.trim().to_string(),
        role,
        areas,
        code_ttl_ms: enrol::DEFAULT_CODE_TTL_MS,
        token_ttl_ms: enrol::DEFAULT_TOKEN_TTL_MS,
    };
    if let Err(m) = enrol::check_request(&req) {
        return PageError(StatusCode::BAD_REQUEST, m).into_response();
    }
    let code = match enrol::create_code(dash.app.store.as_ref(), &req, now(&dash)).await {
        Ok(c) => c,
        Err(e) => return PageError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    };
    let svg = doorstep_core::checkin::render::qr_svg(&code).unwrap_or_default();
    render(devices_body(&dash, &v, Some((code, svg)), None).await)
}

#[derive(Deserialize)]
struct RevokeForm {
    csrf: Option<String>,
    device: String,
}

async fn devices_revoke(
    State(dash): State<Dash>,
    headers: HeaderMap,
    Form(f): Form<RevokeForm>,
) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if let Err(r) = check_csrf(&v, f.csrf.as_deref()) {
        return *r;
    }
    if !v.session.admin.is_station_admin() {
        return PageError(
            StatusCode::FORBIDDEN,
            "only the station admin revokes devices".into(),
        )
        .into_response();
    }
    match dash
        .app
        .store
        .revoke_device(f.device.trim(), now(&dash))
        .await
    {
        Ok(true) => {
            let l = v.lang;
            let notice =
                html! { p #revoked { (l.t("已停用设备 ", "Revoked device ")) (f.device.trim()) } };
            render(devices_body(&dash, &v, None, Some(notice)).await)
        }
        Ok(false) => PageError(
            StatusCode::NOT_FOUND,
            format!("no device {}", f.device.trim()),
        )
        .into_response(),
        Err(e) => PageError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct CancelForm {
    csrf: Option<String>,
    id: String,
}

/// Cancels an enrolment code not used yet, for an admin who may see it.
async fn devices_cancel(
    State(dash): State<Dash>,
    headers: HeaderMap,
    Form(f): Form<CancelForm>,
) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if let Err(r) = check_csrf(&v, f.csrf.as_deref()) {
        return *r;
    }
    let id = f.id.trim();
    let codes = match visible_codes(&dash, &v).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if !codes.iter().any(|e| e.id == id) {
        return PageError(
            StatusCode::NOT_FOUND,
            format!("no enrolment code {id} among yours"),
        )
        .into_response();
    }
    match dash.app.store.cancel_enrolment(id, now(&dash)).await {
        Ok(true) => {
            let l = v.lang;
            let notice =
                html! { p #cancelled { (l.t("登记码已作废", "The enrolment code is cancelled")) } };
            render(devices_body(&dash, &v, None, Some(notice)).await)
        }
        Ok(false) => PageError(
            StatusCode::CONFLICT,
            format!("enrolment code {id} was used or cancelled already"),
        )
        .into_response(),
        Err(e) => PageError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

async fn passes_page(State(dash): State<Dash>, headers: HeaderMap) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let l = v.lang;
    let asker = v.clone();
    let areas = match blocking(&dash, move |d| visible_areas(d, &asker))
        .await
        .and_then(|r| r)
    {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let tags = [
        Tag::ElderlyAlone,
        Tag::Disability,
        Tag::ChildInHardship,
        Tag::Stranded,
        Tag::Pregnant,
        Tag::ChronicIllness,
    ];
    layout(&v, l.t("通行码", "Passes"), "/passes", html! {
        form.box #sheet method="post" action="/passes/sheet" {
            h2 { (l.t("打印通行码", "Print passes")) }
            p { (l.t("为所选区域（或楼栋）的居民签发通行码，并生成A4打印页（每页8张）。", "Issues passes to the residents chosen and lays them out on A4 pages, 8 to a page.")) }
            input type="hidden" name="csrf" value=(v.session.csrf);
            label { (l.t("区域", "Area")) " " (area_select(&areas, None, None)) }
            label { (l.t("楼栋（可选）", "Building (optional)")) " " input name="building" placeholder="12栋"; }
            label { (l.t("标签（可选）", "Tag (optional)")) " " select name="tag" { option value="" { "—" }
                @for t in &tags { option value=(t.code()) { (label(l, &t.code())) } } } }
            label { (l.t("有效天数", "Valid days")) " " input name="days" type="number" value="7" min="1" max="90"; }
            button #print type="submit" { (l.t("下载PDF", "Download PDF")) }
        }
    }).into_response()
}

#[derive(Deserialize)]
struct SheetForm {
    csrf: Option<String>,
    area: Option<String>,
    building: Option<String>,
    tag: Option<String>,
    days: Option<i64>,
}

async fn passes_sheet(
    State(dash): State<Dash>,
    headers: HeaderMap,
    Form(f): Form<SheetForm>,
) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if let Err(r) = check_csrf(&v, f.csrf.as_deref()) {
        return *r;
    }
    let pdf = blocking(&dash, move |d| {
        let area = chosen_area(d, &v, f.area.as_deref())?;
        d.station
            .sheet(
                area.as_ref(),
                f.building.as_deref(),
                f.tag.as_deref(),
                f.days.unwrap_or(7),
                now(d),
            )
            .map_err(|e| PageError(StatusCode::BAD_REQUEST, e.to_string()))
    })
    .await
    .and_then(|r| r);
    match pdf {
        Ok(pdf) => (
            [
                (header::CONTENT_TYPE, "application/pdf"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"passes.pdf\"",
                ),
            ],
            pdf,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn exports_page(State(dash): State<Dash>, headers: HeaderMap) -> Response {
    let v = match viewer(&dash, &headers).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let l = v.lang;
    let asker = v.clone();
    let areas = match blocking(&dash, move |d| visible_areas(d, &asker))
        .await
        .and_then(|r| r)
    {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let (today, _) = stats::day_bounds(now(&dash), UTC_OFFSET_MINUTES);
    let (week_ago, _) = stats::day_bounds(now(&dash) - 6 * DAY_MS, UTC_OFFSET_MINUTES);
    let all = v
        .session
        .admin
        .is_station_admin()
        .then(|| l.t("全站", "Whole station"));
    layout(&v, l.t("台账导出", "Exports"), "/exports", html! {
        form.box #export method="get" action="/export" {
            label { (l.t("台账", "Ledger")) " " select name="kind" {
                @for k in LedgerKind::ALL { option value=(k.code()) { (kind_label(l, k)) } } } }
            label { (l.t("区域", "Area")) " " (area_select(&areas, None, all)) }
            label { (l.t("起始日期", "From")) " " input name="from" type="date" value=(week_ago); }
            label { (l.t("截止日期", "To")) " " input name="to" type="date" value=(today); }
            label { (l.t("格式", "Format")) " " select name="format" { option value="xlsx" { "Excel (XLSX)" } option value="csv" { "CSV" } } }
            label { input type="checkbox" name="pseudo" value="1"; " " (l.t("化名（隐去姓名和电话，用于外报）", "Pseudonymise names and phones (for reports leaving the station)")) }
            button #download type="submit" { (l.t("下载", "Download")) }
        }
    }).into_response()
}

/// The ledger kind's name.
pub fn kind_label(l: Lang, k: LedgerKind) -> &'static str {
    match k {
        LedgerKind::Visits => l.t("走访台账", "Visits"),
        LedgerKind::Needs => l.t("需求台账", "Needs"),
        LedgerKind::Referrals => l.t("转介台账", "Referrals"),
        LedgerKind::CheckIns => l.t("核酸扫码台账", "Check-ins"),
        LedgerKind::Deliveries => l.t("物资配送台账", "Deliveries"),
    }
}
