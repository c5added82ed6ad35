//! Turning what the phone captured into stored proof: delivery PINs kept as salted
//! hashes, camera photos made small and stripped of metadata, signatures drawn to PNG,
//! and the content-addressed blobs that hold the images until sync uploads them.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, Limits, Luma};
use sha2::{Digest, Sha256};

use super::model::{SignaturePoint as Point, SignatureStroke};
use crate::checkin::pass::fill_random;
use crate::error::{Error, Result};
use crate::hex;

/// Digits in a delivery PIN.
pub const PIN_LEN: usize = 6;

/// Largest camera image accepted, in bytes; checked before anything is decoded. A
/// 12-megapixel JPEG is 3 to 8 MB.
pub const MAX_PHOTO_BYTES: usize = 25 * 1024 * 1024;

/// Longest side of a stored photo, in pixels.
pub const MAX_SIDE: u32 = 1280;

/// Largest image decoded, per side, and the most memory a decode may take: a phone's
/// camera stays well under both, a crafted header claiming more is refused up front.
const MAX_DECODE_SIDE: u32 = 12_000;
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// JPEG quality of stored photos: small enough to sync on a poor link, clear enough to
/// see a face and a package.
const JPEG_QUALITY: u8 = 80;

/// Signature canvas limits and stroke width, in pixels.
const MAX_CANVAS: u32 = 2000;
const MAX_POINTS: usize = 20_000;
const PEN: i64 = 2;

/// A new random PIN and its salt.
pub fn new_pin() -> Result<(String, String)> {
    let mut buf = [0u8; 8 + 16];
    fill_random(&mut buf).map_err(|e| Error::invalid(format!("no randomness for a PIN: {e}")))?;
    let n = u64::from_be_bytes(buf[..8].try_into().expect("8 bytes")) % 1_000_000;
    Ok((format!("{n:0PIN_LEN$}"), hex::encode(&buf[8..])))
}

/// The stored form of a PIN: SHA-256 over a domain tag, the salt and the PIN, hex.
pub fn pin_hash(salt: &str, pin: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"doorstep-pin\0");
    h.update(salt.as_bytes());
    h.update(b"\0");
    h.update(pin.as_bytes());
    hex::encode(&h.finalize())
}

/// Compares without stopping at the first difference, so timing tells nothing.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// SHA-256 of bytes, hex: a blob's address.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes))
}

/// Whether `s` is a blob address: 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A camera photo made fit to keep: at most `MAX_SIDE` px on its longest side, turned
/// upright, re-encoded as JPEG. Re-encoding from pixels writes no EXIF, so the GPS
/// position and everything else the camera added is gone.
pub fn photo_to_jpeg(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(Error::invalid(format!(
            "photo is {} bytes, more than the {MAX_PHOTO_BYTES} accepted",
            bytes.len()
        )));
    }
    if bytes.is_empty() {
        return Err(Error::invalid("photo is empty"));
    }
    let format = image::guess_format(bytes)
        .ok()
        .filter(|f| matches!(f, ImageFormat::Jpeg | ImageFormat::Png))
        .ok_or_else(|| Error::invalid("photo is not a JPEG or PNG image"))?;
    // The JPEG decoder fills a cut-off image with grey; a photo cut off in transfer
    // proves nothing, so it is refused.
    if format == ImageFormat::Jpeg && !jpeg_complete(bytes) {
        return Err(Error::invalid(
            "photo cannot be decoded: the JPEG is truncated (no end of image)",
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let bad = |e: image::ImageError| Error::invalid(format!("photo cannot be decoded: {e}"));
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(bad)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    if img.width() > MAX_SIDE || img.height() > MAX_SIDE {
        // thumbnail averages whole source pixels: fast on 12 MP and sharp enough.
        img = img.thumbnail(MAX_SIDE, MAX_SIDE);
    }
    let rgb = img.to_rgb8();
    let mut out = Vec::with_capacity(256 * 1024);
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| Error::invalid(format!("photo cannot be encoded: {e}")))?;
    Ok(out)
}

/// Whether a JPEG's segments lead to its end-of-image marker. Walks the segments by
/// their lengths and the entropy-coded data by its markers, so the end marker of an
/// embedded EXIF thumbnail, or data appended after the image, is not mistaken for it.
fn jpeg_complete(b: &[u8]) -> bool {
    let mut i = 2;
    while i + 1 < b.len() {
        if b[i] != 0xFF {
            return false;
        }
        let marker = b[i + 1];
        match marker {
            0xD9 => return true,
            0xFF => i += 1,
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let Some(len) = b.get(i + 2..i + 4) else {
                    return false;
                };
                i += 2 + u16::from_be_bytes([len[0], len[1]]) as usize;
                if marker == 0xDA {
                    // Entropy-coded data runs to the next marker that is not a stuffed
                    // zero or a restart.
                    while i + 1 < b.len()
                        && (b[i] != 0xFF || matches!(b[i + 1], 0x00 | 0xD0..=0xD7))
                    {
                        i += 1;
                    }
                }
            }
        }
    }
    false
}

/// Draws a signature's strokes, black on white, and encodes it as PNG.
pub fn signature_png(width: u32, height: u32, strokes: &[SignatureStroke]) -> Result<Vec<u8>> {
    if width == 0 || height == 0 || width > MAX_CANVAS || height > MAX_CANVAS {
        return Err(Error::invalid(format!(
            "signature canvas {width}×{height} must be 1 to {MAX_CANVAS} px on each side"
        )));
    }
    let points: usize = strokes.iter().map(|s| s.points.len()).sum();
    if points == 0 {
        return Err(Error::invalid("signature has no strokes"));
    }
    if points > MAX_POINTS {
        return Err(Error::invalid(format!(
            "signature has {points} points, more than {MAX_POINTS}"
        )));
    }
    for p in strokes.iter().flat_map(|s| &s.points) {
        if !(p.x.is_finite() && p.y.is_finite())
            || p.x < 0.0
            || p.y < 0.0
            || p.x > width as f32
            || p.y > height as f32
        {
            return Err(Error::invalid(format!(
                "signature point ({}, {}) is outside the {width}×{height} canvas",
                p.x, p.y
            )));
        }
    }
    let mut img = GrayImage::from_pixel(width, height, Luma([255]));
    for stroke in strokes {
        match stroke.points.as_slice() {
            [] => {}
            [p] => dot(&mut img, *p),
            _ => {
                for pair in stroke.points.windows(2) {
                    line(&mut img, pair[0], pair[1]);
                }
            }
        }
    }
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|e| Error::invalid(format!("signature cannot be encoded: {e}")))?;
    Ok(out)
}

/// A round pen dot of radius `PEN` centred on `p`.
fn dot(img: &mut GrayImage, p: Point) {
    let (cx, cy) = (p.x.round() as i64, p.y.round() as i64);
    for dy in -PEN..=PEN {
        for dx in -PEN..=PEN {
            if dx * dx + dy * dy > PEN * PEN {
                continue;
            }
            let (x, y) = (cx + dx, cy + dy);
            if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
                img.put_pixel(x as u32, y as u32, Luma([0]));
            }
        }
    }
}

/// A pen line from `a` to `b`: dots every pixel along it.
fn line(img: &mut GrayImage, a: Point, b: Point) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let steps = dx.abs().max(dy.abs()).ceil().max(1.0) as usize;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        dot(
            img,
            Point {
                x: a.x + dx * t,
                y: a.y + dy * t,
            },
        );
    }
}
