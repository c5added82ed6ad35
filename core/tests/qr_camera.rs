//! Passes as a phone camera sees them: rendered QR codes put through rotation, blur,
//! JPEG, downscaling, contrast loss and noise, read by the core's decoder and by rqrr (the
//! decoder the core used before). Every kind of damage must be read in full by the core,
//! and never less often than rqrr reads it.
//!
//! `cargo test -p doorstep-core --test qr_camera -- --nocapture` prints the table that
//! docs/checkin.md shows; `DOORSTEP_QR_PASSES=50` reads more passes per row (default 8),
//! `DOORSTEP_QR_DUMP=DIR` writes each image and its text, for other decoders to try.

use doorstep_core::checkin::pass::{
    KeyId, PassBody, PassId, PriorityFlags, ResidentRef, SignedPass, MAX_VALIDITY_S,
};
use doorstep_core::checkin::render::{self, QUIET_ZONE};

/// Pixels per module of the clean rendering: a pass is 456 px square.
const MODULE_PX: usize = 8;

/// A greyscale image.
#[derive(Clone)]
struct Gray {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Gray {
    /// The level at (x, y); white outside the image, as paper around a code.
    fn at(&self, x: isize, y: isize) -> f32 {
        if x < 0 || y < 0 || x >= self.w as isize || y >= self.h as isize {
            255.0
        } else {
            self.px[y as usize * self.w + x as usize] as f32
        }
    }

    /// The level at a point between pixels, from the four around it.
    fn bilinear(&self, x: f32, y: f32) -> f32 {
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as isize, y0 as isize);
        let top = self.at(x0, y0) * (1.0 - fx) + self.at(x0 + 1, y0) * fx;
        let bottom = self.at(x0, y0 + 1) * (1.0 - fx) + self.at(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    fn from_levels(w: usize, h: usize, levels: impl Iterator<Item = f32>) -> Gray {
        let px = levels.map(|v| v.round().clamp(0.0, 255.0) as u8).collect();
        Gray { w, h, px }
    }

    fn map(&self, f: impl Fn(usize, usize) -> f32) -> Gray {
        Gray::from_levels(
            self.w,
            self.h,
            (0..self.w * self.h).map(|i| f(i % self.w, i / self.w)),
        )
    }
}

/// A deterministic noise source (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A standard normal sample (Box-Muller).
    fn normal(&mut self) -> f32 {
        let u = self.unit().max(1e-7);
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * self.unit()).cos()
    }
}

/// A pass-shaped text: `DS1:` and 94 random bytes in Base45, as the core writes them.
fn pass_text(rng: &mut Rng) -> String {
    let mut bytes = [0u8; 30];
    bytes.iter_mut().for_each(|b| *b = rng.next() as u8);
    let eight = |i: usize| -> [u8; 8] { bytes[i..i + 8].try_into().unwrap() };
    let from = 1_795_363_200 + (rng.next() % 1_000_000) as u32;
    let mut signature = [0u8; 64];
    signature.iter_mut().for_each(|b| *b = rng.next() as u8);
    SignedPass {
        body: PassBody {
            key_id: KeyId(bytes[0..4].try_into().unwrap()),
            pass_id: PassId(eight(4)),
            resident_ref: ResidentRef(eight(12)),
            valid_from: from,
            valid_until: from + MAX_VALIDITY_S / 52,
            priority: PriorityFlags::from_bits(bytes[20] & 0x0f),
        },
        signature,
    }
    .to_text()
}

/// The pass's QR code as the core renders it, `MODULE_PX` pixels a module.
fn render(text: &str) -> Gray {
    let m = render::qr_matrix(text).unwrap();
    let side = (m.width + 2 * QUIET_ZONE) * MODULE_PX;
    let g = Gray {
        w: side,
        h: side,
        px: vec![255; side * side],
    };
    g.map(|x, y| {
        let (mx, my) = (x / MODULE_PX, y / MODULE_PX);
        let inside = (QUIET_ZONE..QUIET_ZONE + m.width).contains(&mx)
            && (QUIET_ZONE..QUIET_ZONE + m.width).contains(&my);
        if inside && m.is_dark(mx - QUIET_ZONE, my - QUIET_ZONE) {
            0.0
        } else {
            255.0
        }
    })
}

/// White paper of `m` pixels around the image.
fn pad(g: &Gray, m: usize) -> Gray {
    let (w, h) = (g.w + 2 * m, g.h + 2 * m);
    Gray::from_levels(
        w,
        h,
        (0..w * h).map(|i| g.at((i % w) as isize - m as isize, (i / w) as isize - m as isize)),
    )
}

/// Turned by `deg` about the centre, sampled bilinearly.
fn rotate(g: &Gray, deg: f32) -> Gray {
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = (g.w as f32 / 2.0, g.h as f32 / 2.0);
    g.map(|x, y| {
        let (x, y) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
        g.bilinear(c * x + s * y + cx - 0.5, -s * x + c * y + cy - 0.5)
    })
}

/// Out of focus: a Gaussian blur of `sigma` pixels.
fn blur(g: &Gray, sigma: f32) -> Gray {
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-((i * i) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = k.iter().sum();
    let along = |g: &Gray, dx: isize, dy: isize| {
        g.map(|x, y| {
            (-r..=r)
                .map(|j| {
                    k[(j + r) as usize] / total * g.at(x as isize + j * dx, y as isize + j * dy)
                })
                .sum()
        })
    };
    along(&along(g, 1, 0), 0, 1)
}

/// Through a JPEG encoder at `quality` and back.
fn jpeg(g: &Gray, quality: u8) -> Gray {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(&g.px, g.w as u32, g.h as u32, image::ExtendedColorType::L8)
        .unwrap();
    let img = image::load_from_memory_with_format(&out, image::ImageFormat::Jpeg)
        .unwrap()
        .into_luma8();
    Gray {
        w: g.w,
        h: g.h,
        px: img.into_raw(),
    }
}

/// Scaled by `f`, each pixel sampled bilinearly from the four nearest, as a GPU or
/// OpenCV's INTER_LINEAR does: nothing is averaged, so thin lines alias.
fn scale_bilinear(g: &Gray, f: f32) -> Gray {
    let (w, h) = (
        (g.w as f32 * f).round() as usize,
        (g.h as f32 * f).round() as usize,
    );
    let src = g.clone();
    Gray {
        w,
        h,
        px: vec![0; w * h],
    }
    .map(|x, y| src.bilinear((x as f32 + 0.5) / f - 0.5, (y as f32 + 0.5) / f - 0.5))
}

/// Scaled by `f` with a triangle (bilinear) filter widened to the scale, as the `image`
/// crate and Pillow do: every source pixel is averaged in.
fn scale_triangle(g: &Gray, f: f32) -> Gray {
    let img = image::GrayImage::from_raw(g.w as u32, g.h as u32, g.px.clone()).unwrap();
    let (w, h) = (
        (g.w as f32 * f).round() as u32,
        (g.h as f32 * f).round() as u32,
    );
    let out = image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle);
    Gray {
        w: w as usize,
        h: h as usize,
        px: out.into_raw(),
    }
}

/// Scaled down by a whole factor `n`, each pixel the mean of an `n`×`n` block.
fn scale_box(g: &Gray, n: usize) -> Gray {
    let src = g.clone();
    Gray {
        w: g.w / n,
        h: g.h / n,
        px: vec![0; (g.w / n) * (g.h / n)],
    }
    .map(|x, y| {
        let mut sum = 0.0;
        for yy in y * n..(y + 1) * n {
            for xx in x * n..(x + 1) * n {
                sum += src.px[yy * src.w + xx] as f32;
            }
        }
        sum / (n * n) as f32
    })
}

/// Black and white squeezed into `lo..hi`: a dim screen, faded ink.
fn contrast(g: &Gray, lo: f32, hi: f32) -> Gray {
    g.map(|x, y| lo + (hi - lo) * g.px[y * g.w + x] as f32 / 255.0)
}

/// Sensor noise: Gaussian, `sigma` grey levels.
fn noise(g: &Gray, sigma: f32, rng: &mut Rng) -> Gray {
    let mut out = g.clone();
    for p in &mut out.px {
        *p = (*p as f32 + sigma * rng.normal()).round().clamp(0.0, 255.0) as u8;
    }
    out
}

/// One kind of damage, applied to a clean rendering.
type Damage = fn(&Gray, &mut Rng) -> Gray;

/// The damage set: what a phone camera does to a pass, alone and together.
const DAMAGE: &[(&str, Damage)] = &[
    ("clean", |g, _| g.clone()),
    ("rotated 5°", |g, _| rotate(&pad(g, 60), 5.0)),
    ("rotated 15°", |g, _| rotate(&pad(g, 60), 15.0)),
    ("rotated 30°", |g, _| rotate(&pad(g, 60), 30.0)),
    ("blur σ 2 px (¼ module)", |g, _| blur(g, 2.0)),
    ("blur σ 3 px", |g, _| blur(g, 3.0)),
    ("blur σ 4 px (½ module)", |g, _| blur(g, 4.0)),
    ("JPEG quality 50", |g, _| jpeg(g, 50)),
    ("JPEG quality 30", |g, _| jpeg(g, 30)),
    ("JPEG quality 20", |g, _| jpeg(g, 20)),
    ("JPEG quality 10", |g, _| jpeg(g, 10)),
    ("scaled to 50%, bilinear", |g, _| scale_bilinear(g, 0.5)),
    ("scaled to 30%, bilinear", |g, _| scale_bilinear(g, 0.3)),
    ("scaled to 25%, bilinear", |g, _| scale_bilinear(g, 0.25)),
    ("scaled to 25%, bilinear filter", |g, _| {
        scale_triangle(g, 0.25)
    }),
    ("scaled to 25%, box filter", |g, _| scale_box(g, 4)),
    ("contrast 30% (levels 90-166)", |g, _| {
        contrast(g, 90.0, 166.0)
    }),
    ("contrast 15% (levels 110-148)", |g, _| {
        contrast(g, 110.0, 148.0)
    }),
    ("noise σ 20", |g, r| noise(g, 20.0, r)),
    ("noise σ 40", |g, r| noise(g, 40.0, r)),
    ("noise σ 60", |g, r| noise(g, 60.0, r)),
    ("faded code on white, rotated 4°, JPEG 30", |g, _| {
        jpeg(&rotate(&pad(&contrast(g, 90.0, 166.0), 60), 4.0), 30)
    }),
    ("faded code on white, rotated 4°, JPEG 10", |g, _| {
        jpeg(&rotate(&pad(&contrast(g, 90.0, 166.0), 60), 4.0), 10)
    }),
    ("scaled to 25% bilinear, JPEG 30", |g, _| {
        jpeg(&scale_bilinear(g, 0.25), 30)
    }),
    (
        "all: faded, 10°, blur, 40%, noise σ 10, JPEG 20",
        |g, r| {
            let g = blur(&rotate(&pad(&contrast(g, 70.0, 190.0), 60), 10.0), 1.5);
            jpeg(&noise(&scale_bilinear(&g, 0.4), 10.0, r), 20)
        },
    ),
];

/// rqrr, as the core called it before.
fn rqrr_read(g: &Gray) -> Option<String> {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(g.w, g.h, |x, y| g.px[y * g.w + x]);
    img.detect_grids()
        .iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
}

#[test]
fn damaged_passes_are_read_in_full_and_never_less_often_than_by_rqrr() {
    let passes: usize = std::env::var("DOORSTEP_QR_PASSES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    let dump = std::env::var("DOORSTEP_QR_DUMP").ok();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let texts: Vec<String> = (0..passes).map(|_| pass_text(&mut rng)).collect();
    let clean: Vec<Gray> = texts.iter().map(|t| render(t)).collect();
    println!("| damage | core (rxing) | rqrr |\n|---|---:|---:|");
    let mut short = Vec::new();
    for (row, (name, damage)) in DAMAGE.iter().enumerate() {
        let (mut core, mut old) = (0, 0);
        for (i, (text, g)) in texts.iter().zip(&clean).enumerate() {
            let mut noise = Rng(0x5851_F42D_4C95_7F2D ^ ((row * 1000 + i) as u64 + 1));
            let g = damage(g, &mut noise);
            if let Some(dir) = &dump {
                let file = format!("{dir}/{row:02}-{i:03}");
                image::GrayImage::from_raw(g.w as u32, g.h as u32, g.px.clone())
                    .unwrap()
                    .save(format!("{file}.png"))
                    .unwrap();
                std::fs::write(format!("{file}.txt"), format!("{name}\n{text}")).unwrap();
            }
            core += (render::decode_luma(g.w as u32, g.h as u32, &g.px).as_deref() == Ok(text))
                as usize;
            old += (rqrr_read(&g).as_deref() == Some(text)) as usize;
        }
        println!("| {name} | {core}/{passes} | {old}/{passes} |");
        if core < passes || core < old {
            short.push(format!("{name}: core {core}, rqrr {old} of {passes}"));
        }
    }
    assert!(short.is_empty(), "read too few: {short:#?}");
}
