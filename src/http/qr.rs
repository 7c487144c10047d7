//! QR codes of join links, as SVG.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Smallest side of the rendered image, in SVG user units (it scales anyway; this keeps modules
/// whole numbers large enough to read when the SVG is shown at its natural size).
const MIN_SIDE: u32 = 256;

/// The SVG of a QR code for `text`: dark on light, with the standard quiet zone, medium error
/// correction (readable from the back of a room on a dim projector).
///
/// Fails only when `text` is too long for any QR code (join URLs are far below the limit).
pub fn svg(text: &str) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(MIN_SIDE, MIN_SIDE)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_join_url() {
        let image = svg("http://192.168.1.20:8080/join/123456").unwrap();
        assert!(image.contains("<svg") && image.ends_with("</svg>"));
        assert!(image.contains("#000000") && image.contains("#ffffff"));
    }

    #[test]
    fn refuses_text_no_qr_can_hold() {
        assert!(svg(&"x".repeat(5000)).is_err());
    }
}
