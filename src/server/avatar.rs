//! Initials avatars for profiles without a photo: a coloured disc with white initials, as PNG.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

const FONT: &[u8] = include_bytes!("../../assets/fonts/Inter-Bold.otf");

/// Calm, high-contrast backgrounds (white text passes WCAG AA on each).
const PALETTE: [[u8; 3]; 6] = [
    [0x1f, 0x4e, 0x79],
    [0x7a, 0x2e, 0x5c],
    [0x2d, 0x5f, 0x2e],
    [0x8a, 0x3b, 0x12],
    [0x4b, 0x3f, 0x8f],
    [0x0e, 0x5e, 0x6f],
];

/// "Maya Okafor" → "MO".
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let pick =
        |w: &&str| w.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    match words.as_slice() {
        [] => "?".to_string(),
        [one] => pick(one),
        [first, .., last] => format!("{}{}", pick(first), pick(last)),
    }
}

/// A `size`×`size` PNG; `None` only if encoding fails.
pub fn initials_png(name: &str, size: u32) -> Option<Vec<u8>> {
    let font = FontRef::try_from_slice(FONT).ok()?;
    let seed = name.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let bg = PALETTE[seed as usize % PALETTE.len()];
    let n = size as usize;
    let mut rgba = vec![0u8; n * n * 4];
    let r = size as f32 / 2.0;
    for y in 0..n {
        for x in 0..n {
            let d = ((x as f32 + 0.5 - r).powi(2) + (y as f32 + 0.5 - r).powi(2)).sqrt();
            let alpha = (r - d + 0.5).clamp(0.0, 1.0);
            let i = (y * n + x) * 4;
            rgba[i..i + 3].copy_from_slice(&bg);
            rgba[i + 3] = (alpha * 255.0) as u8;
        }
    }
    let text = initials(name);
    let scale = PxScale::from(size as f32 * 0.42);
    let scaled = font.as_scaled(scale);
    let width: f32 = text.chars().map(|c| scaled.h_advance(font.glyph_id(c))).sum();
    let mut x = (size as f32 - width) / 2.0;
    let baseline = (size as f32 + scaled.ascent() + scaled.descent()) / 2.0;
    for ch in text.chars() {
        let id = font.glyph_id(ch);
        let glyph = id.with_scale_and_position(scale, point(x, baseline));
        x += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                let px = gx as i64 + bounds.min.x as i64;
                let py = gy as i64 + bounds.min.y as i64;
                if px < 0 || py < 0 || px >= n as i64 || py >= n as i64 {
                    return;
                }
                let i = (py as usize * n + px as usize) * 4;
                for c in 0..3 {
                    let under = f32::from(rgba[i + c]);
                    rgba[i + c] = (under + (255.0 - under) * cov) as u8;
                }
            });
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size, size);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().ok()?;
        w.write_image_data(&rgba).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Maya Okafor"), "MO");
        assert_eq!(initials("James O'Brien"), "JO");
        assert_eq!(initials("Cher"), "C");
        assert_eq!(initials("  "), "?");
    }

    #[test]
    fn the_avatar_is_a_png_with_white_letters_on_a_disc() {
        let png_bytes = initials_png("Maya Okafor", 96).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (96, 96));
        assert_eq!(buf[3], 0, "corner is transparent");
        let white = buf.chunks(4).filter(|p| p[0] > 240 && p[1] > 240 && p[2] > 240 && p[3] == 255).count();
        assert!(white > 200, "the initials are drawn ({white} white pixels)");
    }
}
