//! `trialc protocol FILE` and `trialc protocol diff OLD NEW`: the protocol
//! document, and an amendment, written to stdout or a file; PDF by printing
//! the HTML with headless Chromium.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use trialc::driver::{Session, SessionOptions};
use trialc::io::FsSources;
use trialc::protocol::{self, Document, Status};

use super::args::{ProtocolArgs, ProtocolCommand, ProtocolFormat};
use super::term::{checked, out, print_all_diagnostics};

pub fn run(args: &ProtocolArgs, options: SessionOptions) -> ExitCode {
    match (&args.command, &args.file) {
        (
            Some(ProtocolCommand::Diff {
                old,
                new,
                format,
                output,
            }),
            _,
        ) => diff(old, new, *format, output.as_deref(), options),
        (None, Some(file)) => render(file, args.format, args.output.as_deref(), options),
        (None, None) => {
            eprintln!("error: no spec given\nhelp: trialc protocol spec.trial -o protocol.html");
            ExitCode::from(2)
        }
    }
}

fn render(
    path: &Path,
    format: ProtocolFormat,
    output: Option<&Path>,
    options: SessionOptions,
) -> ExitCode {
    let mut session = Session::new(FsSources, options);
    let checked = match checked(&mut session, path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let printed = session.diagnostics().len();
    let built = session.protocol(&checked);
    print_all_diagnostics(&session, printed);
    let missing = built
        .checklist
        .iter()
        .filter(|r| matches!(r.status, Status::Missing { .. }))
        .count();
    eprintln!(
        "{}: {} of {} protocol items addressed{}",
        trialc::render::inline(&path.display().to_string()),
        built.checklist.len() - missing,
        built.checklist.len(),
        if missing > 0 {
            format!("; {missing} not addressed (the warnings above)")
        } else {
            String::new()
        }
    );
    write(&built.document, format, output, &[path])
}

fn diff(
    old: &Path,
    new: &Path,
    format: ProtocolFormat,
    output: Option<&Path>,
    options: SessionOptions,
) -> ExitCode {
    let mut inputs = Vec::new();
    for path in [old, new] {
        let mut session = Session::new(FsSources, options);
        match checked(&mut session, path) {
            Ok(c) => inputs.push(session.protocol_input(&c)),
            Err(code) => return code,
        }
    }
    let document = protocol::diff::amendment(&inputs[0], &inputs[1]);
    write(&document, format, output, &[old, new])
}

/// Renders `document` and writes it to `output` (or stdout); never over an input.
fn write(
    document: &Document,
    format: ProtocolFormat,
    output: Option<&Path>,
    inputs: &[&Path],
) -> ExitCode {
    if let Some(o) = output {
        let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        };
        if inputs.iter().any(|i| same(i, o)) {
            eprintln!(
                "error: `{}` is an input; trialc does not overwrite its inputs",
                o.display()
            );
            return ExitCode::from(2);
        }
    }
    let bytes = match format {
        ProtocolFormat::Html => protocol::html(document).into_bytes(),
        ProtocolFormat::Markdown => {
            let mut text = protocol::markdown(document);
            text.push('\n');
            text.into_bytes()
        }
        ProtocolFormat::Pdf => {
            let Some(o) = output else {
                eprintln!("error: a PDF is written to a file\nhelp: trialc protocol spec.trial --format pdf -o protocol.pdf");
                return ExitCode::from(2);
            };
            return match print_pdf(&protocol::html(document), o) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            };
        }
    };
    match output {
        None => match out(&String::from_utf8_lossy(&bytes)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Some(o) => match trialc::io::write_atomic(o, &bytes) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", o.display());
                ExitCode::from(2)
            }
        },
    }
}

/// The browsers that can print a PDF headless, Debian's `chromium` first;
/// `TRIALC_CHROMIUM` names another.
fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TRIALC_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// `file://` URL of an absolute path, the characters a URL reserves escaped.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for ch in path.to_string_lossy().chars() {
        match ch {
            ' ' => url.push_str("%20"),
            '#' => url.push_str("%23"),
            '%' => url.push_str("%25"),
            '?' => url.push_str("%3F"),
            c => url.push(c),
        }
    }
    url
}

/// Prints `html` to a PDF at `output` with headless Chromium.
fn print_pdf(html: &str, output: &Path) -> Result<(), String> {
    let browser = find_chromium().ok_or(
        "no Chromium found to print the PDF\nhelp: install Debian's `chromium` package (or set TRIALC_CHROMIUM), or write `--format html` and print it from a browser",
    )?;
    let work = std::env::temp_dir().join(format!("trialc-protocol-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot make `{}`: {e}", work.display()))?;
    let result = print_in(&browser, html, &work, output);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn print_in(browser: &Path, html: &str, work: &Path, output: &Path) -> Result<(), String> {
    let work = std::fs::canonicalize(work).map_err(|e| e.to_string())?;
    let page = work.join("protocol.html");
    let pdf = work.join("protocol.pdf");
    std::fs::write(&page, html).map_err(|e| format!("cannot write `{}`: {e}", page.display()))?;
    let mut child = Command::new(browser)
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--no-first-run")
        .arg("--disable-extensions")
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .arg("--no-pdf-header-footer")
        .arg("--print-to-pdf-no-header")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(file_url(&page))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", browser.display()))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > Duration::from_secs(120) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{}` did not finish printing within 120 s",
                    browser.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let bytes = std::fs::read(&pdf).map_err(|_| {
        format!(
            "`{}` printed no PDF ({status}); try `--format html` and print it from a browser",
            browser.display()
        )
    })?;
    if !bytes.starts_with(b"%PDF") {
        return Err(format!(
            "`{}` wrote something that is not a PDF",
            browser.display()
        ));
    }
    trialc::io::write_atomic(output, &bytes)
        .map_err(|e| format!("cannot write `{}`: {e}", output.display()))
}
