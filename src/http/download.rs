//! Downloads: the `Content-Disposition` of a file sent to a browser, and a file's body
//! streamed from disk.

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

/// A (temporary) file as a response body of its length, read in 64 KiB pieces as the
/// client takes them.
pub fn file_body(
    file: std::fs::File,
) -> std::io::Result<actix_web::body::SizedStream<impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>>>>
{
    use tokio::io::AsyncReadExt;
    let len = file.metadata()?.len();
    let pieces = futures_util::stream::try_unfold(tokio::fs::File::from_std(file), |mut f| async move {
        let mut buf = vec![0; 64 * 1024];
        let n = f.read(&mut buf).await?;
        buf.truncate(n);
        Ok((n > 0).then(|| (bytes::Bytes::from(buf), f)))
    });
    Ok(actix_web::body::SizedStream::new(len, pieces))
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
