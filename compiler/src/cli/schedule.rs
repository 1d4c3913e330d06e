//! `trialc schedule`: the schedule in every view, and `--new-key`, the
//! pharmacy's key file (the one place trialc draws OS randomness).

use std::path::Path;
use std::process::ExitCode;

use trialc::driver::{Session, SessionOptions};
use trialc::io::FsSources;
use trialc::schedule::{self, Key};

use super::args::{ScheduleArgs, ScheduleFormat};
use super::term::{checked, emit, print_diagnostics, unsealed};

pub fn run(args: &ScheduleArgs, options: SessionOptions) -> ExitCode {
    let mut session = Session::new(FsSources, options);
    if let Some(key) = &args.new_key {
        return new_key(&mut session, args.file.as_deref(), key);
    }
    let Some(path) = args.file.as_deref() else {
        eprintln!("error: no spec given\nhelp: trialc schedule spec.trial");
        return ExitCode::from(2);
    };
    let format = args.format;
    let built = match checked(&mut session, path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if built.schedule.is_realised() {
        // Nothing to print before the trial: the diary will hold the sequence.
        eprintln!(
            "error: {}: {}\nhelp: `trialc run` reports the realised periods and washouts once the diary exists; to have trialc draw and print a schedule, use a randomized design with a seed",
            path.display(),
            schedule::ScheduleError::Realised
        );
        return ExitCode::from(2);
    }
    // A participant's calendar of a blinded trial is blinded unless asked.
    let blind_calendar = matches!(format, ScheduleFormat::Ics)
        && built.schedule.blinding != schedule::Blinding::Open;
    let blinded = !args.codes && (args.blinded || (blind_calendar && !args.unblinded));
    // Every view shows the allocation (coded or not), so a spec that
    // commits to a key needs it here; a plain seed is warned about where
    // the document is for blinded readers.
    let checked = match unsealed(&mut session, built, args.key.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if blinded {
        let printed = session.diagnostics().len();
        session.warn_plain_seed(&checked, "blinded schedule");
        print_diagnostics(&session, printed);
    }
    let built = checked.schedule;
    if args.codes {
        return emit(&schedule::render::blinding_key(&built));
    }
    let view = if blinded {
        schedule::View::Blinded
    } else {
        schedule::View::Open
    };
    let text = match format {
        ScheduleFormat::Table => schedule::render::table(&built, view),
        ScheduleFormat::Csv => schedule::render::csv(&built, view),
        ScheduleFormat::Json => schedule::render::json(&built, view),
        ScheduleFormat::Ics => match schedule::render::ics(&built, view) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(1);
            }
        },
    };
    emit(&text)
}

/// `--new-key FILE [SPEC]`: a key with 32 random bytes of salt and the
/// spec's plain seed (so its schedule does not change) or a random seed;
/// written to a new file only, and its commitment printed for the spec.
fn new_key(session: &mut Session<FsSources>, spec: Option<&Path>, out: &Path) -> ExitCode {
    let checked = match spec {
        Some(path) => match checked(session, path) {
            Ok(c) => Some(c),
            Err(code) => return code,
        },
        None => None,
    };
    let kept = checked.as_ref().and_then(|c| {
        let s = &c.spec.schedule;
        (s.commitment.is_none() && s.field_spans.seed.is_some()).then_some(s.seed)
    });
    let mut random = [0u8; 40];
    if let Err(e) = getrandom::fill(&mut random) {
        eprintln!("error: the operating system gave no random bytes for the key: {e}");
        return ExitCode::from(2);
    }
    let mut salt = [0u8; 32];
    salt.copy_from_slice(&random[..32]);
    let mut seed_bytes = [0u8; 8];
    seed_bytes.copy_from_slice(&random[32..]);
    let key = Key {
        seed: kept.unwrap_or(u64::from_le_bytes(seed_bytes)),
        salt,
    };
    let trial = checked.as_ref().map(|c| c.spec.trial.id.as_str());
    let file = key.file(trial);
    if let Err(e) = trialc::io::write_new_secret(out, file.as_bytes()) {
        let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "it exists, and a key file is never replaced (the spec may commit to it)".to_string()
        } else {
            e.to_string()
        };
        eprintln!("error: cannot write the key `{}`: {why}", out.display());
        return ExitCode::from(2);
    }
    let commitment = schedule::Commitment::of(file.as_bytes());
    // The key's path for the spec, when it lies in the spec's folder tree.
    let relative = spec.and_then(|s| relative_to_folder(s, out));
    let line = match &relative {
        Some(r) => format!("seed commitment \"{}\" key \"{r}\"\n", commitment.hex()),
        None => format!("seed commitment \"{}\"\n", commitment.hex()),
    };
    eprintln!(
        "wrote the allocation key `{}` (SECRET: the pharmacy's only; whoever holds it can unblind the trial)",
        out.display()
    );
    match (kept, spec) {
        (Some(_), _) => eprintln!(
            "it keeps the spec's seed, so the schedule does not change; in the schedule block, replace `seed …` with the line below"
        ),
        (None, Some(_)) => eprintln!(
            "its seed is new and random: in the schedule block, write the line below in place of any `seed`"
        ),
        (None, None) => eprintln!("its seed is new and random: write the line below in the spec's schedule block"),
    }
    if relative.is_none() {
        eprintln!(
            "the commands that draw the allocation then need `--key {}`",
            out.display()
        );
    }
    emit(&line)
}

/// `target` relative to the folder of `spec`, when it lies inside it.
fn relative_to_folder(spec: &Path, target: &Path) -> Option<String> {
    let folder = spec.parent().unwrap_or(Path::new("."));
    let folder = std::fs::canonicalize(if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    })
    .ok()?;
    let target = std::fs::canonicalize(target).ok()?;
    let rest = target.strip_prefix(&folder).ok()?;
    let text = rest.to_str()?.replace('\\', "/");
    (!text.is_empty() && !text.contains('"')).then_some(text)
}
