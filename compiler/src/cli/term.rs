//! The terminal: colour, standard output that survives closed pipes and
//! full disks, diagnostics rendered for people, and the progress bar.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use trialc::driver::{Checked, Progress, Session, Stop};
use trialc::io::FsSources;
use trialc::render::{self, Renderer, Shown};
use trialc::source::Sources;
use trialc_runtime::progress::Counter;

/// Colour on stderr: forced by `CLICOLOR_FORCE`, off for `NO_COLOR`,
/// `TERM=dumb` and anything that is not a terminal.
pub fn use_color() -> bool {
    color_for(std::io::stderr().is_terminal())
}

/// Colour on stdout (`trialc explain`): as [`use_color`], for stdout.
pub fn use_color_on_stdout() -> bool {
    color_for(std::io::stdout().is_terminal())
}

/// The colour conventions for a stream that is (or is not) a terminal.
fn color_for(terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    if set("CLICOLOR_FORCE") {
        return true;
    }
    std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        && terminal
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
            // A file that cannot be read is a file problem, whichever it is.
            ExitCode::from(if session.unreadable_file() { 2 } else { 1 })
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

/// One fit's bar and the counter it shows.
type FitBar = (indicatif::ProgressBar, Arc<Counter>);

/// Progress bars on stderr, only when stderr is a terminal: one per fit,
/// counting its chains' iterations (warmup, then draws) with the number of
/// chains in each phase and an ETA, under the phase (`fitting`, then the
/// `sensitivity` refit). Silent otherwise, so logs and pipes stay clean.
pub struct Bar {
    pub enabled: bool,
    multi: indicatif::MultiProgress,
    phase: Mutex<String>,
    /// Shared with the thread that redraws them from their counters.
    bars: Arc<Mutex<Vec<FitBar>>>,
    ticker: Mutex<Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>>,
}

impl Bar {
    pub fn new(enabled: bool) -> Self {
        let target = if enabled {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        };
        Bar {
            enabled,
            multi: indicatif::MultiProgress::with_draw_target(target),
            phase: Mutex::new(String::new()),
            bars: Arc::new(Mutex::new(Vec::new())),
            ticker: Mutex::new(None),
        }
    }
}

/// Moves each bar to its counter's position, with its chains' phases.
fn refresh(bars: &Mutex<Vec<FitBar>>) {
    let Ok(bars) = bars.lock() else { return };
    for (bar, counter) in bars.iter() {
        if bar.is_finished() {
            continue;
        }
        let s = counter.snapshot();
        bar.set_length(s.total.max(1));
        bar.set_position(s.done);
        let mut phases = Vec::new();
        if s.finished > 0 {
            phases.push(format!("{} done", s.finished));
        }
        if s.warming_up > 0 {
            phases.push(format!("{} warming up", s.warming_up));
        }
        if s.sampling > 0 {
            phases.push(format!("{} sampling", s.sampling));
        }
        bar.set_message(phases.join(", "));
    }
}

impl Progress for Bar {
    fn start(&self, phase: &str, _total: usize) {
        if !self.enabled {
            return;
        }
        if let Ok(mut p) = self.phase.lock() {
            *p = phase.to_string();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let handle = std::thread::spawn({
            let (stop, bars) = (stop.clone(), self.bars.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    refresh(&bars);
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
        });
        if let Ok(mut t) = self.ticker.lock() {
            *t = Some((stop, handle));
        }
    }

    fn fit_started(&self, name: &str, counter: &Arc<Counter>) {
        if !self.enabled {
            return;
        }
        let phase = self.phase.lock().map(|p| p.clone()).unwrap_or_default();
        let style = indicatif::ProgressStyle::with_template(
            "{prefix:<28} [{bar:24}] {pos}/{len} iterations, {msg} (ETA {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("#>-");
        let bar = self
            .multi
            .add(indicatif::ProgressBar::new(counter.snapshot().total.max(1)));
        bar.set_style(style);
        let what = if phase == "sensitivity" {
            format!("{} (sceptical refit)", render::inline(name))
        } else {
            render::inline(name).into_owned()
        };
        bar.set_prefix(what);
        if let Ok(mut bars) = self.bars.lock() {
            bars.push((bar, counter.clone()));
        }
    }

    fn finished(&self, _name: &str) {
        refresh(&self.bars);
    }

    fn end(&self) {
        if let Ok(mut t) = self.ticker.lock() {
            if let Some((stop, handle)) = t.take() {
                stop.store(true, Ordering::Relaxed);
                let _ = handle.join();
            }
        }
        if let Ok(mut bars) = self.bars.lock() {
            for (bar, _) in bars.drain(..) {
                bar.finish_and_clear();
            }
        }
        let _ = self.multi.clear();
    }
}
