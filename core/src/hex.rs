//! Lower-case hex, the one text form of bytes across Doorstep: keys, pass ids, hashes,
//! tokens.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Bytes as lower-case hex, two digits a byte.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Fills `out` from exactly `2 * out.len()` hex digits of either case; false (with `out`
/// partly written) for any other text.
pub fn decode_into(s: &str, out: &mut [u8]) -> bool {
    let s = s.as_bytes();
    if s.len() != out.len() * 2 {
        return false;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    for (i, o) in out.iter_mut().enumerate() {
        match (digit(s[2 * i]), digit(s[2 * i + 1])) {
            (Some(h), Some(l)) => *o = h << 4 | l,
            _ => return false,
        }
    }
    true
}

/// The bytes of an even number of hex digits, or `None`.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let mut out = vec![0u8; s.len() / 2];
    decode_into(s, &mut out).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_hex() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(encode(&bytes), "000fa5ff");
        assert_eq!(decode("000FA5ff"), Some(bytes.to_vec()));
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("abc"), None);
        assert_eq!(decode("zz"), None);
        assert_eq!(decode("é0"), None);
    }
}
