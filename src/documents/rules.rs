//! The rules of documents, as pure functions: the type a file's content shows (sniffed
//! while it streams), the original name kept as metadata, `Content-Disposition`, and
//! byte ranges.

use crate::db::enums::DocumentKind;

/// How much of a file's start is kept to decide its type.
pub const HEAD: usize = 64 * 1024;

/// The allowed types, as a 415 names them.
pub const ALLOWED: &str = "PDF, OFD, DOC, DOCX, XLS, XLSX, JPG, PNG";

/// What the content seen so far says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not yet known (too little seen; an OLE2 file whose directory is further on).
    Pending,
    Accept(DocumentKind),
    /// No allowed type.
    Reject,
}

/// Decides a file's type from its content as it streams by: most types from the first
/// bytes; a ZIP container (DOCX, XLSX, OFD) from its entries' names in the first 64 KiB; an
/// OLE2 compound file (DOC, XLS) from its directory, wherever in the stream that lies.
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    seen: u64,
    ole_directory: Option<Window>,
    verdict: Option<Verdict>,
}

/// The bytes of a stretch of the stream, collected as they pass.
#[derive(Debug)]
struct Window {
    at: u64,
    bytes: Vec<u8>,
    len: usize,
}

/// How much of an OLE2 directory is read: its first sector (4 entries in version 3).
const OLE_DIRECTORY: usize = 512;
const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

impl Sniffer {
    /// Feeds the next chunk; the verdict so far.
    pub fn feed(&mut self, chunk: &[u8]) -> Verdict {
        let start = self.seen;
        self.seen += chunk.len() as u64;
        if self.head.len() < HEAD {
            let take = chunk.len().min(HEAD - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if let Some(w) = &mut self.ole_directory {
            w.collect(start, chunk);
        }
        self.decide(false)
    }

    /// The verdict at the end of the stream.
    pub fn finish(&mut self) -> Verdict {
        match self.decide(true) {
            Verdict::Pending => Verdict::Reject,
            v => v,
        }
    }

    fn decide(&mut self, at_end: bool) -> Verdict {
        if let Some(v) = self.verdict {
            return v;
        }
        let v = match &self.ole_directory {
            Some(w) if w.bytes.len() == w.len => ole_kind(&w.bytes),
            Some(_) => Verdict::Pending,
            None => self.judge_head(at_end),
        };
        if v != Verdict::Pending {
            self.verdict = Some(v);
        }
        v
    }

    fn judge_head(&mut self, at_end: bool) -> Verdict {
        let h = &self.head;
        let complete = at_end || h.len() >= HEAD;
        if h.len() < 8 && !at_end {
            return Verdict::Pending;
        }
        if h.starts_with(b"%PDF-") {
            return Verdict::Accept(DocumentKind::Pdf);
        }
        if infer::image::is_png(h) {
            return Verdict::Accept(DocumentKind::Png);
        }
        if infer::image::is_jpeg(h) {
            return Verdict::Accept(DocumentKind::Jpg);
        }
        if infer::archive::is_zip(h) {
            return match zip_kind(h) {
                Some(kind) => Verdict::Accept(kind),
                None if complete => Verdict::Reject,
                None => Verdict::Pending,
            };
        }
        if h.starts_with(&OLE_MAGIC) {
            if h.len() < 0x34 {
                return if at_end { Verdict::Reject } else { Verdict::Pending };
            }
            let shift = u16::from_le_bytes([h[0x1E], h[0x1F]]);
            let first = u32::from_le_bytes([h[0x30], h[0x31], h[0x32], h[0x33]]);
            if !(shift == 9 || shift == 12) || first >= 0xFFFF_FFFA {
                return Verdict::Reject;
            }
            let at = (u64::from(first) + 1) << shift;
            let mut w = Window { at, bytes: Vec::with_capacity(OLE_DIRECTORY), len: OLE_DIRECTORY };
            // What has streamed by already is in the head when the directory is near.
            w.collect(0, &self.head);
            self.ole_directory = Some(w);
            return self.decide(at_end);
        }
        Verdict::Reject
    }
}

impl Window {
    fn collect(&mut self, start: u64, chunk: &[u8]) {
        let want = self.at + self.bytes.len() as u64;
        let end = start + chunk.len() as u64;
        if self.bytes.len() == self.len || want < start || want >= end {
            return;
        }
        let from = (want - start) as usize;
        let take = (chunk.len() - from).min(self.len - self.bytes.len());
        self.bytes.extend_from_slice(&chunk[from..from + take]);
    }
}

/// DOCX, XLSX or OFD, by the names of the ZIP entries whose local headers are in `h`.
fn zip_kind(h: &[u8]) -> Option<DocumentKind> {
    let mut i = 0;
    while i + 30 <= h.len() {
        if h[i..].starts_with(b"PK\x03\x04") {
            let name_len = u16::from_le_bytes([h[i + 26], h[i + 27]]) as usize;
            if let Some(name) = h.get(i + 30..i + 30 + name_len) {
                if name.starts_with(b"word/") {
                    return Some(DocumentKind::Docx);
                }
                if name.starts_with(b"xl/") {
                    return Some(DocumentKind::Xlsx);
                }
                if name == b"OFD.xml" || name.starts_with(b"Doc_0/") {
                    return Some(DocumentKind::Ofd);
                }
            }
            i += 30 + name_len;
        } else {
            i += 1;
        }
    }
    None
}

/// DOC or XLS, by an OLE2 directory sector: the root entry's class id, or a stream named
/// `WordDocument` or `Workbook`/`Book`.
fn ole_kind(dir: &[u8]) -> Verdict {
    const WORD: [u8; 16] = [0x06, 0x09, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];
    const EXCEL: [u8; 16] = [0x20, 0x08, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];
    const EXCEL5: [u8; 16] = [0x10, 0x08, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];
    let clsid = &dir[0x50..0x60];
    if clsid == WORD {
        return Verdict::Accept(DocumentKind::Doc);
    }
    if clsid == EXCEL || clsid == EXCEL5 {
        return Verdict::Accept(DocumentKind::Xls);
    }
    for entry in dir.chunks_exact(128) {
        let len = (u16::from_le_bytes([entry[0x40], entry[0x41]]) as usize).min(64);
        let units: Vec<u16> =
            entry[..len].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|u| *u != 0).collect();
        match String::from_utf16_lossy(&units).as_str() {
            "WordDocument" => return Verdict::Accept(DocumentKind::Doc),
            "Workbook" | "Book" => return Verdict::Accept(DocumentKind::Xls),
            _ => {}
        }
    }
    Verdict::Reject
}

/// The most characters of a kept name.
pub const NAME_MAX: usize = 255;

/// The original file name as metadata: the last path segment, without control
/// characters, at most 255 characters (the extension kept), or `document.<kind>`.
pub fn clean_name(raw: Option<&str>, kind: DocumentKind) -> String {
    let raw = raw.unwrap_or("");
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return format!("document.{}", kind.as_str());
    }
    if cleaned.chars().count() <= NAME_MAX {
        return cleaned.to_string();
    }
    let ext: String = match cleaned.rsplit_once('.') {
        Some((_, e)) if e.chars().count() <= 10 => format!(".{e}"),
        _ => String::new(),
    };
    let stem: String = cleaned.chars().take(NAME_MAX - ext.chars().count()).collect();
    format!("{stem}{ext}")
}

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// The whole file (no header, an unknown unit, several ranges).
    Full,
    /// Bytes `start..=end`.
    Partial { start: u64, end: u64 },
    /// 416.
    Unsatisfiable,
}

/// One byte range (`bytes=0-99`, `bytes=100-`, `bytes=-100`); several ranges are answered
/// with the whole file, as RFC 9110 allows; a malformed header is ignored.
pub fn byte_range(header: Option<&str>, len: u64) -> RangeAnswer {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return RangeAnswer::Full };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return RangeAnswer::Full };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        (true, true) => return RangeAnswer::Full,
        (true, false) => match b.parse::<u64>() {
            Ok(0) => return RangeAnswer::Unsatisfiable,
            Ok(n) => (len.saturating_sub(n), len.saturating_sub(1)),
            Err(_) => return RangeAnswer::Full,
        },
        (false, _) => {
            let Ok(start) = a.parse::<u64>() else { return RangeAnswer::Full };
            let end = if b.is_empty() {
                u64::MAX
            } else {
                match b.parse::<u64>() {
                    Ok(e) if e >= start => e,
                    _ => return RangeAnswer::Full,
                }
            };
            (start, end)
        }
    };
    let (start, end) = parsed;
    if len == 0 || start >= len {
        return RangeAnswer::Unsatisfiable;
    }
    RangeAnswer::Partial { start, end: end.min(len - 1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(bytes: &[u8], chunk: usize) -> Verdict {
        let mut s = Sniffer::default();
        for c in bytes.chunks(chunk.max(1)) {
            if let v @ (Verdict::Accept(_) | Verdict::Reject) = s.feed(c) {
                return v;
            }
        }
        s.finish()
    }

    fn zip_with(first: &str, second: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for name in [first, second] {
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0]);
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&[0x55; 10]);
        }
        out
    }

    /// An OLE2 file whose directory sits at sector `sector` (512-byte sectors), with a
    /// root class id and one stream name.
    fn ole(sector: u32, clsid: [u8; 16], stream: &str) -> Vec<u8> {
        let at = ((sector + 1) * 512) as usize;
        let mut out = vec![0u8; at + 512];
        out[..8].copy_from_slice(&OLE_MAGIC);
        out[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
        out[0x30..0x34].copy_from_slice(&sector.to_le_bytes());
        out[at + 0x50..at + 0x60].copy_from_slice(&clsid);
        let name: Vec<u8> = stream.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect();
        out[at + 128..at + 128 + name.len()].copy_from_slice(&name);
        out[at + 128 + 0x40..at + 128 + 0x42].copy_from_slice(&(name.len() as u16).to_le_bytes());
        out
    }

    #[test]
    fn the_content_decides_the_type() {
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 3), Verdict::Accept(DocumentKind::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 4), Verdict::Accept(DocumentKind::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0", 2), Verdict::Accept(DocumentKind::Jpg));
        assert_eq!(
            sniff(&zip_with("[Content_Types].xml", "word/document.xml"), 7),
            Verdict::Accept(DocumentKind::Docx)
        );
        assert_eq!(
            sniff(&zip_with("[Content_Types].xml", "xl/workbook.xml"), 100),
            Verdict::Accept(DocumentKind::Xlsx)
        );
        assert_eq!(sniff(&zip_with("OFD.xml", "Doc_0/Document.xml"), 5), Verdict::Accept(DocumentKind::Ofd));
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", 4), Verdict::Reject, "an EXE");
        assert_eq!(sniff(&zip_with("app/main.js", "app/x.js"), 9), Verdict::Reject, "a plain ZIP");
        assert_eq!(sniff(b"<script>alert(1)</script>", 100), Verdict::Reject);
        assert_eq!(sniff(b"", 1), Verdict::Reject, "nothing");
        assert_eq!(sniff(b"%PD", 1), Verdict::Reject, "too short");
    }

    #[test]
    fn an_ole2_file_is_told_by_its_directory_wherever_it_streams_by() {
        const WORD: [u8; 16] = [0x06, 0x09, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];
        // The directory beyond the first 64 KiB, read across chunk boundaries.
        assert_eq!(sniff(&ole(300, WORD, "1Table"), 1000), Verdict::Accept(DocumentKind::Doc));
        assert_eq!(sniff(&ole(0, [0; 16], "Workbook"), 77), Verdict::Accept(DocumentKind::Xls));
        assert_eq!(sniff(&ole(3, [0; 16], "PowerPoint Document"), 512), Verdict::Reject, "a PPT");
        let mut cut = ole(300, WORD, "WordDocument");
        cut.truncate(1024);
        assert_eq!(sniff(&cut, 100), Verdict::Reject, "the directory never came");
    }

    #[test]
    fn a_name_is_metadata_only() {
        let pdf = DocumentKind::Pdf;
        assert_eq!(
            clean_name(Some("关于合理设置公交站点的建议的答复.pdf"), pdf),
            "关于合理设置公交站点的建议的答复.pdf"
        );
        assert_eq!(clean_name(Some("../../etc/passwd"), pdf), "passwd");
        assert_eq!(clean_name(Some("..\\..\\boot.ini"), pdf), "boot.ini");
        assert_eq!(clean_name(Some("a\0b\r\n.pdf"), pdf), "ab.pdf");
        assert_eq!(clean_name(Some("../"), pdf), "document.pdf");
        assert_eq!(clean_name(None, DocumentKind::Png), "document.png");
        let long = format!("{}.docx", "长".repeat(300));
        let kept = clean_name(Some(&long), DocumentKind::Docx);
        assert_eq!(kept.chars().count(), NAME_MAX);
        assert!(kept.ends_with("长.docx"));
    }

    #[test]
    fn ranges() {
        use RangeAnswer::*;
        assert_eq!(byte_range(None, 100), Full);
        assert_eq!(byte_range(Some("bytes=0-9"), 100), Partial { start: 0, end: 9 });
        assert_eq!(byte_range(Some("bytes=90-"), 100), Partial { start: 90, end: 99 });
        assert_eq!(byte_range(Some("bytes=-10"), 100), Partial { start: 90, end: 99 });
        assert_eq!(byte_range(Some("bytes=-500"), 100), Partial { start: 0, end: 99 });
        assert_eq!(byte_range(Some("bytes=50-5000"), 100), Partial { start: 50, end: 99 });
        assert_eq!(byte_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(byte_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(byte_range(Some("bytes=0-0"), 0), Unsatisfiable);
        assert_eq!(byte_range(Some("bytes=0-1,5-6"), 100), Full);
        assert_eq!(byte_range(Some("bytes=9-1"), 100), Full);
        assert_eq!(byte_range(Some("items=0-1"), 100), Full);
        assert_eq!(byte_range(Some("bytes=x-1"), 100), Full);
    }
}
