//! The protocol as a small document tree, and its two renderings: Markdown
//! and one self-contained HTML file (styles and SVG figures inline, no
//! script, no address outside the document).
//!
//! Both renderers walk the same tree, so the two documents cannot say
//! different things. Text is escaped for its target: nothing a spec writes
//! (a doc comment, an arm's description) can inject markup into either.

use std::fmt::Write as _;

/// A run of text inside a paragraph, a list item or a table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    /// Spec syntax, identifiers, file names.
    Code(String),
    Strong(String),
    Em(String),
    /// A link to a section of the same document (`#id`).
    Ref {
        text: String,
        id: String,
    },
}

/// A paragraph's worth of inlines.
pub type Line = Vec<Inline>;

/// Builds a [`Line`] from text and code pieces.
#[derive(Debug, Default, Clone)]
pub struct L(pub Line);

impl L {
    pub fn new() -> Self {
        L(Vec::new())
    }
    pub fn t(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Text(s.into()));
        self
    }
    pub fn c(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Code(s.into()));
        self
    }
    pub fn b(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Strong(s.into()));
        self
    }
    pub fn i(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Em(s.into()));
        self
    }
    pub fn r(mut self, text: impl Into<String>, id: impl Into<String>) -> Self {
        self.0.push(Inline::Ref {
            text: text.into(),
            id: id.into(),
        });
        self
    }
    pub fn done(self) -> Line {
        self.0
    }
}

/// Generated text as a line: its backticked parts are code.
pub fn code_spans(s: &str) -> Line {
    let mut out = Vec::new();
    for (i, part) in s.split('`').enumerate() {
        if part.is_empty() {
            continue;
        }
        out.push(if i % 2 == 1 {
            Inline::Code(part.to_string())
        } else {
            Inline::Text(part.to_string())
        });
    }
    out
}

/// Plain text as a line.
pub fn text(s: impl Into<String>) -> Line {
    vec![Inline::Text(s.into())]
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `level` 2 = section, 3 = subsection; `id` is the anchor.
    Heading {
        level: u8,
        id: String,
        text: String,
    },
    Para(Line),
    List(Vec<Line>),
    /// A header row and rows of cells.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Line>>,
    },
    /// Preformatted text: spec excerpts, formulas (`lang` is the fence's info).
    Pre {
        lang: String,
        text: String,
    },
    /// A figure: SVG for HTML; Markdown shows the caption and points at the table beside it.
    Figure {
        svg: String,
        caption: String,
    },
    /// Text quoted from the spec's `///` doc comments.
    Quote(Vec<String>),
    /// An item the protocol does not address: the warning code and what is missing.
    Gap {
        code: String,
        text: Line,
    },
}

/// A whole protocol (or amendment) document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: impl Into<String>) -> Self {
        Document {
            title: title.into(),
            blocks: Vec::new(),
        }
    }
    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }
    pub fn heading(&mut self, level: u8, id: impl Into<String>, text: impl Into<String>) {
        self.push(Block::Heading {
            level,
            id: id.into(),
            text: text.into(),
        });
    }
    pub fn para(&mut self, line: Line) {
        self.push(Block::Para(line));
    }
    pub fn table(&mut self, head: &[&str], rows: Vec<Vec<Line>>) {
        self.push(Block::Table {
            head: head.iter().map(|h| h.to_string()).collect(),
            rows,
        });
    }
}

// ---------------------------------------------------------------- Markdown

/// Escapes text for Markdown: characters that would start emphasis, code,
/// links, HTML, entities or strike-through. Line starts are [`md_start`]'s.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A rendered line that would start a list item (`- `, `+ `, `1. `, `1) `)
/// gets its marker escaped.
fn md_start(line: String) -> String {
    if line.starts_with(['-', '+']) {
        return format!("\\{line}");
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && matches!(line[digits..].chars().next(), Some('.' | ')')) {
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    line
}

/// Inline code that survives backticks inside it.
fn md_code(s: &str) -> String {
    let s = s.replace('\n', " ");
    let mut ticks = 1;
    while s.contains(&"`".repeat(ticks)) {
        ticks += 1;
    }
    let fence = "`".repeat(ticks);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn md_line(line: &[Inline]) -> String {
    let mut out = String::new();
    for inline in line {
        match inline {
            Inline::Text(t) => out.push_str(&md_escape(t)),
            Inline::Code(t) => out.push_str(&md_code(t)),
            Inline::Strong(t) => {
                let _ = write!(out, "**{}**", md_escape(t));
            }
            Inline::Em(t) => {
                let _ = write!(out, "*{}*", md_escape(t));
            }
            Inline::Ref { text, id } => {
                let _ = write!(out, "[{}](#{id})", md_escape(text));
            }
        }
    }
    out
}

/// The document as Markdown (CommonMark with GitHub tables).
pub fn markdown(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", md_escape(&doc.title));
    for block in &doc.blocks {
        match block {
            Block::Heading { level, id, text } => {
                let hashes = "#".repeat(usize::from(*level));
                let _ = writeln!(out, "<a id=\"{id}\"></a>\n\n{hashes} {}\n", md_escape(text));
            }
            Block::Para(line) => {
                let _ = writeln!(out, "{}\n", md_start(md_line(line)));
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", md_line(item));
                }
                out.push('\n');
            }
            Block::Table { head, rows } => {
                let cells: Vec<String> = head.iter().map(|h| md_escape(h)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
                let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| md_line(c)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
                out.push('\n');
            }
            Block::Pre { lang, text } => {
                let mut fence = "```".to_string();
                while text.contains(&fence) {
                    fence.push('`');
                }
                let _ = writeln!(
                    out,
                    "{fence}{lang}\n{}\n{fence}\n",
                    text.trim_end_matches('\n')
                );
            }
            Block::Figure { caption, .. } => {
                let _ = writeln!(
                    out,
                    "*Figure: {} (drawn in the HTML rendering; the table below gives the same days).*\n",
                    md_escape(caption)
                );
            }
            Block::Quote(paragraphs) => {
                for (i, p) in paragraphs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(">\n");
                    }
                    for l in p.lines() {
                        let _ = writeln!(out, "> {}", md_start(md_escape(l)));
                    }
                }
                out.push('\n');
            }
            Block::Gap { code, text } => {
                let _ = writeln!(out, "> **Not addressed ({code}).** {}\n", md_line(text));
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

// ---------------------------------------------------------------- HTML

/// Escapes text and attribute values for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_line(line: &[Inline]) -> String {
    let mut out = String::new();
    for inline in line {
        match inline {
            Inline::Text(t) => out.push_str(&html_escape(t)),
            Inline::Code(t) => {
                let _ = write!(out, "<code>{}</code>", html_escape(t));
            }
            Inline::Strong(t) => {
                let _ = write!(out, "<strong>{}</strong>", html_escape(t));
            }
            Inline::Em(t) => {
                let _ = write!(out, "<em>{}</em>", html_escape(t));
            }
            Inline::Ref { text, id } => {
                let _ = write!(
                    out,
                    "<a href=\"#{}\">{}</a>",
                    html_escape(id),
                    html_escape(text)
                );
            }
        }
    }
    out
}

/// The style sheet: readable on screen, A4 when printed; long words and
/// code wrap so that nothing runs out of its box.
const STYLE: &str = "\
*{box-sizing:border-box}
html{font-size:11pt}
body{font-family:\"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;line-height:1.45;color:#111;max-width:48em;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin:0 0 .6em}
h2{font-size:1.25em;border-bottom:1px solid #999;margin-top:1.8em;break-after:avoid}
h3{font-size:1.05em;margin-top:1.3em;break-after:avoid}
p,li,td,th,blockquote{overflow-wrap:anywhere}
code,pre{font-family:\"DejaVu Sans Mono\",\"Liberation Mono\",monospace;font-size:.9em}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f4f4;border:1px solid #ddd;padding:.6em;break-inside:avoid}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #bbb;padding:.25em .45em;text-align:left;vertical-align:top}
th{background:#eee}
tr{break-inside:avoid}
blockquote{margin:.6em 0;padding:.3em .8em;border-left:4px solid #6a8caf;background:#f3f7fb}
blockquote p{margin:.3em 0}
.gap{margin:.6em 0;padding:.4em .8em;border-left:4px solid #c0620c;background:#fff3e6}
figure{margin:1em 0;break-inside:avoid}
figure svg{display:block;width:100%;height:auto}
figcaption{font-size:.9em;color:#333}
@page{size:A4;margin:16mm 15mm}
@media print{body{max-width:none;margin:0;padding:0}}
";

/// The document as one self-contained HTML file.
pub fn html(doc: &Document) -> String {
    let mut out = String::new();
    let title = html_escape(&doc.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    for block in &doc.blocks {
        match block {
            Block::Heading { level, id, text } => {
                let _ = writeln!(
                    out,
                    "<h{level} id=\"{}\">{}</h{level}>",
                    html_escape(id),
                    html_escape(text)
                );
            }
            Block::Para(line) => {
                let _ = writeln!(out, "<p>{}</p>", html_line(line));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", html_line(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Table { head, rows } => {
                out.push_str("<table>\n<thead><tr>");
                for h in head {
                    let _ = write!(out, "<th>{}</th>", html_escape(h));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        let _ = write!(out, "<td>{}</td>", html_line(cell));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
            Block::Pre { lang, text } => {
                let _ = writeln!(
                    out,
                    "<pre class=\"{}\">{}</pre>",
                    html_escape(lang),
                    html_escape(text.trim_end_matches('\n'))
                );
            }
            Block::Figure { svg, caption } => {
                let _ = writeln!(
                    out,
                    "<figure>\n{svg}<figcaption>{}</figcaption>\n</figure>",
                    html_escape(caption)
                );
            }
            Block::Quote(paragraphs) => {
                out.push_str("<blockquote>");
                for p in paragraphs {
                    let _ = write!(out, "<p>{}</p>", html_escape(p).replace('\n', " "));
                }
                out.push_str("</blockquote>\n");
            }
            Block::Gap { code, text } => {
                let _ = writeln!(
                    out,
                    "<div class=\"gap\"><strong>Not addressed ({code}).</strong> {}</div>",
                    html_line(text)
                );
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        let mut d = Document::new("A <trial> & *its* protocol");
        d.heading(2, "s1", "One");
        d.para(L::new().t("a_b *c* <script>").c("x ` y").done());
        d.table(&["k", "v"], vec![vec![text("a|b"), text("c")]]);
        d.push(Block::Quote(vec!["# not a heading\nsecond line".into()]));
        d
    }

    #[test]
    fn markdown_escapes_what_the_spec_writes() {
        let md = markdown(&sample());
        assert!(md.contains("a\\_b \\*c\\* \\<script\\>"), "{md}");
        assert!(md.contains("``x ` y``"), "{md}");
        assert!(md.contains("a\\|b"), "{md}");
        assert!(md.contains("> \\# not a heading"), "{md}");
        assert!(
            md.starts_with("# A \\<trial\\> \\& \\*its\\* protocol\n"),
            "{md}"
        );
    }

    #[test]
    fn html_escapes_what_the_spec_writes() {
        let html = html(&sample());
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script"));
        assert!(html.contains("<title>A &lt;trial&gt; &amp; *its* protocol</title>"));
    }

    #[test]
    fn a_list_marker_at_the_start_of_a_line_is_escaped() {
        assert_eq!(md_start("- not a list".into()), "\\- not a list");
        assert_eq!(md_start("1. not a list".into()), "1\\. not a list");
        assert_eq!(md_start("12) not a list".into()), "12\\) not a list");
        assert_eq!(md_start("15 days".into()), "15 days");
        assert_eq!(md_escape("a & b ~ c"), "a \\& b \\~ c");
    }
}
