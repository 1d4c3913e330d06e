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
    fn an_unclosed_block_runs_to_the_end() {
        let (masked, blocks) = extract("```trial\narm a\n");
        assert_eq!(blocks, 1);
        assert!(masked.contains("arm a"));
    }
}
