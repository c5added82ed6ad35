//! Passes as pictures: the QR code (alphanumeric mode, error correction Q) as PNG and
//! SVG, an A4 PDF sheet of passes to print and cut, and the way back: reading a QR code
//! from an image for phones without a scanner.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, ImageReader, Limits};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, EcLevel, QrCode};

use super::model::SheetEntry;
use crate::cancel::Cancel;
use crate::error::{Error, Result};

/// Light modules around the symbol, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;
/// Default pixels per module of a PNG: a 49-module pass is 456 px square.
pub const DEFAULT_MODULE_PX: u32 = 8;
/// Largest image side the decoder accepts; a camera frame is well below it.
pub const MAX_IMAGE_SIDE: u32 = 4096;

/// The dark and light modules of a QR code, row by row.
pub struct Matrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl Matrix {
    /// True when the module at column `x`, row `y` is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Runs of dark modules in a row, as (start column, length).
    fn runs(&self, y: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let row = &self.dark[y * self.width..(y + 1) * self.width];
        let mut x = 0;
        std::iter::from_fn(move || {
            while x < row.len() && !row[x] {
                x += 1;
            }
            if x >= row.len() {
                return None;
            }
            let start = x;
            while x < row.len() && row[x] {
                x += 1;
            }
            Some((start, x - start))
        })
    }
}

/// The QR code of a text at error correction level Q (a quarter of the symbol may be
/// lost: a scuffed print or a cracked screen). A pass text is all alphanumeric, so the
/// encoder picks alphanumeric mode and a 49-module (version 8) symbol.
pub fn qr_matrix(text: &str) -> Result<Matrix> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q)
        .map_err(|e| Error::invalid(format!("text does not fit a QR code: {e}")))?;
    Ok(Matrix {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    })
}

/// The QR code of a text as a greyscale PNG, `module_px` pixels per module (1 to 32),
/// quiet zone included.
pub fn qr_png(text: &str, module_px: u32) -> Result<Vec<u8>> {
    if !(1..=32).contains(&module_px) {
        return Err(Error::invalid(format!(
            "module_px {module_px} is not between 1 and 32"
        )));
    }
    let m = qr_matrix(text)?;
    let px = module_px as usize;
    let side = (m.width + 2 * QUIET_ZONE) * px;
    let mut pixels = vec![255u8; side * side];
    for y in 0..m.width {
        let row = (y + QUIET_ZONE) * px;
        for (x, len) in m.runs(y) {
            let from = (x + QUIET_ZONE) * px;
            for r in row..row + px {
                pixels[r * side + from..r * side + from + len * px].fill(0);
            }
        }
    }
    let mut out = Vec::with_capacity(8 * 1024);
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::NoFilter)
        .write_image(&pixels, side as u32, side as u32, ExtendedColorType::L8)
        .map_err(|e| Error::invalid(format!("the PNG could not be written: {e}")))?;
    Ok(out)
}

/// The QR code of a text as an SVG document, one unit per module, quiet zone included;
/// it scales to any size.
pub fn qr_svg(text: &str) -> Result<String> {
    let m = qr_matrix(text)?;
    let side = m.width + 2 * QUIET_ZONE;
    let mut path = String::with_capacity(m.width * m.width);
    for y in 0..m.width {
        for (x, len) in m.runs(y) {
            path.push_str(&format!(
                "M{} {}h{len}v1h-{len}z",
                x + QUIET_ZONE,
                y + QUIET_ZONE
            ));
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// Reads the first QR code in an encoded image (PNG). The error says why nothing was
/// read; no input panics.
pub fn decode_image(bytes: &[u8]) -> std::result::Result<String, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("the image cannot be read: {e}"))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| format!("the image cannot be decoded: {e}"))?
        .into_luma8();
    let (w, h) = img.dimensions();
    decode_luma(w, h, img.as_raw())
}

/// Reads the first QR code in a greyscale frame (`width * height` bytes, row by row), as
/// a camera's Y plane gives it.
///
/// The decoder is rxing (ZXing's detector and decoder, with zxing-cpp's QR reader). A
/// frame it cannot read as it is gets up to three more tries, each only when the one
/// before failed: its levels stretched (a dim screen, a washed-out print), thresholds
/// between the levels of its histogram (a faint code on a bright page, where a local
/// threshold at the code's edge turns its quiet zone dark), and the stretched frame
/// smoothed (sensor noise). `tests/qr_camera.rs` holds the damage this was measured on.
pub fn decode_luma(width: u32, height: u32, luma: &[u8]) -> std::result::Result<String, String> {
    if width == 0 || height == 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(format!(
            "a {width}x{height} image is not between 1 and {MAX_IMAGE_SIDE} pixels a side"
        ));
    }
    let (w, h) = (width as usize, height as usize);
    if luma.len() != w * h {
        return Err(format!(
            "{} bytes is not a {width}x{height} greyscale image",
            luma.len()
        ));
    }
    // The decoder is a third-party library fed whatever a camera saw; a panic deep
    // inside it must become "unreadable", not take the scan down.
    let found = std::panic::catch_unwind(|| {
        let read = |px: &[u8]| read_qr(px, width, height);
        read(luma).or_else(|| {
            let stretched = stretch(luma);
            read(&stretched)
                .or_else(|| {
                    let t = otsu(luma, 0, 255);
                    [t, otsu(luma, 0, t), otsu(luma, t.saturating_add(1), 255)]
                        .into_iter()
                        .find_map(|t| read(&threshold(luma, t)))
                })
                .or_else(|| read(&smooth(&stretched, w, h)))
        })
    });
    match found {
        Ok(Some(text)) => Ok(text),
        Ok(None) => Err("no QR code was found in the image".into()),
        Err(_) => Err("the QR decoder failed on this image".into()),
    }
}

/// One try of the decoder on a frame: the text of a QR code, if it finds one.
fn read_qr(luma: &[u8], width: u32, height: u32) -> Option<String> {
    let mut hints = rxing::DecodeHints::default();
    rxing::helpers::detect_in_luma_slice_with_hints(
        luma,
        width,
        height,
        Some(rxing::BarcodeFormat::QR_CODE),
        &mut hints,
    )
    .ok()
    .map(|r| r.getText().to_string())
}

/// Stretches the levels so the darkest and lightest hundredth of the pixels become
/// black and white.
fn stretch(luma: &[u8]) -> Vec<u8> {
    let mut hist = [0usize; 256];
    for &p in luma {
        hist[p as usize] += 1;
    }
    let cut = luma.len() / 100;
    let mut seen = 0;
    let lo = (0..256)
        .find(|&i| {
            seen += hist[i];
            seen > cut
        })
        .unwrap_or(0);
    seen = 0;
    let hi = (0..256)
        .rev()
        .find(|&i| {
            seen += hist[i];
            seen > cut
        })
        .unwrap_or(255);
    if hi <= lo {
        return luma.to_vec();
    }
    let table: Vec<u8> = (0..256)
        .map(|i| ((i as f32 - lo as f32) * 255.0 / (hi - lo) as f32).clamp(0.0, 255.0) as u8)
        .collect();
    luma.iter().map(|&p| table[p as usize]).collect()
}

/// Otsu's threshold over the pixels whose level lies in `lo..=hi`: the level that best
/// splits them into a dark and a light class.
fn otsu(luma: &[u8], lo: u8, hi: u8) -> u8 {
    let mut hist = [0f64; 256];
    for &p in luma {
        if (lo..=hi).contains(&p) {
            hist[p as usize] += 1.0;
        }
    }
    let total: f64 = hist.iter().sum();
    let sum: f64 = hist.iter().enumerate().map(|(i, n)| i as f64 * n).sum();
    let (mut below, mut below_sum, mut best, mut level) = (0.0, 0.0, -1.0, lo);
    for (i, n) in hist.iter().enumerate() {
        below += n;
        below_sum += i as f64 * n;
        let above = total - below;
        if below == 0.0 || above == 0.0 {
            continue;
        }
        let gap = below_sum / below - (sum - below_sum) / above;
        let spread = below * above * gap * gap;
        if spread > best {
            best = spread;
            level = i as u8;
        }
    }
    level
}

/// Black at or below level `t`, white above.
fn threshold(luma: &[u8], t: u8) -> Vec<u8> {
    luma.iter().map(|&p| if p <= t { 0 } else { 255 }).collect()
}

/// Each pixel the mean of its 3×3 neighbourhood (edges repeat), which quiets sensor
/// noise before the decoder's own threshold.
fn smooth(luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    let at = |x: usize, y: usize| luma[y * w + x] as u32;
    let mut out = vec![0u8; luma.len()];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let sum: u32 = [y0, y, y1]
                .iter()
                .map(|&yy| at(x0, yy) + at(x, yy) + at(x1, yy))
                .sum();
            out[y * w + x] = ((sum + 4) / 9) as u8;
        }
    }
    out
}

// The sheet: A4 portrait in points, 2 columns by 4 rows.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const COLS: usize = 2;
const ROWS: usize = 4;
/// Passes per printed page.
pub const PER_PAGE: usize = COLS * ROWS;
/// A module of 2.6 pt makes a 49-module symbol 45 mm wide: easy for any phone camera.
const MODULE_PT: f32 = 2.6;
const FONT: Name = Name(b"F1");
const FONT_NAME: Name = Name(b"STSong-Light");

/// An A4 PDF of passes, 8 to a page with dashed cut lines; beside each QR code its
/// building and unit, which of the household's passes it is, priority and last day.
/// The Chinese text uses STSong-Light, which PDF readers supply, so no font is embedded.
pub fn sheet_pdf(entries: &[SheetEntry], cancel: &Cancel) -> Result<Vec<u8>> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let cid_font = Ref::new(4);
    let descriptor = Ref::new(5);
    let pages = entries.len().div_ceil(PER_PAGE).max(1);
    let page_ids: Vec<Ref> = (0..pages).map(|i| Ref::new(6 + 2 * i as i32)).collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages as i32);
    pdf.type0_font(font)
        .base_font(FONT_NAME)
        .encoding_predefined(Name(b"UniGB-UTF16-H"))
        .descendant_font(cid_font);
    {
        let mut cid = pdf.cid_font(cid_font);
        cid.subtype(CidFontType::Type0)
            .base_font(FONT_NAME)
            .system_info(SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"GB1"),
                supplement: 4,
            })
            .font_descriptor(descriptor)
            .default_width(1000.0);
        // CIDs 1-95 are the Latin characters of Adobe-GB1; half width, not full.
        cid.widths().same(1, 95, 500.0);
    }
    pdf.font_descriptor(descriptor)
        .name(FONT_NAME)
        .flags(FontFlags::SERIF | FontFlags::SYMBOLIC)
        .bbox(Rect::new(-25.0, -254.0, 1000.0, 880.0))
        .italic_angle(0.0)
        .ascent(880.0)
        .descent(-120.0)
        .cap_height(880.0)
        .stem_v(93.0);

    let chunks: Vec<&[SheetEntry]> = if entries.is_empty() {
        vec![&[]]
    } else {
        entries.chunks(PER_PAGE).collect()
    };
    for (i, chunk) in chunks.into_iter().enumerate() {
        cancel.check()?;
        let content_id = Ref::new(7 + 2 * i as i32);
        let content = page_content(chunk)?;
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&content, 6);
        pdf.stream(content_id, &compressed)
            .filter(Filter::FlateDecode);
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(content_id);
        page.resources().fonts().pair(FONT, font);
    }
    Ok(pdf.finish())
}

fn page_content(entries: &[SheetEntry]) -> Result<Vec<u8>> {
    let cell_w = PAGE_W / COLS as f32;
    let cell_h = PAGE_H / ROWS as f32;
    let mut c = Content::new();

    // Cut lines through the whole page, so a guillotine can follow them.
    c.save_state();
    c.set_line_width(0.5)
        .set_stroke_gray(0.55)
        .set_dash_pattern([4.0, 3.0], 0.0);
    c.move_to(cell_w, 0.0).line_to(cell_w, PAGE_H);
    for r in 1..ROWS {
        let y = cell_h * r as f32;
        c.move_to(0.0, y).line_to(PAGE_W, y);
    }
    c.stroke();
    c.restore_state();

    for (i, e) in entries.iter().enumerate() {
        let x0 = cell_w * (i % COLS) as f32;
        let y0 = PAGE_H - cell_h * (i / COLS + 1) as f32;
        let m = qr_matrix(&e.text)?;
        let size = m.width as f32 * MODULE_PT;
        let qx = x0 + 22.0;
        let top = y0 + (cell_h + size) / 2.0;
        c.set_fill_gray(0.0);
        for y in 0..m.width {
            for (x, len) in m.runs(y) {
                // A hair of overlap keeps viewers from drawing seams between rows.
                c.rect(
                    qx + x as f32 * MODULE_PT,
                    top - (y + 1) as f32 * MODULE_PT - 0.02,
                    len as f32 * MODULE_PT,
                    MODULE_PT + 0.04,
                );
            }
        }
        c.fill_nonzero();

        let tx = qx + size + 14.0;
        let text_w = x0 + cell_w - 12.0 - tx;
        let mut y = y0 + cell_h - 34.0;
        let line = |c: &mut Content, text: &str, size: f32, gray: f32, y: &mut f32| {
            c.begin_text()
                .set_font(FONT, size)
                .set_fill_gray(gray)
                .next_line(tx, *y)
                .show(Str(&utf16be(text)))
                .end_text();
            *y -= size * 1.45;
        };
        line(&mut c, "核酸检测通行码", 9.0, 0.4, &mut y);
        y -= 4.0;
        for part in wrap(&e.label, 14.0, text_w).into_iter().take(3) {
            line(&mut c, &part, 14.0, 0.0, &mut y);
        }
        line(&mut c, &format!("本户第 {}", e.member), 11.0, 0.0, &mut y);
        let flags = priority_words(e);
        if !flags.is_empty() {
            line(&mut c, &format!("优先: {flags}"), 11.0, 0.0, &mut y);
        }
        y -= 4.0;
        line(&mut c, "有效期至", 9.0, 0.25, &mut y);
        line(&mut c, &e.valid_until, 11.0, 0.0, &mut y);
    }
    Ok(c.finish().to_vec())
}

fn priority_words(e: &SheetEntry) -> String {
    let p = e.priority;
    [
        (p.elderly, "老人"),
        (p.child, "儿童"),
        (p.pregnancy, "孕妇"),
        (p.disability, "残障"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, w)| w)
    .collect::<Vec<_>>()
    .join(" ")
}

/// Splits a line to fit `width` points at `size`, counting CJK characters as one em and
/// Latin as half.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut used = 0.0;
    for ch in text.chars() {
        let w = if ch.is_ascii() { 0.5 } else { 1.0 } * size;
        if used + w > width && !lines.last().is_some_and(|l| l.is_empty()) {
            lines.push(String::new());
            used = 0.0;
        }
        if let Some(l) = lines.last_mut() {
            l.push(ch);
        }
        used += w;
    }
    lines
}

/// Text for a UniGB-UTF16-H font: UTF-16, big-endian.
fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}
