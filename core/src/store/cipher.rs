//! The page crypto of SQLCipher, in Rust: AES-256-CBC, HMAC and PBKDF2 over SHA-1, SHA-256
//! or SHA-512, and IVs from the operating system's random source. SQLCipher is compiled to
//! take this as its provider (`SQLCIPHER_CRYPTO_CUSTOM` in `.cargo/config.toml`) instead of
//! OpenSSL, whose algorithm tables made up a quarter of the phone library. The file format
//! is SQLCipher's own, so stores written with OpenSSL open unchanged.

use std::ffi::{c_char, c_int, c_void};

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

const OK: c_int = 0;
const ERROR: c_int = 1;

// SQLCipher's codes for modes and algorithms (sqlcipher.h).
const ENCRYPT: c_int = 1;
const SHA1: c_int = 0;
const SHA256: c_int = 1;
const SHA512: c_int = 2;

const KEY_SZ: c_int = 32;
const BLOCK_SZ: c_int = 16;

/// SQLCipher's `sqlcipher_provider`, field for field.
#[repr(C)]
pub struct Provider {
    init: Option<unsafe extern "C" fn() -> c_int>,
    shutdown: Option<unsafe extern "C" fn()>,
    get_provider_name: unsafe extern "C" fn(*mut c_void) -> *const c_char,
    add_random: unsafe extern "C" fn(*mut c_void, *const c_void, c_int) -> c_int,
    random: unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int,
    hmac: unsafe extern "C" fn(
        *mut c_void,
        c_int,
        *const u8,
        c_int,
        *const u8,
        c_int,
        *const u8,
        c_int,
        *mut u8,
    ) -> c_int,
    kdf: unsafe extern "C" fn(
        *mut c_void,
        c_int,
        *const u8,
        c_int,
        *const u8,
        c_int,
        c_int,
        c_int,
        *mut u8,
    ) -> c_int,
    cipher: unsafe extern "C" fn(
        *mut c_void,
        c_int,
        *const u8,
        c_int,
        *const u8,
        *const u8,
        c_int,
        *mut u8,
    ) -> c_int,
    get_cipher: unsafe extern "C" fn(*mut c_void) -> *const c_char,
    get_key_sz: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_iv_sz: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_block_sz: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_hmac_sz: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
    ctx_init: unsafe extern "C" fn(*mut *mut c_void) -> c_int,
    ctx_free: unsafe extern "C" fn(*mut *mut c_void) -> c_int,
    fips_status: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_provider_version: unsafe extern "C" fn(*mut c_void) -> *const c_char,
    next: *mut Provider,
}

/// Fills in the provider SQLCipher asks for when it initialises.
///
/// # Safety
/// `p` points to a writable `sqlcipher_provider`, as SQLCipher passes it.
#[no_mangle]
pub unsafe extern "C" fn doorstep_sqlcipher_setup(p: *mut Provider) -> c_int {
    if p.is_null() {
        return ERROR;
    }
    p.write(Provider {
        init: None,
        shutdown: None,
        get_provider_name,
        add_random,
        random,
        hmac,
        kdf,
        cipher,
        get_cipher,
        get_key_sz,
        get_iv_sz,
        get_block_sz,
        get_hmac_sz,
        ctx_init,
        ctx_free,
        fips_status,
        get_provider_version,
        next: std::ptr::null_mut(),
    });
    OK
}

/// Whether the provider above is linked in; `store::open` asks, which keeps it in every
/// binary that opens a store (the linker would otherwise drop it before SQLCipher's
/// reference to it is seen).
pub fn linked() -> bool {
    let setup: unsafe extern "C" fn(*mut Provider) -> c_int = doorstep_sqlcipher_setup;
    std::hint::black_box(setup as usize) != 0
}

extern "C" {
    // SQLCipher's own start-up; it does nothing once done.
    fn sqlcipher_extra_init(arg: *const c_char) -> c_int;
}

/// Waits until SQLCipher has started. SQLite reports itself initialised before it runs
/// SQLCipher's start-up, so a thread keying its first connection while another thread
/// starts SQLite could find the cipher not ready and be refused ("An error occurred with
/// PRAGMA key"). SQLCipher's start-up holds SQLite's main mutex, so this waits for one
/// under way, or runs it. False when either fails.
pub fn ready() -> bool {
    // SAFETY: both are safe to call from any thread at any time and repeatedly.
    unsafe {
        rusqlite::ffi::sqlite3_initialize() == OK && sqlcipher_extra_init(std::ptr::null()) == OK
    }
}

/// A slice from a pointer and a C length; empty for a null pointer or a negative length.
unsafe fn bytes<'a>(p: *const u8, len: c_int) -> Option<&'a [u8]> {
    match usize::try_from(len) {
        Ok(0) => Some(&[]),
        Ok(n) if !p.is_null() => Some(std::slice::from_raw_parts(p, n)),
        _ => None,
    }
}

unsafe extern "C" fn get_provider_name(_: *mut c_void) -> *const c_char {
    c"doorstep".as_ptr()
}

unsafe extern "C" fn get_provider_version(_: *mut c_void) -> *const c_char {
    c"1".as_ptr()
}

unsafe extern "C" fn get_cipher(_: *mut c_void) -> *const c_char {
    c"aes-256-cbc".as_ptr()
}

unsafe extern "C" fn add_random(_: *mut c_void, _: *const c_void, _: c_int) -> c_int {
    // The operating system's source needs no seeding.
    OK
}

unsafe extern "C" fn random(_: *mut c_void, buffer: *mut c_void, length: c_int) -> c_int {
    let Ok(n) = usize::try_from(length) else {
        return ERROR;
    };
    if n == 0 {
        return OK;
    }
    if buffer.is_null() {
        return ERROR;
    }
    let out = std::slice::from_raw_parts_mut(buffer.cast::<u8>(), n);
    match getrandom::fill(out) {
        Ok(()) => OK,
        Err(_) => ERROR,
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: [&[u8]; 2], out: *mut u8) -> c_int {
    let Ok(mut m) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return ERROR;
    };
    for part in parts {
        m.update(part);
    }
    let tag = m.finalize().into_bytes();
    // SAFETY: SQLCipher gives room for `get_hmac_sz` bytes, the tag's length.
    unsafe { std::ptr::copy_nonoverlapping(tag.as_ptr(), out, tag.len()) };
    OK
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn hmac(
    _: *mut c_void,
    algorithm: c_int,
    key: *const u8,
    key_sz: c_int,
    input: *const u8,
    in_sz: c_int,
    input2: *const u8,
    in2_sz: c_int,
    out: *mut u8,
) -> c_int {
    if input.is_null() || out.is_null() {
        return ERROR;
    }
    let (Some(key), Some(a)) = (bytes(key, key_sz), bytes(input, in_sz)) else {
        return ERROR;
    };
    let b = if input2.is_null() {
        &[][..]
    } else {
        match bytes(input2, in2_sz) {
            Some(b) => b,
            None => return ERROR,
        }
    };
    match algorithm {
        SHA1 => mac::<Hmac<Sha1>>(key, [a, b], out),
        SHA256 => mac::<Hmac<Sha256>>(key, [a, b], out),
        SHA512 => mac::<Hmac<Sha512>>(key, [a, b], out),
        _ => ERROR,
    }
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn kdf(
    _: *mut c_void,
    algorithm: c_int,
    pass: *const u8,
    pass_sz: c_int,
    salt: *const u8,
    salt_sz: c_int,
    workfactor: c_int,
    key_sz: c_int,
    key: *mut u8,
) -> c_int {
    let (Some(pass), Some(salt), Ok(rounds), Ok(n)) = (
        bytes(pass, pass_sz),
        bytes(salt, salt_sz),
        u32::try_from(workfactor),
        usize::try_from(key_sz),
    ) else {
        return ERROR;
    };
    if key.is_null() || rounds == 0 {
        return ERROR;
    }
    let out = std::slice::from_raw_parts_mut(key, n);
    let done = match algorithm {
        SHA1 => pbkdf2::pbkdf2::<Hmac<Sha1>>(pass, salt, rounds, out),
        SHA256 => pbkdf2::pbkdf2::<Hmac<Sha256>>(pass, salt, rounds, out),
        SHA512 => pbkdf2::pbkdf2::<Hmac<Sha512>>(pass, salt, rounds, out),
        _ => return ERROR,
    };
    if done.is_ok() {
        OK
    } else {
        ERROR
    }
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn cipher(
    _: *mut c_void,
    mode: c_int,
    key: *const u8,
    key_sz: c_int,
    iv: *const u8,
    input: *const u8,
    in_sz: c_int,
    out: *mut u8,
) -> c_int {
    let (Some(key), Some(iv), Ok(n)) = (
        bytes(key, key_sz),
        bytes(iv, BLOCK_SZ),
        usize::try_from(in_sz),
    ) else {
        return ERROR;
    };
    if input.is_null() || out.is_null() || n % BLOCK_SZ as usize != 0 {
        return ERROR;
    }
    // SQLCipher passes whole pages (no padding), in and out never overlapping.
    let src = std::slice::from_raw_parts(input, n);
    let dst = std::slice::from_raw_parts_mut(out, n);
    let done = if mode == ENCRYPT {
        cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_b2b_mut::<aes::cipher::block_padding::NoPadding>(src, dst))
            .map(|r| r.is_ok())
    } else {
        cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map(|c| c.decrypt_padded_b2b_mut::<aes::cipher::block_padding::NoPadding>(src, dst))
            .map(|r| r.is_ok())
    };
    match done {
        Ok(true) => OK,
        _ => ERROR,
    }
}

unsafe extern "C" fn get_key_sz(_: *mut c_void) -> c_int {
    KEY_SZ
}

unsafe extern "C" fn get_iv_sz(_: *mut c_void) -> c_int {
    BLOCK_SZ
}

unsafe extern "C" fn get_block_sz(_: *mut c_void) -> c_int {
    BLOCK_SZ
}

unsafe extern "C" fn get_hmac_sz(_: *mut c_void, algorithm: c_int) -> c_int {
    match algorithm {
        SHA1 => 20,
        SHA256 => 32,
        SHA512 => 64,
        _ => 0,
    }
}

unsafe extern "C" fn ctx_init(ctx: *mut *mut c_void) -> c_int {
    // Nothing is kept between calls.
    if !ctx.is_null() {
        *ctx = std::ptr::null_mut();
    }
    OK
}

unsafe extern "C" fn ctx_free(_: *mut *mut c_void) -> c_int {
    OK
}

unsafe extern "C" fn fips_status(_: *mut c_void) -> c_int {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_256_cbc_matches_the_nist_vector() {
        // NIST SP 800-38A F.2.5, CBC-AES256.Encrypt, first block.
        let key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let plain = hex("6bc1bee22e409f96e93d7e117393172a");
        let mut out = [0u8; 16];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                ENCRYPT,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                plain.as_ptr(),
                16,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, OK);
        assert_eq!(out.to_vec(), hex("f58c4c04d6e5f1ba779eabfb5f7bfbd6"));
        let mut back = [0u8; 16];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                0,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                out.as_ptr(),
                16,
                back.as_mut_ptr(),
            )
        };
        assert_eq!((rc, back.to_vec()), (OK, plain));
    }

    #[test]
    fn a_partial_block_or_a_null_buffer_is_an_error_not_a_crash() {
        let key = [1u8; 32];
        let iv = [2u8; 16];
        let mut out = [0u8; 32];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                ENCRYPT,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                out.as_ptr(),
                15,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, ERROR);
        let rc = unsafe { random(std::ptr::null_mut(), std::ptr::null_mut(), 16) };
        assert_eq!(rc, ERROR);
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test case 2, split in two parts as SQLCipher passes page and page number.
        let mut out = [0u8; 32];
        let (a, b) = (b"what do ya want ", b"for nothing?");
        let rc = unsafe {
            hmac(
                std::ptr::null_mut(),
                SHA256,
                b"Jefe".as_ptr(),
                4,
                a.as_ptr(),
                a.len() as c_int,
                b.as_ptr(),
                b.len() as c_int,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, OK);
        assert_eq!(
            out.to_vec(),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
    }

    fn mac_of(algorithm: c_int, key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; unsafe { get_hmac_sz(std::ptr::null_mut(), algorithm) } as usize];
        let rc = unsafe {
            hmac(
                std::ptr::null_mut(),
                algorithm,
                key.as_ptr(),
                key.len() as c_int,
                data.as_ptr(),
                data.len() as c_int,
                std::ptr::null(),
                0,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, OK);
        out
    }

    #[test]
    fn hmac_sha1_and_sha512_match_rfc_2202_and_4231() {
        // Test case 2 of each: key "Jefe".
        let data = b"what do ya want for nothing?";
        assert_eq!(
            mac_of(SHA1, b"Jefe", data),
            hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
        assert_eq!(
            mac_of(SHA512, b"Jefe", data),
            hex("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")
        );
        // Test case 1: a 20-byte key of 0x0b.
        assert_eq!(
            mac_of(SHA1, &[0x0b; 20], b"Hi There"),
            hex("b617318655057264e28bc0b6fb378c8ef146be00")
        );
        assert_eq!(
            mac_of(SHA512, &[0x0b; 20], b"Hi There"),
            hex("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
        );
    }

    fn kdf_of(algorithm: c_int, pass: &[u8], salt: &[u8], rounds: c_int, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        let rc = unsafe {
            kdf(
                std::ptr::null_mut(),
                algorithm,
                pass.as_ptr(),
                pass.len() as c_int,
                salt.as_ptr(),
                salt.len() as c_int,
                rounds,
                len as c_int,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, OK);
        out
    }

    #[test]
    fn pbkdf2_matches_rfc_6070_and_known_sha512_vectors() {
        // RFC 6070, PBKDF2-HMAC-SHA1.
        assert_eq!(
            kdf_of(SHA1, b"password", b"salt", 1, 20),
            hex("0c60c80f961f0e71f3a9b524af6012062fe037a6")
        );
        assert_eq!(
            kdf_of(SHA1, b"password", b"salt", 4096, 20),
            hex("4b007901b765489abead49d926f721d065a429c1")
        );
        assert_eq!(
            kdf_of(
                SHA1,
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                25
            ),
            hex("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")
        );
        // PBKDF2-HMAC-SHA512 (SQLCipher 4's default) and -SHA256, as OpenSSL computes them.
        assert_eq!(
            kdf_of(SHA512, b"password", b"salt", 1, 64),
            hex("867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce")
        );
        assert_eq!(
            kdf_of(SHA512, b"password", b"salt", 4096, 64),
            hex("d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5")
        );
        assert_eq!(
            kdf_of(SHA256, b"password", b"salt", 4096, 32),
            hex("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
        );
    }

    #[test]
    fn the_ciphers_key_schedules_are_wiped_when_dropped() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<aes::Aes256>();
        wiped_on_drop::<cbc::Encryptor<aes::Aes256>>();
        wiped_on_drop::<cbc::Decryptor<aes::Aes256>>();
    }

    fn hex(s: &str) -> Vec<u8> {
        crate::hex::decode(s).unwrap()
    }
}
