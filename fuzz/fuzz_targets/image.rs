//! Images from a camera or an attacker: the first byte picks the photo path
//! (`photo_to_jpeg`, what a handoff photo goes through), the QR decoder on an encoded
//! image (`decode_image`, what `decode_qr_image` and `scan_image` call), or the decoder
//! on a raw greyscale frame (`decode_luma`, the camera's Y plane) whose size the next
//! bytes give. Nothing may panic through them, and what the photo path returns is a
//! JPEG within its size limit.
//!
//! `decode_luma` runs the third-party QR decoder under `catch_unwind` and reports a panic
//! in it as an unreadable image; libfuzzer-sys aborts on every panic, so this target lets
//! panics pass while the decoder runs. One that escapes still aborts at the fuzz entry.
#![no_main]

use std::cell::Cell;
use std::sync::Once;

use doorstep_core::checkin::render;
use doorstep_core::deliveries::proof::{self, MAX_SIDE};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static IN_DECODER: Cell<bool> = const { Cell::new(false) };
}

fn in_decoder<T>(f: impl FnOnce() -> T) -> T {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let aborting = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_DECODER.with(Cell::get) {
                eprintln!(
                    "panic while reading a QR image (decode_luma catches the decoder's): {info}"
                );
            } else {
                aborting(info);
            }
        }));
    });
    IN_DECODER.with(|c| c.set(true));
    let out = f();
    IN_DECODER.with(|c| c.set(false));
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(jpeg) = proof::photo_to_jpeg(rest) {
                let img = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
                    .expect("the photo path returns a JPEG");
                assert!(img.width() <= MAX_SIDE && img.height() <= MAX_SIDE);
            }
        }
        1 => {
            let _ = in_decoder(|| render::decode_image(rest));
        }
        _ => {
            if rest.len() < 2 {
                return;
            }
            // A frame of the bytes left, as wide as the input says.
            let (w, px) = rest.split_at(2);
            let width = usize::from(u16::from_le_bytes([w[0], w[1]])).max(1);
            let height = px.len() / width;
            if height == 0 {
                return;
            }
            let _ = in_decoder(|| {
                render::decode_luma(width as u32, height as u32, &px[..width * height])
            });
        }
    }
});
