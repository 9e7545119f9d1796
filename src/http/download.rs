//! Downloads: the `Content-Disposition` of a file sent to a browser.

/// `Content-Disposition` after RFC 6266: an ASCII fallback and the UTF-8 name as
/// `filename*`.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disposition_carries_the_utf8_name() {
        let d = content_disposition("答复 \"1\".pdf", false);
        assert_eq!(d, "attachment; filename=\"__ _1_.pdf\"; filename*=UTF-8''%E7%AD%94%E5%A4%8D%20%221%22.pdf");
    }
}
