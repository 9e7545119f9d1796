//! The letters' CJK fonts: Noto Serif CJK SC regular (the body, for 仿宋) and bold (the
//! authority, title and headings, for 小标宋 and 黑体), from the system's font package
//! (Debian's `fonts-noto-cjk`), mapped read-only so that only the pages a letter touches
//! are read. Never downloaded at run time.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use krilla::text::Font;
use skrifa::instance::{LocationRef, Size};
use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

/// Where the font package puts the files, on Debian and Ubuntu first.
pub const SEARCH_DIRS: &[&str] = &[
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/noto",
];
const REGULAR: &str = "NotoSerifCJK-Regular.ttc";
const BOLD: &str = "NotoSerifCJK-Bold.ttc";

/// A face of the letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// One font file, mapped, and the index of its Simplified Chinese face.
struct Loaded {
    map: Arc<memmap2::Mmap>,
    index: u32,
    font: Font,
}

impl Loaded {
    fn open(path: &Path) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // SAFETY: a system font file, opened read-only; the package manager replaces such
        // files by renaming, never by writing into them.
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("{}: {e}", path.display()))?);
        let index = sc_index(&map).ok_or_else(|| format!("{}: no Simplified Chinese face", path.display()))?;
        let data: Arc<dyn AsRef<[u8]> + Send + Sync> = map.clone();
        let font = Font::new(data.into(), index).ok_or_else(|| format!("{}: not a font", path.display()))?;
        Ok(Self { map, index, font })
    }

    fn font_ref(&self) -> FontRef<'_> {
        FontRef::from_index(&self.map, self.index).expect("checked when opened")
    }
}

/// The face of a collection whose family name says SC (the collection also holds the
/// Japanese, Korean and traditional faces).
fn sc_index(data: &[u8]) -> Option<u32> {
    let count = match FileRef::new(data).ok()? {
        FileRef::Font(_) => 1,
        FileRef::Collection(c) => c.len(),
    };
    (0..count).find(|&i| {
        FontRef::from_index(data, i).is_ok_and(|f| {
            f.localized_strings(StringId::FAMILY_NAME).any(|s| s.to_string().split(' ').any(|w| w == "SC"))
        })
    })
}

/// The letters' fonts.
pub struct Fonts {
    regular: Loaded,
    bold: Loaded,
}

impl Fonts {
    /// Loads the fonts from `dir`, or from the first of [`SEARCH_DIRS`] that has them.
    pub fn load(dir: Option<&Path>) -> Result<Self, String> {
        let dirs: Vec<PathBuf> = match dir {
            Some(d) => vec![d.to_path_buf()],
            None => SEARCH_DIRS.iter().map(PathBuf::from).collect(),
        };
        let Some(found) = dirs.iter().find(|d| d.join(REGULAR).is_file() && d.join(BOLD).is_file()) else {
            return Err(format!(
                "the letters' fonts ({REGULAR}, {BOLD}) are not in {}; install Debian's fonts-noto-cjk \
                 (apt-get install fonts-noto-cjk) or set JIANYI_FONT_DIR",
                dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
            ));
        };
        Ok(Self { regular: Loaded::open(&found.join(REGULAR))?, bold: Loaded::open(&found.join(BOLD))? })
    }

    /// The process's fonts, loaded on first use from `dir` (the first caller's) or the
    /// search path; the error says how to install them.
    pub fn shared(dir: Option<&Path>) -> Result<&'static Fonts, String> {
        static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
        FONTS.get_or_init(|| Fonts::load(dir)).as_ref().map_err(Clone::clone)
    }

    fn loaded(&self, face: Face) -> &Loaded {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    /// The font to draw a face with.
    pub fn font(&self, face: Face) -> Font {
        self.loaded(face).font.clone()
    }
}

/// How wide text is set: the layout asks, the fonts answer (tests answer with a rule).
pub trait Measure {
    /// The advance of each character of `text` at `size` points.
    fn advances(&self, face: Face, size: f32, text: &str) -> Vec<f32>;
}

impl Measure for Fonts {
    fn advances(&self, face: Face, size: f32, text: &str) -> Vec<f32> {
        let f = self.loaded(face).font_ref();
        let charmap = f.charmap();
        let metrics = f.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                charmap.map(c).and_then(|g| metrics.advance_width(g)).unwrap_or(if c.is_ascii() {
                    size / 2.0
                } else {
                    size
                })
            })
            .collect()
    }
}
