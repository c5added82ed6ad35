//! The sync wire format, shared by the phone client and the station server: JSON bodies
//! under `/api/v1/`. Changing a field here changes both ends at once.

use serde::{Deserialize, Serialize};

use crate::log::Op;

/// What an enrolled device may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
pub struct EnrolRequest {
    /// The code the admin handed out (case and dashes do not matter).
    pub code: String,
    /// The phone's device id; every op it pushes must carry it.
    pub device_id: String,
}

/// Reply to an enrolment: the token (shown once; the server keeps only its hash) and the
/// scope it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct PushRequest {
    pub ops: Vec<Op>,
}

/// The server's verdict on one pushed op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpVerdict {
    /// Stored (now or by an earlier push of the same op).
    Accepted,
    /// Not stored yet: it names a row the server does not know (its household may be in
    /// a batch still on the way). The phone keeps it pending and sends it again.
    Deferred { code: String, reason: String },
    /// Refused; the op stays on the phone with this reason.
    Rejected {
        /// Stable code (`forbidden_entity`, `out_of_scope`, `invalid`, `unplaced`, ...).
        code: String,
        /// What was wrong, for the person who reviews it.
        reason: String,
    },
}

/// One op's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: String,
    #[serde(flatten)]
    pub verdict: OpVerdict,
}

/// Reply to a push: one result per op, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReply {
    pub results: Vec<OpResult>,
}

/// Reply to `GET /api/v1/pull?after=CURSOR&limit=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullReply {
    /// Ops in server order, filtered to the device's role and areas.
    pub ops: Vec<Op>,
    /// Where the next pull starts; every op at or below it has been sent or filtered out.
    pub cursor: i64,
    /// Whether more ops are waiting after `cursor`.
    pub more: bool,
}

/// The body of every error reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Largest blob (a photo or a signature) the server keeps, bytes. Phones scale photos to
/// 1280 px JPEGs of a few hundred kilobytes, so this leaves room.
pub const MAX_BLOB_BYTES: u64 = 10 * 1024 * 1024;

/// Reply to `PUT /api/v1/blobs/{sha256}`: where this device's upload stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobUpload {
    pub hash: String,
    /// Bytes the server holds of this upload (all of them once complete).
    pub received: u64,
    /// The blob's size.
    pub total: u64,
    /// Whether the blob is stored, its SHA-256 checked.
    pub complete: bool,
}
