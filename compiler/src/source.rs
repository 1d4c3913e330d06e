//! The files a session has loaded, and where it loads them from.
//!
//! A [`SourceMap`] owns every text a session read (the spec, its Markdown
//! protocol, the diary, hypotheses files) under a [`FileId`]; diagnostics
//! carry those ids on their labels, so a renderer or an editor knows which
//! file each label is in.
//!
//! A [`Sources`] is where texts come from: files on disk for the CLI (the
//! IO edge implements it), in-memory buffers for the editor and for tests
//! ([`MemorySources`]). Paths named *inside* a spec (`data "…"`,
//! `hypotheses … from "…"`) are untrusted: [`resolve_within`] resolves them
//! against the spec's folder and refuses any that leave its tree, before a
//! `Sources` is asked for them; a `Sources` on disk also refuses a path
//! that leaves the tree through a symbolic link ([`Access::Within`]).

use std::collections::BTreeMap;

use serde::Serialize;

/// A file loaded into a session. The spec a session opens first is `FileId(0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct FileId(pub u32);

/// What a loaded file is; renderers and editors may treat kinds differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A `.trial` spec.
    Spec,
    /// A Markdown protocol whose ```trial blocks form the spec.
    Markdown,
    /// A diary CSV.
    Diary,
    /// An LFM hypotheses file (`trialc-hypotheses/1`).
    Hypotheses,
    /// Another platform's file read by `trialc import` (a study definition,
    /// a results export).
    Import,
}

/// One loaded text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown to people: the path as the user gave it, or as the
    /// spec's path joined with the name the spec gives.
    pub name: String,
    pub kind: FileKind,
    /// The text as read (what diagnostics quote and spans index into).
    pub text: String,
}

/// Every file of a session, by id.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, kind: FileKind, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name: name.into(),
            kind,
            text,
        });
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The file's name, or `?` for an id this map did not give out.
    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("?", |f| f.name.as_str())
    }

    /// The file's text, or `""` for an id this map did not give out.
    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map_or("", |f| f.text.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

/// How a path may be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access<'a> {
    /// Given by the user (a command-line argument): read as given.
    Direct,
    /// Named inside a spec: the file must lie inside this folder's tree
    /// (after following symbolic links). `""` is the current folder.
    Within(&'a str),
}

/// Why a text could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// No such file (or the buffer is not there).
    NotFound,
    /// The file is not UTF-8 text: the byte at `offset` (0-based, on
    /// 1-based `line`) is the first that is not.
    NotText { offset: usize, line: usize },
    /// It resolves (through a link) to a place outside the allowed tree.
    OutsideTree,
    /// Anything else the operating system said.
    Other(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("no such file"),
            ReadError::NotText { offset, line } => write!(
                f,
                "it is not UTF-8 text (byte {offset}, on line {line}, is the first that is not; save the file as UTF-8)"
            ),
            ReadError::OutsideTree => {
                f.write_str("it leads outside the spec's folder (through a link)")
            }
            ReadError::Other(e) => f.write_str(e),
        }
    }
}

impl ReadError {
    /// The error of bytes that are not UTF-8, locating the first bad byte.
    pub fn not_text(bytes: &[u8], error: &std::str::Utf8Error) -> ReadError {
        let offset = error.valid_up_to();
        let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
        ReadError::NotText { offset, line }
    }
}

/// Where a session's texts come from.
pub trait Sources {
    /// The text of `path` (forward slashes, as the session resolved it).
    fn read(&self, path: &str, access: Access<'_>) -> Result<String, ReadError>;
}

/// In-memory buffers by path: the editor's open documents, and tests.
#[derive(Debug, Clone, Default)]
pub struct MemorySources {
    files: BTreeMap<String, String>,
}

impl MemorySources {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a buffer.
    pub fn with(mut self, path: impl Into<String>, text: impl Into<String>) -> Self {
        self.insert(path, text);
        self
    }

    pub fn insert(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.files.insert(normalise(&path.into()), text.into());
    }
}

impl Sources for MemorySources {
    fn read(&self, path: &str, _access: Access<'_>) -> Result<String, ReadError> {
        // Buffers have no links: the lexical confinement of `resolve_within`
        // is all there is to check.
        self.files
            .get(&normalise(path))
            .cloned()
            .ok_or(ReadError::NotFound)
    }
}

/// A path named inside a spec, resolved against the spec's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The path to read: the spec's folder joined with the written path.
    pub path: String,
    /// The spec's folder (`""` when the spec is in the current folder).
    pub folder: String,
}

/// Why a path written in a spec is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// `/etc/passwd`, `C:\…`, `\\server\…`.
    Absolute,
    /// `../x` that climbs above the spec's folder.
    Escapes,
    /// Empty, or only `.` and separators.
    Empty,
}

/// The folder of a path (`a/b/c.trial` → `a/b`; `c.trial` → ``).
pub fn folder_of(path: &str) -> String {
    let path = path.replace('\\', "/");
    match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => path[..i].to_string(),
        None => String::new(),
    }
}

/// Resolves `written` (a path inside a spec) against the folder of the spec
/// at `spec_path`. Confined unless `allow_outside`: the result must stay
/// inside the spec's folder tree, judged lexically (`a/../b` is fine,
/// `../b` is not); absolute paths are refused. With `allow_outside` any path
/// is resolved (absolute ones as written).
pub fn resolve_within(
    spec_path: &str,
    written: &str,
    allow_outside: bool,
) -> Result<Resolved, PathProblem> {
    let folder = folder_of(spec_path);
    let written_slashes = written.replace('\\', "/");
    let absolute = written_slashes.starts_with('/')
        || written_slashes.as_bytes().get(1) == Some(&b':')
        || written_slashes.starts_with("//");
    if absolute {
        if allow_outside {
            return Ok(Resolved {
                path: normalise(&written_slashes),
                folder,
            });
        }
        return Err(PathProblem::Absolute);
    }
    let relative = if allow_outside {
        // Allowed to leave the tree: the written path as it is.
        written_slashes.clone()
    } else {
        let mut parts: Vec<&str> = Vec::new();
        for part in written_slashes.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(PathProblem::Escapes);
                    }
                }
                p => parts.push(p),
            }
        }
        parts.join("/")
    };
    if normalise(&relative).is_empty() {
        return Err(PathProblem::Empty);
    }
    let path = if folder.is_empty() {
        relative
    } else if folder == "/" {
        format!("/{relative}")
    } else {
        format!("{folder}/{relative}")
    };
    Ok(Resolved {
        path: normalise(&path),
        folder,
    })
}

/// Forward slashes, no `.` steps, no doubled separators, `x/..` pairs
/// collapsed (leading `..` kept; the leading `/` of an absolute path kept):
/// a lexical clean, as Go's `filepath.Clean`.
pub fn normalise(path: &str) -> String {
    let path = path.replace('\\', "/");
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_spec_folder() {
        let r = resolve_within("examples/m/m.trial", "diary.csv", false);
        assert_eq!(r.map(|r| r.path), Ok("examples/m/diary.csv".to_string()));
        let r = resolve_within("m.trial", "./h/p.json", false);
        assert_eq!(r.map(|r| r.path), Ok("h/p.json".to_string()));
        let r = resolve_within("a/m.trial", "h/../d.csv", false);
        assert_eq!(r.map(|r| r.path), Ok("a/d.csv".to_string()));
    }

    #[test]
    fn paths_leaving_the_tree_are_refused_unless_allowed() {
        for written in ["../../../../etc/passwd", "h/../../x", ".."] {
            assert_eq!(
                resolve_within("a/m.trial", written, false),
                Err(PathProblem::Escapes),
                "{written}"
            );
        }
        for written in ["/etc/shadow", "C:\\Windows\\x", "\\\\server\\share"] {
            assert_eq!(
                resolve_within("a/m.trial", written, false),
                Err(PathProblem::Absolute),
                "{written}"
            );
        }
        assert_eq!(
            resolve_within("a/m.trial", "", false),
            Err(PathProblem::Empty)
        );
        assert_eq!(
            resolve_within("a/m.trial", "/etc/x", true).map(|r| r.path),
            Ok("/etc/x".to_string())
        );
        assert_eq!(
            resolve_within("a/m.trial", "../b/x.csv", true).map(|r| r.path),
            Ok("b/x.csv".to_string())
        );
        assert_eq!(
            resolve_within("m.trial", "../../x.csv", true).map(|r| r.path),
            Ok("../../x.csv".to_string())
        );
        assert_eq!(normalise("/../a/./b//c/../d"), "/a/b/d");
    }

    #[test]
    fn memory_sources_find_buffers_by_normalised_path() {
        let s = MemorySources::new().with("./a/b.csv", "x");
        assert_eq!(s.read("a/b.csv", Access::Direct), Ok("x".to_string()));
        assert_eq!(s.read("a/c.csv", Access::Direct), Err(ReadError::NotFound));
    }
}
