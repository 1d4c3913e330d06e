//! The IO edge of the library: reading sources from disk and writing
//! outputs atomically. With `main.rs`, the only code allowed to touch the
//! file system (clippy's `disallowed-methods`, configured in `clippy.toml`,
//! enforces it everywhere else).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::source::{Access, ReadError, Sources};

/// Files on disk. Paths named inside a spec must stay inside the spec's
/// folder tree after every symbolic link is followed.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsSources;

impl Sources for FsSources {
    fn read(&self, path: &str, access: Access<'_>) -> Result<String, ReadError> {
        let path = Path::new(path);
        if let Access::Within(folder) = access {
            let folder = if folder.is_empty() { "." } else { folder };
            let (Ok(root), Ok(target)) = (Path::new(folder).canonicalize(), path.canonicalize())
            else {
                return Err(ReadError::NotFound);
            };
            if !target.starts_with(&root) {
                return Err(ReadError::OutsideTree);
            }
        }
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            _ => ReadError::Other(e.to_string()),
        })?;
        String::from_utf8(bytes).map_err(|e| ReadError::not_text(e.as_bytes(), &e.utf8_error()))
    }
}

/// Reads standard input whole (`trialc fmt -`).
pub fn read_stdin() -> std::io::Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
    Ok(text)
}

/// Writes `contents` to `path` atomically: into a temporary file in the
/// same folder, synced, then renamed over `path`. A reader sees the old
/// file or the new one, never half of one; a crash leaves at most a
/// temporary file named `.NAME.tmp-PID`.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    let temporary = folder.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Writes a secret to a new file: never over an existing one (the call
/// fails with `AlreadyExists`), readable by its owner only on Unix, synced.
/// A failed write leaves no file behind.
pub fn write_new_secret(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let result = file.write_all(contents).and_then(|()| file.sync_all());
    if result.is_err() {
        drop(file);
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Whether two paths name the same existing file (after links).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The folder of `--out`, checked before anything is fitted.
///
/// Accepted: a folder that does not exist yet (created), an empty folder,
/// or a folder trialc wrote before, recognised by its marker file
/// [`OUT_MARKER`], which lists the files of that run. Writing replaces each
/// file atomically, removes the previous run's files that this run does not
/// write (a 2-chain run after a 4-chain run leaves no `pain-3.csv`), and
/// writes the marker last. Any other folder is refused: trialc never
/// overwrites files it did not write.
#[derive(Debug)]
pub struct OutDir {
    path: PathBuf,
    previous: Vec<String>,
}

/// The file in an output folder listing what trialc wrote there.
pub const OUT_MARKER: &str = ".trialc-outputs";

impl OutDir {
    pub fn check(path: &Path) -> Result<OutDir, String> {
        let shown = path.display();
        if path.exists() && !path.is_dir() {
            return Err(format!("`{shown}` exists and is not a folder"));
        }
        if !path.exists() {
            std::fs::create_dir_all(path).map_err(|e| format!("cannot create `{shown}`: {e}"))?;
        }
        let entries: Vec<String> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read `{shown}`: {e}"))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let previous = match std::fs::read_to_string(path.join(OUT_MARKER)) {
            Ok(list) => list.lines().map(str::to_string).collect::<Vec<_>>(),
            Err(_) if entries.is_empty() => Vec::new(),
            Err(_) => {
                return Err(format!(
                    "`{shown}` is not empty and was not written by trialc; give a new or empty folder (trialc does not overwrite other files)"
                ))
            }
        };
        // A marker that lists a name with a path in it is not ours.
        if previous
            .iter()
            .any(|n| n.contains('/') || n.contains('\\') || n == "..")
        {
            return Err(format!(
                "`{shown}/{OUT_MARKER}` is not a trialc output list"
            ));
        }
        Ok(OutDir {
            path: path.to_path_buf(),
            previous,
        })
    }

    /// Writes every file atomically, then removes the previous run's files
    /// this run did not write, then the marker. Returns the files written.
    pub fn write(&self, files: &[(String, String)]) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (name, contents) in files {
            let path = self.path.join(name);
            write_atomic(&path, contents.as_bytes())?;
            written.push(path);
        }
        for old in &self.previous {
            if !files.iter().any(|(n, _)| n == old) {
                let _ = std::fs::remove_file(self.path.join(old));
            }
        }
        let list: String = files.iter().map(|(n, _)| format!("{n}\n")).collect();
        write_atomic(&self.path.join(OUT_MARKER), list.as_bytes())?;
        Ok(written)
    }
}

/// Where a run writes besides stdout, checked before anything is fitted:
/// the evidence file must not be one of the run's inputs, and the output
/// folder must be one trialc may write ([`OutDir::check`]).
#[derive(Debug)]
pub struct Outputs {
    evidence: Option<PathBuf>,
    dir: Option<(PathBuf, OutDir)>,
}

impl Outputs {
    /// The outputs of a run of `spec` with `settings` whose inputs are the
    /// files of `map`.
    pub fn for_run(
        map: &crate::source::SourceMap,
        spec: &crate::hir::Spec,
        settings: &crate::fit::RunSettings,
        evidence: Option<&Path>,
        dir: Option<&Path>,
    ) -> Result<Outputs, String> {
        let inputs: Vec<PathBuf> = map.iter().map(|(_, f)| PathBuf::from(&f.name)).collect();
        let nuts = settings.method == trialc_runtime::posterior::Method::Nuts;
        let names = crate::report::output_names(spec, settings.chains, nuts);
        Outputs::check(&inputs, evidence, dir, &names)
    }

    /// `names`: the files the run will write into `dir` (each must be a
    /// name the file system can take: at most 255 bytes).
    pub fn check(
        inputs: &[PathBuf],
        evidence: Option<&Path>,
        dir: Option<&Path>,
        names: &[String],
    ) -> Result<Outputs, String> {
        if dir.is_some() {
            if let Some(long) = names.iter().find(|n| n.len() > 255) {
                return Err(format!(
                    "the output file `{}…` would have a name of {} bytes, more than file systems allow (255); shorten the outcome or arm name",
                    long.chars().take(40).collect::<String>(),
                    long.len()
                ));
            }
        }
        if let Some(file) = evidence {
            if inputs.iter().any(|i| same_file(i, file)) {
                return Err(format!(
                    "`{}` is an input of this run; trialc never overwrites its inputs (export the evidence to a new file)",
                    file.display()
                ));
            }
        }
        let dir = match dir {
            Some(d) => Some((d.to_path_buf(), OutDir::check(d)?)),
            None => None,
        };
        Ok(Outputs {
            evidence: evidence.map(Path::to_path_buf),
            dir,
        })
    }

    /// Writes the evidence file (atomically), if one was asked for.
    pub fn write_evidence(&self, contents: impl FnOnce() -> String) -> Result<(), String> {
        match &self.evidence {
            Some(file) => write_atomic(file, contents().as_bytes())
                .map_err(|e| format!("cannot write the evidence file `{}`: {e}", file.display())),
            None => Ok(()),
        }
    }

    /// Writes the `--out` files, if a folder was asked for: how many, and where.
    pub fn write_dir(
        &self,
        files: impl FnOnce() -> Vec<(String, String)>,
    ) -> Result<Option<(usize, &Path)>, String> {
        match &self.dir {
            Some((path, dir)) => dir
                .write(&files())
                .map(|written| Some((written.len(), path.as_path())))
                .map_err(|e| format!("cannot write outputs to `{}`: {e}", path.display())),
            None => Ok(None),
        }
    }
}

/// `--out DIR`: checks the folder ([`OutDir::check`]) and writes `files`.
pub fn write_outputs(dir: &Path, files: &[(String, String)]) -> Result<Vec<PathBuf>, String> {
    OutDir::check(dir)?
        .write(files)
        .map_err(|e| format!("cannot write outputs to `{}`: {e}", dir.display()))
}

/// `file` as a path relative to the folder `output` will be in (forward
/// slashes), or as given when it is not below that folder: how a spec
/// written to `output` names `file`.
pub fn relative_to_folder_of(file: &Path, output: Option<&Path>) -> String {
    let path = match output.and_then(|o| o.parent()) {
        Some(dir) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            match (dir.canonicalize(), file.canonicalize()) {
                (Ok(d), Ok(f)) => f.strip_prefix(&d).map(Path::to_path_buf).unwrap_or(f),
                _ => file.to_path_buf(),
            }
        }
        None => file.to_path_buf(),
    };
    path.display().to_string().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("trialc-io-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temporary() {
        let dir = scratch("atomic");
        let path = dir.join("a.json");
        write_atomic(&path, b"first").expect("write");
        write_atomic(&path, b"second, longer").expect("rewrite");
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("second, longer")
        );
        let names: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn out_dirs_replace_their_own_files_and_refuse_others() {
        let dir = scratch("out");
        let out = dir.join("fit");
        let files = |names: &[&str]| -> Vec<(String, String)> {
            names
                .iter()
                .map(|n| (n.to_string(), format!("{n} contents")))
                .collect()
        };
        OutDir::check(&out)
            .and_then(|o| {
                o.write(&files(&["report.json", "pain-1.csv", "pain-2.csv"]))
                    .map_err(|e| e.to_string())
            })
            .expect("first run");
        OutDir::check(&out)
            .and_then(|o| {
                o.write(&files(&["report.json", "pain-1.csv"]))
                    .map_err(|e| e.to_string())
            })
            .expect("second run");
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [OUT_MARKER, "pain-1.csv", "report.json"]);
        // A folder with files trialc did not write is refused.
        std::fs::write(dir.join("notes.txt"), "mine").expect("write");
        assert!(OutDir::check(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_spec_folder_are_refused() {
        let dir = scratch("links");
        let inside = dir.join("trial");
        std::fs::create_dir_all(&inside).expect("dir");
        std::fs::write(dir.join("secret.csv"), "day\n1\n").expect("write");
        std::fs::write(inside.join("diary.csv"), "day\n1\n").expect("write");
        std::os::unix::fs::symlink(dir.join("secret.csv"), inside.join("link.csv"))
            .expect("symlink");
        let folder = inside.to_string_lossy().into_owned();
        let read = |name: &str| {
            FsSources.read(
                &inside.join(name).to_string_lossy(),
                Access::Within(&folder),
            )
        };
        assert_eq!(read("diary.csv"), Ok("day\n1\n".to_string()));
        assert_eq!(read("link.csv"), Err(ReadError::OutsideTree));
        assert_eq!(read("none.csv"), Err(ReadError::NotFound));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
