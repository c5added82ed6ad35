//! The sync wire format, shared by the phone client and the station server: JSON bodies
//! under `/api/v1/`. Changing a field here changes both ends at once.

use serde::{Deserialize, Serialize};

use crate::log::Op;

/// What an enrolled device may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Role {
    /// Visits households in their areas: registry, visits, needs, referrals.
    SocialWorker,
    /// Runs a testing-site queue: trust list, revocations, passes, scans, tubes.
    Marshal,
    /// Delivers packages: addresses and delivery data, never visit notes.
    Runner,
    /// Runs the station: every entity in every area.
    StationAdmin,
}

impl Role {
    /// The role's code, as in JSON and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Role::SocialWorker => "social_worker",
            Role::Marshal => "marshal",
            Role::Runner => "runner",
            Role::StationAdmin => "station_admin",
        }
    }

    /// The role named by `code`, if any.
    pub fn parse(code: &str) -> Option<Role> {
        [
            Role::SocialWorker,
            Role::Marshal,
            Role::Runner,
            Role::StationAdmin,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// `POST /api/v1/enrol`: trade a one-time code for a device token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolRequest {
    /// The code the admin handed out (case and dashes do not matter).
    #[cfg_attr(feature = "openapi", schema(pattern = "[A-Za-z0-9]", max_length = 100))]
    pub code: String,
    /// The phone's device id; every op it pushes must carry it.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._:-]{1,100}$"))]
    pub device_id: String,
    /// A device enrolled already that enrols again (its token expired, the station moved)
    /// proves it holds its token: `renewal_proof` of the token's hash and this code. The
    /// server enrols an existing device id only with it, so nobody takes over another
    /// device's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal: Option<String>,
}

/// A code as typed, the way both ends read it: letters and digits only, in capitals.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Hex SHA-256 of a token: what the server keeps of it.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    crate::hex::encode(&sha2::Sha256::digest(token.as_bytes()))
}

/// Proof that a device holds the token whose hash is `token_hash`, bound to one code: hex
/// HMAC-SHA256 keyed by the hash over the normalised code. The server checks it against
/// the hash it keeps; it shows nothing of the token, and serves no other code.
pub fn renewal_proof(token_hash: &str, code: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(token_hash.as_bytes())
            .expect("HMAC takes a key of any length");
    mac.update(normalize_code(code).as_bytes());
    crate::hex::encode(&mac.finalize().into_bytes())
}

/// Reply to an enrolment: the token (shown once; the server keeps only its hash) and the
/// scope it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolReply {
    pub token: String,
    pub device_id: String,
    pub user: String,
    pub role: Role,
    /// Area paths the device works in (empty for a station admin: everywhere).
    pub areas: Vec<String>,
    /// When the token stops working, ms since the epoch.
    pub token_expires_at: i64,
}

/// `POST /api/v1/push`: a batch of ops, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    /// At most `MAX_PUSH_OPS`; each gets its own verdict, so an op the server refuses
    /// (unknown entity, an id over `MAX_ID_BYTES`, a NUL) does not refuse the request.
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub ops: Vec<Op>,
}

/// The server's verdict on one pushed op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpVerdict {
    /// Stored (now or by an earlier push of the same op).
    Accepted,
    /// Not stored yet: it names a row the server does not know (its household may be in
    /// a batch still on the way). The phone keeps it pending and sends it again.
    Deferred { code: String, reason: String },
    /// Refused; the op stays on the phone with this reason.
    Rejected {
        /// Stable code (`forbidden_entity`, `out_of_scope`, `clock_ahead`, `invalid`,
        /// `wrong_device`, `wrong_user`).
        code: String,
        /// What was wrong, for the person who reviews it.
        reason: String,
    },
}

/// One op's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpResult {
    pub op_id: String,
    #[serde(flatten)]
    pub verdict: OpVerdict,
}

/// Reply to a push: one result per op, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushReply {
    pub results: Vec<OpResult>,
}

/// Reply to `GET /api/v1/pull?after=CURSOR&limit=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullReply {
    /// Ops in server order, filtered to the device's role and areas.
    pub ops: Vec<Op>,
    /// Where the next pull starts; every op at or below it has been sent or filtered out.
    pub cursor: i64,
    /// Whether more ops are waiting after `cursor`.
    pub more: bool,
    /// The cursor asked for is past everything the server holds (it was restored from an
    /// older backup): the device must pull again from 0, applying what it already has as
    /// duplicates, or it would miss what the server stores from now on. `cursor` is 0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
}

/// The body of every error reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable code (`unauthorized`, `enrolment_code_expired`, `too_large`, ...).
    pub code: String,
    /// What went wrong.
    pub message: String,
}

/// Most ops in one push.
pub const MAX_PUSH_OPS: usize = 1_000;
/// Most ops in one pull page.
pub const MAX_PULL_OPS: u32 = 5_000;

/// Longest reply a phone reads, bytes: a full pull page of large ops, or a whole blob,
/// fits many times over, and a hostile server cannot fill the phone's memory.
pub const MAX_REPLY_BYTES: usize = 32 * 1024 * 1024;
/// Longest op id, device id or row id, bytes. Ids are UUIDs or hex digests; the room
/// left is for ids other clients make, not for text.
pub const MAX_ID_BYTES: usize = 128;
/// Longest user name or entity name of an op, bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest string in an op's fields, bytes (a checklist template's JSON is under 10 KiB,
/// a visit's answers a few).
pub const MAX_FIELD_BYTES: usize = 256 * 1024;

/// Largest blob (a photo or a signature) the server keeps, bytes. Phones scale photos to
/// 1280 px JPEGs of a few hundred kilobytes, so this leaves room.
pub const MAX_BLOB_BYTES: u64 = 10 * 1024 * 1024;

/// Reply to `PUT /api/v1/blobs/{sha256}`: where this device's upload stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlobUpload {
    pub hash: String,
    /// Bytes the server holds of this upload (all of them once complete).
    pub received: u64,
    /// The blob's size.
    pub total: u64,
    /// Whether the blob is stored, its SHA-256 checked.
    pub complete: bool,
}
