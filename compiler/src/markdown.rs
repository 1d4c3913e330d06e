//! Specs embedded in protocol documents: every ```trial block of a Markdown file.
//!
//! All blocks of one document together form one spec. Instead of copying the
//! blocks out (and mapping every span back), the document is masked: each
//! byte outside a ```trial block becomes a space, line breaks stay. The masked
//! text has the same length and the same lines as the document, so every
//! diagnostic's byte span is already a span into the Markdown file.

/// Is this path a Markdown document (rather than a `.trial` file)?
pub fn is_markdown(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// The masked document and the number of ```trial blocks found.
pub fn extract(document: &str) -> (String, usize) {
    let mut masked = String::with_capacity(document.len());
    let mut inside: Option<(char, usize)> = None; // fence character and length
    let mut blocks = 0;
    for line in document.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence = fence_of(trimmed);
        let keep = match (inside, fence) {
            (None, Some((ch, len, info))) if indent <= 3 => {
                if info.split_whitespace().next() == Some("trial") {
                    blocks += 1;
                    inside = Some((ch, len));
                } else {
                    // Another language's block: skip to its closing fence.
                    inside = Some((ch, len + 1_000_000));
                }
                false
            }
            (Some((ch, len)), Some((c, l, info)))
                if c == ch && l >= len % 1_000_000 && info.trim().is_empty() && indent <= 3 =>
            {
                inside = None;
                false
            }
            (Some((_, len)), _) => len < 1_000_000,
            (None, _) => false,
        };
        if keep {
            masked.push_str(line);
        } else {
            for ch in line.chars() {
                if ch == '\n' || ch == '\r' {
                    masked.push(ch);
                } else {
                    for _ in 0..ch.len_utf8() {
                        masked.push(' ');
                    }
                }
            }
        }
    }
    (masked, blocks)
}

/// The comment a generated protocol writes just before its ```trial block:
/// the SHA-256 of the block's text when the protocol was generated.
pub const RECORD_PREFIX: &str = "<!-- trialc-spec sha256=";

/// The record line for a block whose text has SHA-256 `hex`.
pub fn record_line(hex: &str) -> String {
    format!("{RECORD_PREFIX}{hex} -->")
}

/// One ```trial block of a document, by byte ranges into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBlock {
    /// 1-based, in document order.
    pub number: usize,
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The opening fence line (without its line break).
    pub fence: std::ops::Range<usize>,
    /// The lines between the fences, line breaks included.
    pub content: std::ops::Range<usize>,
    /// The SHA-256 recorded for it (lower-case hex) and the record's line,
    /// when the line before the fence is a [`RECORD_PREFIX`] comment.
    pub recorded: Option<(String, std::ops::Range<usize>)>,
}

/// Every ```trial block of a document, with the hash a generated protocol
/// recorded for it. Fences are found as [`extract`] finds them.
pub fn blocks(document: &str) -> Vec<TrialBlock> {
    let mut out: Vec<TrialBlock> = Vec::new();
    let mut inside: Option<(char, usize, bool)> = None; // fence, length, a trial block
    let mut previous: Option<std::ops::Range<usize>> = None;
    let mut offset = 0;
    for (index, line) in document.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence = fence_of(trimmed).filter(|_| indent <= 3);
        match (inside, fence) {
            (None, Some((ch, len, info))) => {
                let trial = info.split_whitespace().next() == Some("trial");
                inside = Some((ch, len, trial));
                if trial {
                    let recorded = previous.clone().and_then(|r| {
                        let text = document[r.clone()].trim();
                        let hex = text
                            .strip_prefix(RECORD_PREFIX)?
                            .strip_suffix("-->")?
                            .trim();
                        Some((hex.to_ascii_lowercase(), r))
                    });
                    out.push(TrialBlock {
                        number: out.len() + 1,
                        line: index + 1,
                        fence: start..start + bare.len(),
                        content: offset..offset,
                        recorded,
                    });
                }
            }
            (Some((ch, len, trial)), Some((c, l, info)))
                if c == ch && l >= len && info.trim().is_empty() =>
            {
                inside = None;
                if trial {
                    if let Some(b) = out.last_mut() {
                        b.content.end = start;
                    }
                }
            }
            (Some((_, _, true)), _) => {
                if let Some(b) = out.last_mut() {
                    b.content.end = offset;
                }
            }
            _ => {}
        }
        previous = (!bare.trim().is_empty()).then(|| start..start + bare.len());
    }
    out
}

/// A fence line: ``` or ~~~ (3 or more), with its info string.
fn fence_of(trimmed: &str) -> Option<(char, usize, &str)> {
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == ch).count();
    (len >= 3).then(|| (ch, len, trimmed[len..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_trial_blocks_in_place_and_blanks_the_rest() {
        let doc = "# Protocol ≥ µg\n\n```trial\narm a\n```\n\ntext\n```json\n{}\n```\n````trial\narm b\n````\n";
        let (masked, blocks) = extract(doc);
        assert_eq!(blocks, 2);
        assert_eq!(masked.len(), doc.len());
        assert_eq!(masked.lines().count(), doc.lines().count());
        assert_eq!(masked.find("arm a"), doc.find("arm a"));
        assert_eq!(masked.find("arm b"), doc.find("arm b"));
        assert!(!masked.contains('{'));
        assert!(!masked.contains("Protocol"));
    }

    #[test]
    fn blocks_and_their_recorded_hashes() {
        let doc = "# P\n\n<!-- trialc-spec sha256=ABC -->\n```trial\narm a\n\narm b\n```\n\n```trial\narm c\n```\n````\n```trial\nnot a block\n```\n````\n";
        let found = blocks(doc);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(&doc[found[0].content.clone()], "arm a\n\narm b\n");
        assert_eq!(&doc[found[0].fence.clone()], "```trial");
        assert_eq!(found[0].line, 4);
        let (hex, at) = found[0].recorded.clone().expect("recorded");
        assert_eq!(hex, "abc");
        assert_eq!(&doc[at], "<!-- trialc-spec sha256=ABC -->");
        assert_eq!(&doc[found[1].content.clone()], "arm c\n");
        assert_eq!(found[1].recorded, None);
        assert_eq!(found[1].number, 2);
        // The same blocks `extract` keeps.
        assert_eq!(extract(doc).1, 2);
    }

    #[test]
    fn an_unclosed_block_runs_to_the_end() {
        let (masked, blocks) = extract("```trial\narm a\n");
        assert_eq!(blocks, 1);
        assert!(masked.contains("arm a"));
    }
}
