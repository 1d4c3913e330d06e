//! The terminal: colour, standard output that survives closed pipes and
//! full disks, diagnostics rendered for people, and the progress bar.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use trialc::driver::{Checked, Progress, Session, Stop};
use trialc::io::FsSources;
use trialc::render::{self, Renderer, Shown};
use trialc::source::Sources;

/// Colour on stderr: forced by `CLICOLOR_FORCE`, off for `NO_COLOR`,
/// `TERM=dumb` and anything that is not a terminal.
pub fn use_color() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    if set("CLICOLOR_FORCE") {
        return true;
    }
    std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        && std::io::stderr().is_terminal()
}

/// Writes to stdout. A closed pipe (`| head`) ends the output quietly;
/// any other failure (a full disk) is an error, exit 2.
pub fn out(text: &str) -> Result<(), ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(render::terminal_safe(text).as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// Prints the session's diagnostics from `from` on (repeats of one code in
/// one file summarised after 10) and returns how many there are now.
pub fn print_diagnostics<S: Sources>(session: &Session<S>, from: usize) -> usize {
    let all = session.diagnostics();
    let mut renderer = Renderer::new(session.files(), use_color());
    let mut stderr = std::io::stderr().lock();
    for shown in render::summarise(all.get(from..).unwrap_or_default(), 10) {
        let text = match shown {
            Shown::One(d) => renderer.human(d),
            Shown::More { code, file, count } => {
                render::more_line(session.files(), code, file, count)
            }
        };
        let _ = stderr.write_all(text.as_bytes());
    }
    all.len()
}

/// Prints the session's diagnostics from `from` on, none summarised.
pub fn print_all_diagnostics<S: Sources>(session: &Session<S>, from: usize) {
    let mut renderer = Renderer::new(session.files(), use_color());
    let mut stderr = std::io::stderr().lock();
    for d in session.diagnostics().get(from..).unwrap_or_default() {
        let _ = stderr.write_all(renderer.human(d).as_bytes());
    }
}

pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// What a failed stage means for the user, after its diagnostics are printed.
pub fn stopped<S: Sources>(session: &Session<S>, spec: &str, stop: Stop) -> ExitCode {
    match stop {
        Stop::Invalid => {
            let (errors, _) = session.counts();
            eprintln!(
                "{}: {}; fix them first (`trialc check {spec}`)",
                render::inline(spec),
                plural(errors, "error")
            );
            ExitCode::from(1)
        }
        Stop::Unusable(p) => {
            eprintln!("error: {}\nhelp: {}", render::inline(&p.message), p.help);
            ExitCode::from(2)
        }
    }
}

/// Opens and checks a spec, printing its diagnostics.
pub fn checked(session: &mut Session<FsSources>, path: &Path) -> Result<Checked, ExitCode> {
    let name = path.display().to_string();
    let result = session.open(&name).and_then(|file| session.check(file));
    print_diagnostics(session, 0);
    result.map_err(|stop| stopped(session, &name, stop))
}

/// Writes `text` to stdout; the exit code of a command that ends here.
pub fn emit(text: &str) -> ExitCode {
    out(text).err().unwrap_or(ExitCode::SUCCESS)
}

/// Diagnostics about one text that is not part of a session (a file
/// being formatted, a hypotheses file for `init`).
pub fn print_for_text(diagnostics: &[trialc::diagnostic::Diagnostic], name: &str, text: &str) {
    let mut stderr = std::io::stderr().lock();
    for d in diagnostics {
        let _ = stderr.write_all(render::human(d, name, text, use_color()).as_bytes());
    }
}

/// A one-line progress bar on stderr, only when stderr is a terminal: one
/// step per fitted outcome. Silent otherwise, so logs and pipes stay clean.
pub struct Bar {
    pub enabled: bool,
    state: std::sync::Mutex<(String, usize, usize)>,
}

impl Bar {
    pub fn new(enabled: bool) -> Self {
        Bar {
            enabled,
            state: std::sync::Mutex::new((String::new(), 0, 0)),
        }
    }

    fn draw(&self, phase: &str, done: usize, total: usize, last: &str) {
        const WIDTH: usize = 24;
        let filled = (done * WIDTH)
            .checked_div(total)
            .unwrap_or(WIDTH)
            .min(WIDTH);
        let bar = "#".repeat(filled) + &"-".repeat(WIDTH - filled);
        let last = if last.is_empty() {
            String::new()
        } else {
            format!(" ({} done)", render::inline(last))
        };
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\x1b[2K{phase} [{bar}] {done}/{total} outcomes{last}"
        );
        let _ = stderr.flush();
    }
}

impl Progress for Bar {
    fn start(&self, phase: &str, total: usize) {
        if let Ok(mut s) = self.state.lock() {
            *s = (phase.to_string(), 0, total);
        }
        if self.enabled {
            self.draw(phase, 0, total, "");
        }
    }

    fn finished(&self, name: &str) {
        let Ok(mut s) = self.state.lock() else { return };
        s.1 += 1;
        if self.enabled {
            self.draw(&s.0, s.1, s.2, name);
        }
    }

    fn end(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
