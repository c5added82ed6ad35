//! The pass payload, version 1: 30 body bytes and an Ed25519 signature, written as
//! `DS1:` + Base45 so the QR code stays in alphanumeric mode. Pure functions, no store:
//! `docs/pass-format.md` describes the same bytes for verifiers in other languages.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// What every pass text starts with; the version is in it so a reader can tell formats
/// apart before decoding.
pub const PREFIX: &str = "DS1:";
/// The payload version this build writes and reads.
pub const VERSION: u8 = 1;
/// Bytes of the signed body.
pub const BODY_LEN: usize = 30;
/// Bytes of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Bytes of a whole payload.
pub const PAYLOAD_LEN: usize = BODY_LEN + SIGNATURE_LEN;
/// Characters of a pass text: the prefix and the Base45 of 94 bytes (47 pairs of 3).
pub const TEXT_LEN: usize = PREFIX.len() + PAYLOAD_LEN / 2 * 3;
/// Signed before the body, so a Doorstep signature can never be replayed as some other
/// protocol's message, nor another protocol's as a pass.
pub const DOMAIN: &[u8; 4] = b"DSP1";

/// Longest input the decoder looks at, in bytes as scanned (surrounding whitespace
/// included); anything longer is not a pass and is refused before any work is spent on
/// it, trimming included.
pub const MAX_INPUT: usize = 512;
/// Longest validity window a pass may have, in seconds: 366 days. Issuers refuse to sign
/// a longer one and readers refuse to admit one, even when a trusted key signed it.
pub const MAX_VALIDITY_S: u32 = 366 * 86_400;
/// Flag bits that carry meaning in version 1; the others must be zero.
const FLAG_MASK: u8 = 0b0000_1111;

/// First 4 bytes of SHA-256 of a public key: names the key in a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 4]);

/// A pass's random id, the unit of revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PassId(pub [u8; 8]);

/// The random reference all passes of one resident share; it reveals nothing about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentRef(pub [u8; 8]);

macro_rules! hex_id {
    ($t:ident, $n:expr) => {
        impl $t {
            /// Lower-case hex, as stored and shown.
            pub fn to_hex(&self) -> String {
                crate::hex::encode(&self.0)
            }

            /// Parses lower- or upper-case hex of the right length.
            pub fn from_hex(s: &str) -> Option<$t> {
                let mut out = [0u8; $n];
                crate::hex::decode_into(s, &mut out).then_some($t(out))
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
    };
}

hex_id!(KeyId, 4);
hex_id!(PassId, 8);
hex_id!(ResidentRef, 8);

/// Who goes to the priority lane, and why (老、幼、孕、残).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct PriorityFlags {
    pub elderly: bool,
    pub disability: bool,
    pub pregnancy: bool,
    pub child: bool,
}

impl PriorityFlags {
    /// The flags byte: bit 0 elderly, 1 disability, 2 pregnancy, 3 child.
    pub fn bits(self) -> u8 {
        self.elderly as u8
            | (self.disability as u8) << 1
            | (self.pregnancy as u8) << 2
            | (self.child as u8) << 3
    }

    /// Reads a flags byte, ignoring bits version 1 does not define.
    pub fn from_bits(bits: u8) -> PriorityFlags {
        PriorityFlags {
            elderly: bits & 1 != 0,
            disability: bits & 2 != 0,
            pregnancy: bits & 4 != 0,
            child: bits & 8 != 0,
        }
    }

    /// True when any flag is set: the holder goes to the priority lane.
    pub fn any(self) -> bool {
        self.bits() != 0
    }
}

/// The signed part of a pass. Times are Unix seconds (UTC); the pass is valid while
/// `valid_from <= now < valid_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassBody {
    pub key_id: KeyId,
    pub pass_id: PassId,
    pub resident_ref: ResidentRef,
    pub valid_from: u32,
    pub valid_until: u32,
    pub priority: PriorityFlags,
}

impl PassBody {
    /// The 30 body bytes, big-endian, in the documented order.
    pub fn to_bytes(&self) -> [u8; BODY_LEN] {
        let mut b = [0u8; BODY_LEN];
        b[0] = VERSION;
        b[1..5].copy_from_slice(&self.key_id.0);
        b[5..13].copy_from_slice(&self.pass_id.0);
        b[13..21].copy_from_slice(&self.resident_ref.0);
        b[21..25].copy_from_slice(&self.valid_from.to_be_bytes());
        b[25..29].copy_from_slice(&self.valid_until.to_be_bytes());
        b[29] = self.priority.bits();
        b
    }

    /// What the signature covers: the domain prefix, then the body.
    pub fn signed_message(&self) -> [u8; DOMAIN.len() + BODY_LEN] {
        let mut m = [0u8; DOMAIN.len() + BODY_LEN];
        m[..DOMAIN.len()].copy_from_slice(DOMAIN);
        m[DOMAIN.len()..].copy_from_slice(&self.to_bytes());
        m
    }
}

/// A body with its signature: what a pass carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedPass {
    pub body: PassBody,
    pub signature: [u8; SIGNATURE_LEN],
}

impl SignedPass {
    /// The 94 payload bytes.
    pub fn to_bytes(&self) -> [u8; PAYLOAD_LEN] {
        let mut b = [0u8; PAYLOAD_LEN];
        b[..BODY_LEN].copy_from_slice(&self.body.to_bytes());
        b[BODY_LEN..].copy_from_slice(&self.signature);
        b
    }

    /// The text put in the QR code: `DS1:` and the Base45 of the payload, 145 characters,
    /// all in the QR alphanumeric set.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(TEXT_LEN);
        s.push_str(PREFIX);
        s.push_str(&base45::encode(self.to_bytes()));
        s
    }

    /// True when `key` made the signature. Strict verification refuses malleable
    /// signatures and weak keys, so one pass has exactly one valid signature.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let sig = Signature::from_bytes(&self.signature);
        // Cofactorless with a reduced S; R is compared as encoded, so without the secret
        // no second signature of a pass can be made. The strict check's extra point
        // decompression only refuses small-order R or keys, which a trusted station key
        // is not (checked when it is trusted) and which a forger cannot use.
        key.verify(&self.body.signed_message(), &sig).is_ok()
    }
}

/// Why a text is not a pass at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Nothing was scanned.
    Empty,
    /// Longer than any pass; the length in bytes is given.
    TooLong(usize),
    /// Some other QR code (a URL, a payment code): it lacks the `DS1:` prefix.
    NoPrefix,
    /// The part after the prefix is not Base45.
    NotBase45,
    /// The payload has this many bytes instead of 94.
    Length(usize),
    /// The payload says another version.
    Version(u8),
    /// Flag bits that version 1 does not define are set.
    ReservedFlags(u8),
    /// The validity window ends before it begins or is longer than 366 days; the window
    /// as (valid_from, valid_until) in Unix seconds.
    Window(u32, u32),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Empty => write!(f, "nothing was scanned"),
            Unreadable::TooLong(n) => write!(
                f,
                "{n} bytes is longer than any pass ({MAX_INPUT} at most, whitespace included)"
            ),
            Unreadable::NoPrefix => write!(f, "not a Doorstep pass (no {PREFIX} prefix)"),
            Unreadable::NotBase45 => write!(f, "the pass text is not Base45"),
            Unreadable::Length(n) => {
                write!(
                    f,
                    "the pass has {n} bytes, a version 1 pass has {PAYLOAD_LEN}"
                )
            }
            Unreadable::Version(v) => write!(f, "pass version {v} is not supported"),
            Unreadable::ReservedFlags(b) => write!(f, "pass flags {b:#04x} set undefined bits"),
            Unreadable::Window(from, until) if until <= from => write!(
                f,
                "the pass's validity window ends ({until}) before it begins ({from})"
            ),
            Unreadable::Window(from, until) => write!(
                f,
                "the pass is valid for {} days, longer than the {} a pass may be",
                (until - from).div_ceil(86_400),
                MAX_VALIDITY_S / 86_400
            ),
        }
    }
}

/// Reads a pass text as a scanner gives it. Input over [`MAX_INPUT`] bytes is refused
/// before anything else; then ASCII whitespace around the text (space, tab, LF, FF, CR) is
/// ignored, and no other character is. Checks only the form and the window's length; the
/// signature, key and dates are the scan's business.
pub fn decode(text: &str) -> Result<SignedPass, Unreadable> {
    if text.len() > MAX_INPUT {
        return Err(Unreadable::TooLong(text.len()));
    }
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return Err(Unreadable::Empty);
    }
    let rest = text.strip_prefix(PREFIX).ok_or(Unreadable::NoPrefix)?;
    let bytes = base45::decode(rest).map_err(|_| Unreadable::NotBase45)?;
    decode_bytes(&bytes)
}

/// Reads the 94 payload bytes, refusing a window that is empty or longer than 366 days.
pub fn decode_bytes(b: &[u8]) -> Result<SignedPass, Unreadable> {
    if b.len() != PAYLOAD_LEN {
        return Err(Unreadable::Length(b.len()));
    }
    if b[0] != VERSION {
        return Err(Unreadable::Version(b[0]));
    }
    if b[29] & !FLAG_MASK != 0 {
        return Err(Unreadable::ReservedFlags(b[29]));
    }
    let arr = |r: std::ops::Range<usize>| -> [u8; 8] {
        let mut out = [0u8; 8];
        out.copy_from_slice(&b[r]);
        out
    };
    let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (valid_from, valid_until) = (u32_at(21), u32_at(25));
    if valid_until <= valid_from || valid_until - valid_from > MAX_VALIDITY_S {
        return Err(Unreadable::Window(valid_from, valid_until));
    }
    let mut signature = [0u8; SIGNATURE_LEN];
    signature.copy_from_slice(&b[BODY_LEN..]);
    Ok(SignedPass {
        body: PassBody {
            key_id: KeyId([b[1], b[2], b[3], b[4]]),
            pass_id: PassId(arr(5..13)),
            resident_ref: ResidentRef(arr(13..21)),
            valid_from,
            valid_until,
            priority: PriorityFlags::from_bits(b[29]),
        },
        signature,
    })
}

/// The key id of a public key.
pub fn key_id_of(public: &[u8; 32]) -> KeyId {
    let digest = Sha256::digest(public);
    KeyId([digest[0], digest[1], digest[2], digest[3]])
}

/// A station's signing key. Lives in the encrypted store of the phone that made it.
pub struct StationKey(SigningKey);

impl StationKey {
    /// A new key from the system's random source.
    pub fn generate() -> Result<StationKey, String> {
        let mut secret = [0u8; 32];
        fill_random(&mut secret)?;
        Ok(StationKey(SigningKey::from_bytes(&secret)))
    }

    /// The key with this 32-byte secret.
    pub fn from_secret(secret: &[u8; 32]) -> StationKey {
        StationKey(SigningKey::from_bytes(secret))
    }

    /// The 32-byte secret, for the store.
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The 32-byte public key, for the trust list.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// The id passes name this key by.
    pub fn key_id(&self) -> KeyId {
        key_id_of(&self.public())
    }

    /// Signs a body. The body's key id is not checked: tests sign with a wrong one on
    /// purpose.
    pub fn sign(&self, body: PassBody) -> SignedPass {
        SignedPass {
            body,
            signature: self.0.sign(&body.signed_message()).to_bytes(),
        }
    }
}

/// Fills `buf` from the operating system's random source.
pub fn fill_random(buf: &mut [u8]) -> Result<(), String> {
    getrandom::fill(buf).map_err(|e| format!("the system random source failed: {e}"))
}

/// Parses 64 hex digits into a 32-byte key.
pub fn key_from_hex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    crate::hex::decode_into(s.trim(), &mut out).then_some(out)
}
