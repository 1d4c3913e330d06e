//! Positions and names: byte offsets (what spans are) to LSP positions (a
//! line and a column counted in UTF-16 code units, or in bytes when the
//! client agrees to UTF-8), file URIs to the paths a session resolves, and
//! the ```trial blocks of a Markdown document.

use std::ops::Range;

/// How the client counts columns (LSP 3.17 `positionEncoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8 (offered by the client, preferred).
    Utf8,
    /// UTF-16 code units: the protocol's default, and what VS Code uses.
    Utf16,
}

/// A position as the protocol writes it: 0-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub character: u32,
}

/// The start of every line of a text. Line breaks are `\n`, `\r\n` and a
/// lone `\r`, as in the protocol (and the grammar's `NEWLINE`).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The byte range of line `line` without its line break.
    pub fn line_range(&self, text: &str, line: usize) -> Range<usize> {
        let Some(&start) = self.starts.get(line) else {
            return self.len..self.len;
        };
        let mut end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        start..end
    }

    /// The 0-based line an offset is on.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// The position of a byte offset (clamped into the text and back onto
    /// a character boundary).
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Pos {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.starts[line].min(offset);
        let character = match encoding {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => text[start..offset].encode_utf16().count(),
        };
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            character: u32::try_from(character).unwrap_or(u32::MAX),
        }
    }

    /// The byte offset of a position; a column past the end of its line is
    /// the end of the line, a line past the end is the end of the text, a
    /// column inside a character is that character's start.
    pub fn offset(&self, text: &str, pos: Pos, encoding: Encoding) -> usize {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let range = self.line_range(text, line);
        let line_text = &text[range.clone()];
        let wanted = pos.character as usize;
        match encoding {
            Encoding::Utf8 => {
                let mut at = wanted.min(line_text.len());
                while !line_text.is_char_boundary(at) {
                    at -= 1;
                }
                range.start + at
            }
            Encoding::Utf16 => {
                let mut units = 0;
                for (i, c) in line_text.char_indices() {
                    if units >= wanted {
                        return range.start + i;
                    }
                    units += c.len_utf16();
                    if units > wanted {
                        // Inside a surrogate pair: the character's start.
                        return range.start + i;
                    }
                }
                range.end
            }
        }
    }
}

/// The path of a `file:` URI, percent-decoded (`file:///c%3A/x` → `c:/x`
/// on a drive-letter path); `None` for other schemes.
pub fn uri_to_path(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path`: keep the path (a host other than localhost is a
    // network share, named as `//host/path`).
    let (host, path) = match rest.find('/') {
        Some(0) => ("", rest),
        Some(i) => (&rest[..i], &rest[i..]),
        None => return None,
    };
    let decoded = percent_decode(path)?;
    let path = match decoded.as_bytes() {
        // `/c:/x` → `c:/x`
        [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => decoded[1..].to_string(),
        _ => decoded,
    };
    Some(if host.is_empty() || host == "localhost" {
        path
    } else {
        format!("//{host}{path}")
    })
}

/// The `file:` URI of a path (absolute, forward slashes), percent-encoded
/// as VS Code does: everything but unreserved characters and `/`.
pub fn path_to_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::from("file://");
    if !path.starts_with('/') {
        out.push('/');
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The byte ranges of the contents of every ```trial block of a Markdown
/// document (without the fence lines), as `markdown::extract` keeps them:
/// a fence of three or more backticks or tildes indented at most three
/// spaces, closed by a fence of the same character at least as long with
/// no info string, or by the end of the document.
pub fn trial_blocks(document: &str) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    // (fence char, fence length, is trial, content start)
    let mut inside: Option<(char, usize, bool, usize)> = None;
    let mut offset = 0;
    for line in document.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence = fence_of(trimmed).filter(|_| indent <= 3);
        match (inside, fence) {
            (None, Some((ch, len, info))) => {
                let trial = info.split_whitespace().next() == Some("trial");
                inside = Some((ch, len, trial, offset + line.len()));
            }
            (Some((ch, len, trial, start)), Some((c, l, info)))
                if c == ch && l >= len && info.trim().is_empty() =>
            {
                if trial {
                    blocks.push(start..offset);
                }
                inside = None;
            }
            _ => {}
        }
        offset += line.len();
    }
    if let Some((_, _, true, start)) = inside {
        blocks.push(start..document.len());
    }
    blocks
}

fn fence_of(trimmed: &str) -> Option<(char, usize, &str)> {
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == ch).count();
    (len >= 3).then(|| (ch, len, trimmed[len..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_in_both_encodings() {
        let text = "ab\r\nµ😀x\rlast\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let emoji_end = text.find('x').unwrap_or(0);
        let p16 = index.position(text, emoji_end, Encoding::Utf16);
        assert_eq!(
            p16,
            Pos {
                line: 1,
                character: 3
            }
        ); // µ = 1 unit, 😀 = 2
        let p8 = index.position(text, emoji_end, Encoding::Utf8);
        assert_eq!(
            p8,
            Pos {
                line: 1,
                character: 6
            }
        );
        assert_eq!(index.offset(text, p16, Encoding::Utf16), emoji_end);
        assert_eq!(index.offset(text, p8, Encoding::Utf8), emoji_end);
        // Inside the surrogate pair: the emoji's start.
        let inside = index.offset(
            text,
            Pos {
                line: 1,
                character: 2,
            },
            Encoding::Utf16,
        );
        assert_eq!(&text[inside..inside + 4], "😀");
        // Past the end of a line: its end, before the lone CR.
        let end = index.offset(
            text,
            Pos {
                line: 1,
                character: 99,
            },
            Encoding::Utf16,
        );
        assert_eq!(end, emoji_end + 1);
        assert_eq!(
            index.offset(
                text,
                Pos {
                    line: 9,
                    character: 0
                },
                Encoding::Utf8
            ),
            text.len()
        );
        assert_eq!(index.position(text, 3, Encoding::Utf8).line, 0);
    }

    #[test]
    fn file_uris_and_paths() {
        assert_eq!(
            uri_to_path("file:///home/a%20b/x.trial").as_deref(),
            Some("/home/a b/x.trial")
        );
        assert_eq!(
            uri_to_path("file:///c%3A/w/x.trial").as_deref(),
            Some("c:/w/x.trial")
        );
        assert_eq!(uri_to_path("untitled:Untitled-1"), None);
        assert_eq!(
            path_to_uri("/home/a b/µ.json"),
            "file:///home/a%20b/%C2%B5.json"
        );
        assert_eq!(
            uri_to_path(&path_to_uri("/tmp/x y/ü.trial")).as_deref(),
            Some("/tmp/x y/ü.trial")
        );
    }

    #[test]
    fn trial_blocks_are_what_the_markdown_mask_keeps() {
        let doc = "# P\n\n```trial\narm a\n\n```\ntext\n```json\n```trial\n```\n~~~~trial x\narm b\n~~~\n~~~~\n```trial\nlast";
        let blocks = trial_blocks(doc);
        let (masked, count) = crate::markdown::extract(doc);
        assert_eq!(blocks.len(), count);
        for block in &blocks {
            assert_eq!(&masked[block.clone()], &doc[block.clone()]);
        }
        for (i, b) in masked.bytes().enumerate() {
            if !b.is_ascii_whitespace() {
                assert!(
                    blocks.iter().any(|r| r.contains(&i)),
                    "byte {i} kept outside a block"
                );
            }
        }
        assert_eq!(&doc[blocks[0].clone()], "arm a\n\n");
        assert_eq!(&doc[blocks[1].clone()], "arm b\n~~~\n");
        assert_eq!(&doc[blocks[2].clone()], "last");
    }
}
