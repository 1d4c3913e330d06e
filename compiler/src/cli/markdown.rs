//! Markdown (the code pages of `trialc explain`) rendered for a terminal:
//! headings underlined (bold with colour), paragraphs and list items wrapped
//! at 78 columns, code blocks indented and never wrapped, inline code kept in
//! backticks. pulldown-cmark parses; this only lays the text out.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

const WIDTH: usize = 78;

/// `markdown` laid out for a terminal; `color` adds bold headings.
pub fn render(markdown: &str, color: bool) -> String {
    let mut out = String::new();
    let mut para = String::new();
    let mut indent = String::new();
    let mut list_depth = 0usize;
    let mut ordered: Vec<Option<u64>> = Vec::new();
    let mut in_code = false;
    let mut heading: Option<HeadingLevel> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some(level);
                para.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                let text = std::mem::take(&mut para);
                let text = text.trim();
                let level = heading.take();
                if !out.is_empty() {
                    out.push('\n');
                }
                if color {
                    out.push_str(&format!("\x1b[1m{text}\x1b[0m\n"));
                } else {
                    out.push_str(text);
                    out.push('\n');
                    if level == Some(HeadingLevel::H1) {
                        out.push_str(&"=".repeat(text.chars().count()));
                        out.push('\n');
                    }
                }
            }
            Event::Start(Tag::Paragraph) => para.clear(),
            Event::End(TagEnd::Paragraph) => {
                let text = std::mem::take(&mut para);
                if list_depth == 0 {
                    out.push('\n');
                }
                wrap_into(&mut out, &text, &indent, &indent);
            }
            Event::Start(Tag::List(start)) => {
                if list_depth == 0 {
                    out.push('\n');
                }
                list_depth += 1;
                ordered.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                ordered.pop();
                indent = "  ".repeat(list_depth * 2);
            }
            Event::Start(Tag::Item) => {
                para.clear();
                let marker = match ordered.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "- ".to_string(),
                };
                let base = "  ".repeat((list_depth - 1) * 2);
                indent = format!("{base}{}", " ".repeat(marker.len() + 2));
                para.push_str(&format!("\u{0}{base}  {marker}"));
            }
            Event::End(TagEnd::Item) => {
                let text = std::mem::take(&mut para);
                if !text.trim_matches('\u{0}').trim().is_empty() {
                    item_into(&mut out, &text, &indent);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code = true;
                out.push('\n');
                if let CodeBlockKind::Fenced(lang) = kind {
                    if !lang.is_empty() && lang.as_ref() != "text" {
                        out.push_str(&format!("    ({lang})\n"));
                    }
                }
            }
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(text) if in_code => {
                for line in text.lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Event::Text(text) => para.push_str(&text),
            Event::Code(code) => {
                para.push('`');
                para.push_str(&code);
                para.push('`');
            }
            Event::SoftBreak | Event::HardBreak => para.push(' '),
            _ => {}
        }
    }
    out
}

/// A list item: its marker line, continuation lines under the text.
fn item_into(out: &mut String, text: &str, indent: &str) {
    let text = text.trim_start_matches('\u{0}');
    let marker_end = text.len() - text.trim_start().len();
    let (first_indent, body) = text.split_at(marker_end);
    let (marker, body) = body.split_once(' ').unwrap_or((body, ""));
    let first = format!("{first_indent}{marker} ");
    wrap_into(out, body, &first, indent);
}

/// Words of `text` wrapped at [`WIDTH`], the first line after `first`, the
/// others after `rest`.
fn wrap_into(out: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn headings_paragraphs_lists_and_code() {
        let page = "# E0305: no-periods\n\n## What it means\nA schedule has `cycles 0` and\nno periods.\n\n- first item\n- second `x`\n\n```trial\nschedule {\n  cycles 0\n}\n```\n";
        let text = render(page, false);
        assert_eq!(
            text,
            "E0305: no-periods\n=================\n\nWhat it means\n\nA schedule has `cycles 0` and no periods.\n\n  - first item\n  - second `x`\n\n    (trial)\n    schedule {\n      cycles 0\n    }\n"
        );
        // No raw Markdown markers left, colour only when asked.
        assert!(!text.contains("##") && !text.contains("```"));
        assert!(!text.contains('\x1b'));
        assert!(render(page, true).contains("\x1b[1mWhat it means\x1b[0m"));
    }

    #[test]
    fn long_paragraphs_wrap_at_78_columns() {
        let words = "word ".repeat(60);
        let text = render(&words, false);
        assert!(text.lines().all(|l| l.chars().count() <= 78), "{text}");
        assert_eq!(text.split_whitespace().count(), 60);
    }
}
