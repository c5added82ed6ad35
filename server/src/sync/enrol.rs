//! Enrolment codes and device tokens. A code is short enough to read out or type
//! (ten letters and digits, no look-alikes), works once and expires; the token it
//! yields is 256 random bits. The server keeps only SHA-256 hashes of both.

use doorstep_core::sync::Role;

use crate::storage::{NewEnrolment, Storage, StoreError, StoreResult};

/// Letters and digits that cannot be mistaken for each other (no 0/O, 1/I/L, U).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
const CODE_LEN: usize = 10;

/// How long a code stays usable unless told otherwise.
pub const DEFAULT_CODE_TTL_MS: i64 = 24 * 3_600_000;
/// How long a device token lasts unless told otherwise.
pub const DEFAULT_TOKEN_TTL_MS: i64 = 90 * 86_400_000;

/// Hex SHA-256 of a secret.
pub fn hash(secret: &str) -> String {
    doorstep_core::sync::protocol::token_hash(secret)
}

/// Whether two secrets (CSRF tokens, proofs) are equal, in time that depends on their
/// lengths only, so a guesser cannot learn a secret byte by byte from reply times.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn random_bytes<const N: usize>() -> StoreResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StoreError::Backend(format!("no randomness: {e}")))?;
    Ok(b)
}

/// A code as typed: capitals, no dashes or spaces.
pub fn normalize(code: &str) -> String {
    doorstep_core::sync::protocol::normalize_code(code)
}

/// A fresh device token (64 hex digits).
pub fn new_token() -> StoreResult<String> {
    Ok(doorstep_core::hex::encode(&random_bytes::<32>()?))
}

/// What an admin asks for.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    pub user: String,
    pub role: Role,
    pub areas: Vec<String>,
    pub code_ttl_ms: i64,
    pub token_ttl_ms: i64,
}

/// Longest user name, characters: every op the device writes carries it.
pub const MAX_USER_CHARS: usize = 64;
/// Most areas of one enrolment.
pub const MAX_AREAS: usize = 100;
/// Longest life of a code (ten years) and of a token (3,650 days), ms.
pub const MAX_CODE_TTL_MS: i64 = 5_256_000 * 60_000;
pub const MAX_TOKEN_TTL_MS: i64 = 3_650 * 86_400_000;

/// Spaces, control characters and the other blanks a name cannot consist of alone; the
/// API document's pattern for `user` lists the same.
fn blank(c: char) -> bool {
    c <= ' '
        || ('\u{7f}'..='\u{a0}').contains(&c)
        || matches!(
            c,
            '\u{1680}' | '\u{2000}'
                ..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
                    | '\u{feff}'
        )
}

/// Checks an enrolment request: a user, and areas unless the role is station admin. The
/// same rules are in the API document (`NewCode`).
pub fn check_request(r: &CodeRequest) -> Result<(), String> {
    if r.user.chars().all(blank) {
        return Err("user must not be empty".into());
    }
    if r.user.chars().count() > MAX_USER_CHARS || r.user.chars().any(char::is_control) {
        return Err(format!(
            "user must be at most {MAX_USER_CHARS} characters, none of them control characters"
        ));
    }
    if r.role != Role::StationAdmin && r.areas.is_empty() {
        return Err(format!("a {} needs at least one area", r.role.code()));
    }
    if r.areas.len() > MAX_AREAS {
        return Err(format!("at most {MAX_AREAS} areas"));
    }
    if let Some(a) = r.areas.iter().find(|a| {
        a.is_empty()
            || a.starts_with('/')
            || a.ends_with('/')
            || a.contains("//")
            || a.chars().any(char::is_control)
    }) {
        return Err(format!(
            "area path {a:?} is malformed (write 区/街道/社区/网格)"
        ));
    }
    if !(1..=MAX_CODE_TTL_MS).contains(&r.code_ttl_ms)
        || !(1..=MAX_TOKEN_TTL_MS).contains(&r.token_ttl_ms)
    {
        return Err(
            "code and token lifetimes must be positive, at most 10 years and 3,650 days".into(),
        );
    }
    Ok(())
}

/// Creates a one-time code and returns it, formatted `ABCDE-FGHJK`.
pub async fn create_code(store: &dyn Storage, r: &CodeRequest, now_ms: i64) -> StoreResult<String> {
    check_request(r).map_err(StoreError::Backend)?;
    let raw = random_bytes::<CODE_LEN>()?;
    let code: String = raw
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    store
        .create_enrolment(NewEnrolment {
            id: doorstep_core::hex::encode(&random_bytes::<16>()?),
            code_hash: hash(&code),
            user: r.user.clone(),
            role: r.role,
            areas: r.areas.clone(),
            created_at: now_ms,
            expires_at: now_ms.saturating_add(r.code_ttl_ms),
            token_ttl_ms: r.token_ttl_ms,
        })
        .await?;
    Ok(format!("{}-{}", &code[..5], &code[5..]))
}
