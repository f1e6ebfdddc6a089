//! Photos: decoded to prove they are images, then reduced to a low-resolution portrait.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageFormat, ImageReader, Limits};
use mlegit::claims::MAX_PORTRAIT_LEN;

use crate::error::ApiError;

/// Largest photo accepted, in bytes (after base64 decoding).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Longest side of a photo accepted, in pixels.
pub const MAX_PHOTO_SIDE: u32 = 4096;
/// Most memory the image decoder may allocate for one photo.
const MAX_DECODE_ALLOC: u64 = 64 * 1024 * 1024;
/// How many photos have reached the decoder since the process started.
static DECODES_STARTED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// How many photos have reached the image decoder since the process started: lets tests
/// check that no unauthenticated request gets that far.
#[doc(hidden)]
pub fn decodes_started() -> u64 {
    DECODES_STARTED.load(core::sync::atomic::Ordering::Relaxed)
}

/// Serialises photo decoding (see [`portrait`]).
static DECODE_GATE: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Portrait width in pixels.
pub const PORTRAIT_WIDTH: u32 = 150;
/// Portrait height in pixels.
pub const PORTRAIT_HEIGHT: u32 = 200;

/// Decodes a JPEG or PNG photo and returns a 150x200 JPEG portrait under the core's cap.
pub fn portrait(bytes: &[u8]) -> Result<Vec<u8>, ApiError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(ApiError::PhotoTooLarge);
    }
    let format = if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        ImageFormat::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ImageFormat::Png
    } else {
        return Err(ApiError::PhotoInvalid);
    };
    DECODES_STARTED.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // Decompression bombs: a few hundred bytes of JPEG or PNG can claim gigapixels, and the
    // photo routes decode before they know who is asking. A phone photo (4032x3024) fits
    // these limits; a header claiming more is refused before any pixel buffer exists.
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    // One decode at a time: each may hold tens of MB, and several at once from one client
    // would multiply that. Other routes are not affected; a poisoned gate is still a gate.
    let _gate = DECODE_GATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // A photo over the pixel or memory limits is too large, not broken: say which.
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => ApiError::PhotoTooLarge,
        _ => ApiError::PhotoInvalid,
    })?;
    if image.width() < 16 || image.height() < 16 {
        return Err(ApiError::PhotoInvalid);
    }
    let small = image
        .resize_to_fill(PORTRAIT_WIDTH, PORTRAIT_HEIGHT, FilterType::Triangle)
        .to_rgb8();
    for quality in [85u8, 70, 55, 40, 25] {
        let mut out = Vec::with_capacity(16 * 1024);
        JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&small)
            .map_err(|_| ApiError::Internal("jpeg encoding"))?;
        if mlegit::claims::valid_portrait(&out) && out.len() <= MAX_PORTRAIT_LEN {
            return Ok(out);
        }
    }
    Err(ApiError::Internal("portrait too large at every quality"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn png_becomes_small_jpeg() {
        let p = portrait(&png(600, 800)).unwrap();
        assert!(p.len() <= MAX_PORTRAIT_LEN);
        assert!(p.starts_with(&[0xff, 0xd8, 0xff]));
    }

    #[test]
    fn photos_claiming_more_than_the_side_limit_are_refused_as_too_large() {
        assert!(matches!(
            portrait(&png(MAX_PHOTO_SIDE + 1, 16)),
            Err(ApiError::PhotoTooLarge)
        ));
        assert!(portrait(&png(MAX_PHOTO_SIDE, 16)).is_ok());
    }

    #[test]
    fn junk_is_refused() {
        assert!(matches!(
            portrait(b"not an image"),
            Err(ApiError::PhotoInvalid)
        ));
        let mut truncated = png(100, 100);
        truncated.truncate(60);
        assert!(matches!(portrait(&truncated), Err(ApiError::PhotoInvalid)));
        assert!(matches!(
            portrait(&vec![0xff; MAX_PHOTO_BYTES + 1]),
            Err(ApiError::PhotoTooLarge)
        ));
    }
}
