//! `trialc run … --report FORMAT FILE`: the result document (CENT 2015)
//! written as HTML, Markdown, or a PDF of the HTML printed by headless
//! Chromium; never over an input.

use std::path::{Path, PathBuf};

use trialc::protocol::{self, Document};
use trialc::source::SourceMap;

use super::args::RunArgs;

/// How the result document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Pdf,
}

/// A result document asked for: its format and file.
#[derive(Debug, Clone)]
pub struct Requested {
    pub format: Format,
    pub path: PathBuf,
}

/// `--report FORMAT FILE`, checked before anything is fitted.
pub fn requested(args: &RunArgs) -> Result<Option<Requested>, String> {
    let Some(values) = &args.report else {
        return Ok(None);
    };
    let [format, path] = values.as_slice() else {
        return Err("`--report` takes a format and a file: `--report html result.html`".into());
    };
    let format = match format.as_str() {
        "html" => Format::Html,
        "markdown" | "md" => Format::Markdown,
        "pdf" => Format::Pdf,
        other => {
            return Err(format!(
                "`--report {other}`: the result document is `html`, `pdf` or `markdown`"
            ))
        }
    };
    let path = PathBuf::from(path);
    let mut inputs: Vec<&Path> = vec![args.file.as_path()];
    inputs.extend(args.data.as_deref());
    inputs.extend(args.key.as_deref());
    if inputs.iter().any(|i| trialc::io::same_file(i, &path)) {
        return Err(format!(
            "`{}` is an input of this run; trialc never overwrites its inputs",
            path.display()
        ));
    }
    Ok(Some(Requested { format, path }))
}

/// Refuses a document path that is one of the files the run read.
pub fn check_inputs(requested: &Requested, files: &SourceMap) -> Result<(), String> {
    if files
        .iter()
        .any(|(_, f)| trialc::io::same_file(Path::new(&f.name), &requested.path))
    {
        return Err(format!(
            "`{}` is an input of this run; trialc never overwrites its inputs",
            requested.path.display()
        ));
    }
    Ok(())
}

/// Renders and writes the document.
pub fn write(requested: &Requested, doc: &Document) -> Result<(), String> {
    let path = &requested.path;
    let bytes = match requested.format {
        Format::Html => protocol::html(doc).into_bytes(),
        Format::Markdown => {
            let mut text = protocol::markdown(doc);
            text.push('\n');
            text.into_bytes()
        }
        Format::Pdf => {
            return super::protocol::print_pdf(&protocol::doc::html_for_print(doc), path)
        }
    };
    trialc::io::write_atomic(path, &bytes)
        .map_err(|e| format!("cannot write the result document `{}`: {e}", path.display()))
}
