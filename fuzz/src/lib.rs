//! What the fuzz targets share: a small station made once per process from the demo
//! community (a phone store and the server's SQLite storage holding its ops), copied
//! afresh for every input so that a crash replays from its input alone, and ops made by
//! mutating the demo's real ops, which reach further into scope and apply than raw JSON.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arbitrary::{Result as ArbResult, Unstructured};
use doorstep_core::log::{Action, Hlc, Op, Value};
use doorstep_core::sync::Role;
use doorstep_core::{Doorstep, SCHEMA};
use doorstep_server::storage::{Device, NewEnrolment, SqliteStorage, Storage};
use tempfile::TempDir;

/// The key of every phone store the targets open.
pub const KEY: [u8; 32] = [7; 32];
/// The server's clock during a target: the demo's week ends here (2026-01-01 UTC).
pub const NOW: i64 = 1_767_225_600_000;
/// The phone that pushes in the push target and holds a token in the blob target.
pub const FUZZ_DEVICE: &str = "fuzz-phone";
/// Its user.
pub const FUZZ_USER: &str = "fuzz-worker";
/// Its bearer token (the storage keeps only the hash).
pub const FUZZ_TOKEN: &str = "fuzz-token-0123456789";
/// Residents in the demo station: enough for every entity to appear.
const RESIDENTS: usize = 30;

/// The station, made once per process.
pub struct Fixture {
    _dir: TempDir,
    /// A phone store (closed) that applied the first half of the demo's ops.
    pub phone: PathBuf,
    /// The server's storage folder (closed) holding every demo op.
    pub station: PathBuf,
    /// Every op of the demo, in log order.
    pub ops: Vec<Op>,
    /// Values each (entity, field) took in the demo.
    pub values: HashMap<(String, String), Vec<Value>>,
    /// Rows of the demo: (entity, id).
    pub rows: Vec<(String, String)>,
    /// Area paths of the demo's grids.
    pub grids: Vec<String>,
    /// Sequence of the last op stored in the station.
    pub high_water: i64,
    /// Runs the server's async storage.
    pub rt: tokio::runtime::Runtime,
}

/// The process's fixture, made on first use.
///
/// With `DOORSTEP_FUZZ_SEEDS` set to a folder, the first use also writes every target's
/// seed corpus there (`scripts/fuzz.sh` does this once, through one target).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    static SEEDS: std::sync::Once = std::sync::Once::new();
    let fx = FIXTURE.get_or_init(|| make().expect("the demo station builds"));
    SEEDS.call_once(|| {
        if let Some(root) = std::env::var_os("DOORSTEP_FUZZ_SEEDS") {
            write_seeds(fx, Path::new(&root)).expect("the seed corpora are written");
        }
    });
    fx
}

/// A folder in memory when the machine has one: every input copies a store into it.
pub fn scratch() -> TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().expect("a temporary folder")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy's folder");
    for entry in std::fs::read_dir(from).expect("read the fixture's folder") {
        let entry = entry.expect("a fixture file");
        // libFuzzer's timer signal can interrupt the copy; it is simply tried again.
        loop {
            match std::fs::copy(entry.path(), to.join(entry.file_name())) {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => panic!("copy a fixture file: {e}"),
            }
        }
    }
}

impl Fixture {
    /// A fresh copy of the phone store: (its folder, its file).
    pub fn phone_copy(&self) -> (TempDir, PathBuf) {
        let dir = scratch();
        let from = self.phone.parent().expect("the phone store is in a folder");
        copy_dir(from, dir.path());
        let file = dir
            .path()
            .join(self.phone.file_name().expect("a file name"));
        (dir, file)
    }

    /// A fresh copy of the station's storage folder.
    pub fn station_copy(&self) -> TempDir {
        let dir = scratch();
        copy_dir(&self.station, dir.path());
        dir
    }

    /// Ops made from the input by mutating real ones, written by `device` as `user`.
    pub fn arb_ops(&self, u: &mut Unstructured, device: &str, user: &str) -> ArbResult<Vec<Op>> {
        let n = u.int_in_range(1..=12)?;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let mut op = u.choose(&self.ops)?.clone();
            if u.ratio(3, 4)? {
                op.id = format!("0190aaaa-fuzz-{i}-{}", u.int_in_range(0..=9)?);
            }
            if u.ratio(7, 8)? {
                op.device = device.to_string();
                op.user = user.to_string();
            }
            for _ in 0..u.int_in_range(0..=4)? {
                self.mutate(u, &mut op)?;
            }
            out.push(op);
        }
        Ok(out)
    }

    fn mutate(&self, u: &mut Unstructured, op: &mut Op) -> ArbResult<()> {
        match u.int_in_range(0..=9)? {
            0..=2 => {
                let field = match SCHEMA.get(&op.entity) {
                    Some(def) if u.ratio(7, 8)? => u.choose(def.fields)?.to_string(),
                    _ => arb_string(u)?,
                };
                let value = self.arb_value(u, &op.entity, &field)?;
                op.fields.insert(field, value);
            }
            3 => {
                if !op.fields.is_empty() {
                    let k = u.choose_index(op.fields.len())?;
                    let key = op.fields.keys().nth(k).cloned().expect("index in range");
                    op.fields.remove(&key);
                }
            }
            4 => {
                let (entity, id) = u.choose(&self.rows)?.clone();
                if u.ratio(1, 4)? {
                    op.entity = entity;
                }
                op.entity_id = id;
            }
            5 => {
                op.entity = if u.ratio(3, 4)? {
                    u.choose(&SCHEMA.all().map(|d| d.name).collect::<Vec<_>>())?
                        .to_string()
                } else {
                    arb_string(u)?
                }
            }
            6 => op.action = *u.choose(&[Action::Put, Action::Fact, Action::Delete])?,
            7 => {
                op.hlc = match u.int_in_range(0..=3)? {
                    0 => Hlc::from_i64(u.arbitrary()?),
                    1 => Hlc::new(NOW + u.int_in_range(-1000..=3_600_000)?, u.arbitrary()?),
                    2 => Hlc::new(u.arbitrary::<i64>()? >> 16, u.arbitrary()?),
                    _ => u.choose(&self.ops)?.hlc,
                }
            }
            8 => op.id = u.choose(&self.ops)?.id.clone(),
            _ => {
                if u.ratio(1, 2)? {
                    op.device = arb_string(u)?;
                } else {
                    op.user = arb_string(u)?;
                }
            }
        }
        Ok(())
    }

    /// A value for a field: one the field took in the demo, one another field took, or
    /// one made from the input.
    pub fn arb_value(&self, u: &mut Unstructured, entity: &str, field: &str) -> ArbResult<Value> {
        let key = (entity.to_string(), field.to_string());
        match (u.int_in_range(0..=5)?, self.values.get(&key)) {
            (0..=2, Some(seen)) if !seen.is_empty() => Ok(u.choose(seen)?.clone()),
            (3, _) => {
                let k = u.choose_index(self.values.len())?;
                let seen = self.values.values().nth(k).expect("index in range");
                Ok(u.choose(seen)?.clone())
            }
            _ => arb_json(u, 2),
        }
    }
}

/// A short string, often one with meaning to the store.
pub fn arb_string(u: &mut Unstructured) -> ArbResult<String> {
    const WORDS: &[&str] = &[
        "",
        "resident",
        "area",
        "武昌区/中南路街道/丽岛社区/第1网格",
        "武昌区",
        "/",
        "[]",
        "{}",
        "null",
        "\"x\"",
        "[\"独居老人\"]",
        "elderly_alone",
        "1970-01-01",
        "9999-12-31",
        "\u{0}",
        "0",
        "-1",
        "1e309",
    ];
    if u.ratio(1, 2)? {
        Ok(u.choose(WORDS)?.to_string())
    } else {
        let s: &str = u.arbitrary()?;
        Ok(s.chars().take(64).collect())
    }
}

/// Any JSON value, nested at most `depth` deep.
pub fn arb_json(u: &mut Unstructured, depth: u32) -> ArbResult<Value> {
    Ok(match u.int_in_range(0..=8)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(*u.choose(&[
            0i64,
            -1,
            1,
            i64::MIN,
            i64::MAX,
            NOW,
            -NOW,
            u32::MAX as i64,
        ])?),
        3 => Value::from(u.arbitrary::<i64>()?),
        4 => Value::from(u.arbitrary::<f64>()?),
        5 | 6 => Value::String(arb_string(u)?),
        7 if depth > 0 => {
            let n = u.int_in_range(0..=3)?;
            Value::Array(
                (0..n)
                    .map(|_| arb_json(u, depth - 1))
                    .collect::<ArbResult<_>>()?,
            )
        }
        8 if depth > 0 => {
            let mut m = serde_json::Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                m.insert(arb_string(u)?, arb_json(u, depth - 1)?);
            }
            Value::Object(m)
        }
        _ => Value::Null,
    })
}

/// The demo station's areas named in its ops, the grids among them.
fn grids_of(ops: &[Op]) -> Vec<String> {
    let mut grids: Vec<String> = ops
        .iter()
        .filter(|o| o.entity == "area")
        .filter_map(|o| o.fields.get("path")?.as_str().map(str::to_string))
        .filter(|p| p.matches('/').count() == 3)
        .collect();
    grids.sort();
    grids.dedup();
    grids
}

fn make() -> Result<Fixture, Box<dyn std::error::Error>> {
    let dir = scratch();
    let demo = dir.path().join("demo").join("station.db");
    std::fs::create_dir_all(demo.parent().expect("a folder"))?;
    doorstep_server::demo::fill_sized(&demo, &KEY, NOW, RESIDENTS)?;
    let (ops, station_device) = {
        let d = Doorstep::open(&demo, &KEY)?;
        (d.pending_ops(1_000_000)?, d.device_id())
    };

    let phone = dir.path().join("phone").join("phone.db");
    std::fs::create_dir_all(phone.parent().expect("a folder"))?;
    {
        let d = Doorstep::open(&phone, &KEY)?;
        d.set_user(FUZZ_USER)?;
        for chunk in ops[..ops.len() / 2].chunks(500) {
            d.apply_remote(chunk)?;
        }
    }

    let grids = grids_of(&ops);
    let station = dir.path().join("station");
    std::fs::create_dir_all(&station)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let high_water = rt.block_on(async {
        let store = SqliteStorage::open(&station.join("doorstep.db"))?;
        let admin = Device {
            device_id: station_device,
            user: doorstep_server::station::STATION_USER.to_string(),
            role: Role::StationAdmin,
            areas: vec![],
            token_expires_at: i64::MAX,
            revoked: false,
        };
        for chunk in ops.chunks(1000) {
            doorstep_server::sync::push(&store, &admin, chunk, NOW).await?;
        }
        // The fuzz phone, enrolled with a known token for the blob target.
        store
            .create_enrolment(NewEnrolment {
                id: "fuzz-enrolment".into(),
                code_hash: doorstep_server::sync::enrol::hash("FUZZCODE"),
                user: FUZZ_USER.into(),
                role: Role::SocialWorker,
                areas: grids.first().cloned().into_iter().collect(),
                created_at: NOW - 1000,
                expires_at: NOW + 1000,
                token_ttl_ms: 365 * 86_400_000,
            })
            .await?;
        store
            .redeem_enrolment(
                &doorstep_server::sync::enrol::hash("FUZZCODE"),
                FUZZ_DEVICE,
                &doorstep_server::sync::enrol::hash(FUZZ_TOKEN),
                None,
                NOW - 500,
            )
            .await?;
        let n = store.op_count().await?;
        Ok::<_, Box<dyn std::error::Error>>(n as i64)
    })?;

    let mut values: HashMap<(String, String), Vec<Value>> = HashMap::new();
    let mut rows = Vec::new();
    for op in &ops {
        rows.push((op.entity.clone(), op.entity_id.clone()));
        for (f, v) in &op.fields {
            let seen = values.entry((op.entity.clone(), f.clone())).or_default();
            if seen.len() < 16 && !seen.contains(v) {
                seen.push(v.clone());
            }
        }
    }
    rows.sort();
    rows.dedup();
    Ok(Fixture {
        _dir: dir,
        phone,
        station,
        ops,
        values,
        rows,
        grids,
        high_water,
        rt,
    })
}

/// Writes each target's seed corpus under `root/<target>/` from the project's own data:
/// the demo station's ops as push bodies and pull pages, the built-in templates, sample
/// sheets in the encodings stations use, real passes, their QR images and photos.
pub fn write_seeds(fx: &Fixture, root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use doorstep_core::checkin::{pass, render};
    use doorstep_core::sync::protocol::{PullReply, PushRequest};
    let put = |target: &str, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)
    };
    let with_mode = |mode: u8, body: &[u8]| {
        let mut v = vec![mode];
        v.extend_from_slice(body);
        v
    };

    // Ops by entity, a few of each, so every entity's rules are in some seed.
    let mut by_entity: Vec<(String, Vec<Op>)> = Vec::new();
    for op in &fx.ops {
        match by_entity.iter_mut().find(|(e, _)| *e == op.entity) {
            Some((_, list)) if list.len() < 6 => list.push(op.clone()),
            Some(_) => {}
            None => by_entity.push((op.entity.clone(), vec![op.clone()])),
        }
    }
    for (i, (entity, ops)) in by_entity.iter().enumerate() {
        let mine: Vec<Op> = ops
            .iter()
            .map(|o| Op {
                device: FUZZ_DEVICE.into(),
                user: FUZZ_USER.into(),
                ..o.clone()
            })
            .collect();
        let body = serde_json::to_vec(&PushRequest { ops: mine })?;
        // Mode bytes: even is JSON; bits 1-2 the role (worker, marshal, runner, admin).
        for (role, mode) in [("worker", 0u8), ("runner", 4), ("admin", 6)] {
            put("push", &format!("{entity}-{role}"), &with_mode(mode, &body))?;
        }
        let page = PullReply {
            ops: ops.clone(),
            cursor: fx.high_water + i as i64,
            more: false,
            reset: false,
        };
        put(
            "pull_apply",
            entity,
            &with_mode(0, &serde_json::to_vec(&page)?),
        )?;
    }
    // Later ops (the phone holds the first half) as pages of twenty.
    let half = fx.ops.len() / 2;
    for (i, chunk) in fx.ops[half..].chunks(20).take(10).enumerate() {
        let page = PullReply {
            ops: chunk.to_vec(),
            cursor: (half + i * 20) as i64,
            more: true,
            reset: false,
        };
        put(
            "pull_apply",
            &format!("page-{i}"),
            &with_mode(0, &serde_json::to_vec(&page)?),
        )?;
    }
    for i in 0..8u8 {
        let bytes: Vec<u8> = (0..64u8)
            .map(|b| b.wrapping_mul(37).wrapping_add(i))
            .collect();
        put(
            "push",
            &format!("structured-{i}"),
            &with_mode(2 * i + 1, &bytes),
        )?;
        put(
            "pull_apply",
            &format!("structured-{i}"),
            &with_mode(1, &bytes),
        )?;
        put("blobs", &format!("steps-{i}"), &bytes)?;
    }

    for (name, src) in [
        (
            "elderly_alone",
            include_str!("../../core/src/visits/templates/elderly_alone.json"),
        ),
        (
            "severe_disability",
            include_str!("../../core/src/visits/templates/severe_disability.json"),
        ),
        (
            "child_in_hardship",
            include_str!("../../core/src/visits/templates/child_in_hardship.json"),
        ),
        (
            "stranded_worker",
            include_str!("../../core/src/visits/templates/stranded_worker.json"),
        ),
        (
            "general_household",
            include_str!("../../core/src/visits/templates/general_household.json"),
        ),
    ] {
        let mut v = src.as_bytes().to_vec();
        v.push(0);
        v.extend((0..200u8).map(|b| b.wrapping_mul(73)));
        put("template", name, &v)?;
    }

    let sheet = doorstep_core::sample::residents_csv(20, 7);
    put("csv_import", "utf8", sheet.as_bytes())?;
    put(
        "csv_import",
        "utf8-bom",
        &[b"\xEF\xBB\xBF".as_slice(), sheet.as_bytes()].concat(),
    )?;
    put("csv_import", "tabs", sheet.replace(',', "\t").as_bytes())?;
    put("csv_import", "gbk", &encoding_rs::GB18030.encode(&sheet).0)?;
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(sheet.encode_utf16().flat_map(u16::to_le_bytes));
    put("csv_import", "utf16le", &utf16)?;

    // Real passes, from the demo station's signing key.
    let demo = fx._dir.path().join("demo").join("station.db");
    let d = Doorstep::open(&demo, &KEY)?;
    let residents: Vec<&str> = fx
        .ops
        .iter()
        .filter(|o| o.entity == "resident")
        .map(|o| o.entity_id.as_str())
        .take(5)
        .collect();
    let mut texts = Vec::new();
    for (i, id) in residents.iter().enumerate() {
        let issued = d.issue_pass(id, NOW - 86_400_000, NOW + 86_400_000 * (i as i64 + 1))?;
        put("pass_decode", &format!("text-{i}"), issued.text.as_bytes())?;
        let signed = pass::decode(&issued.text).map_err(|e| format!("{e:?}"))?;
        put("pass_decode", &format!("bytes-{i}"), &signed.to_bytes())?;
        texts.push(issued.text);
    }
    drop(d);
    if let Some(text) = texts.first() {
        let png = render::qr_png(text, 4)?;
        put("image", "qr-png", &with_mode(1, &png))?;
        let img = image::load_from_memory(&png)?.into_luma8();
        let mut frame = with_mode(2, &(img.width() as u16).to_le_bytes());
        frame.extend_from_slice(img.as_raw());
        put("image", "qr-frame", &frame)?;
        // The same code as a photo: PNG in, JPEG out.
        put("image", "photo-png", &with_mode(0, &png))?;
        let jpeg = doorstep_core::deliveries::proof::photo_to_jpeg(&png)?;
        put("image", "photo-jpeg", &with_mode(0, &jpeg))?;
        put("image", "qr-jpeg", &with_mode(1, &jpeg))?;
    }
    Ok(())
}
