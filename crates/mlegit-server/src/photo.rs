//! Photos: decoded to prove they are images, then reduced to a low-resolution portrait.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageFormat, ImageReader, Limits};
use mlegit::claims::MAX_PORTRAIT_LEN;

use crate::error::ApiError;

/// Largest photo accepted, in bytes (after base64 decoding).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
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
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // Decompression bombs: a 5 MB PNG can claim gigapixels.
    let mut limits = Limits::default();
    limits.max_image_width = Some(10_000);
    limits.max_image_height = Some(10_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|_| ApiError::PhotoInvalid)?;
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
