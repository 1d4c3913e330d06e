//! The tree-sitter grammar's checks that need no tree-sitter CLI, run by
//! `cargo test --workspace` on the committed parser (src/parser.c):
//!
//! - on every file of `test/pest-verdicts.txt` (every example,
//!   standard-library and `tests/ui` spec and the agreement cases under
//!   `test/agreement`) tree-sitter accepts or rejects as the normative pest
//!   grammar does; the list itself is what pest says, kept so by
//!   `compiler/tests/editors.rs`. A tree with an ERROR or MISSING node
//!   anywhere is a reject, as for `tree-sitter parse`;
//! - every test of `test/corpus/*.txt` parses to its expected S-expression,
//!   read and compared the way `tree-sitter test` does;
//! - every query file under `editors/` (Neovim, Helix, Zed) compiles
//!   against the grammar and matches something in an example;
//! - `grammar.js`, `tree-sitter.json` and `src/` are the files
//!   `generate.sh` last hashed together (`generated.sha256`), so a
//!   grammar.js edited without regenerating the parser fails here. Only
//!   `test.sh` (with the CLI) regenerates src/ and proves it is what the
//!   CLI makes of grammar.js; it also runs the highlight assertions of
//!   `test/highlight`, which this file does not.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test is an IO edge of its own

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Parser, Query, QueryCursor, Tree};

/// `editors/tree-sitter-trial`.
fn grammar_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace() -> PathBuf {
    grammar_dir().join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_trial::LANGUAGE.into())
        .expect("the runtime reads the parser's ABI version");
    parser
}

fn parse(parser: &mut Parser, text: &str) -> Tree {
    parser
        .parse(text, None)
        .expect("a tree (no timeout is set)")
}

/// The first ERROR or MISSING node in document order, to say where a
/// rejected file goes wrong.
fn first_error(node: Node<'_>) -> Option<Node<'_>> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    let children: Vec<_> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error)
}

#[test]
fn tree_sitter_accepts_exactly_what_pest_accepts() {
    let list = read(&grammar_dir().join("test/pest-verdicts.txt"));
    let mut parser = parser();
    let (mut accepted, mut rejected) = (0, 0);
    let mut mismatches = Vec::new();
    for line in list.lines() {
        let (verdict, path) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("`accept PATH` or `reject PATH`, not `{line}`"));
        let pest_accepts = match verdict {
            "accept" => true,
            "reject" => false,
            other => panic!("`{other}` is not a verdict (in `{line}`)"),
        };
        let tree = parse(&mut parser, &read(&workspace().join(path)));
        let root = tree.root_node();
        let tree_sitter_accepts = !root.has_error();
        if tree_sitter_accepts {
            accepted += 1;
        } else {
            rejected += 1;
        }
        if tree_sitter_accepts != pest_accepts {
            let at = first_error(root).map_or_else(String::new, |node| {
                let p = node.start_position();
                format!(" ({} at {}:{})", node.to_sexp(), p.row + 1, p.column + 1)
            });
            let says = if tree_sitter_accepts {
                "accepts"
            } else {
                "rejects"
            };
            mismatches.push(format!(
                "{path}: pest says {verdict}, tree-sitter {says}{at}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "tree-sitter and pest disagree on {} of {} files:\n{}",
        mismatches.len(),
        accepted + rejected,
        mismatches.join("\n")
    );
    assert!(
        accepted >= 20 && rejected >= 20,
        "the corpus has both kinds: {accepted} accepted, {rejected} rejected"
    );
}

/// One test of a `test/corpus/*.txt` file.
#[derive(Debug)]
struct CorpusTest {
    name: String,
    input: String,
    /// The expected S-expression, normalised (see [`normalise_sexp`]).
    expected: String,
    /// `:error`: the input must not parse cleanly; the expected tree is not compared.
    error: bool,
    /// `:skip`.
    skip: bool,
}

/// The length of a delimiter line: three or more `c` and nothing else.
fn delimiter(line: &str, c: char) -> Option<usize> {
    let line = line.trim_end_matches(['\n', '\r']);
    (line.len() >= 3 && line.chars().all(|x| x == c)).then_some(line.len())
}

/// Reads the corpus format of `tree-sitter test`: a header (a line of `===`,
/// the name, attribute lines such as `:skip` or `:error`, a line of `===`),
/// the input, a line of `---` (the longest such line of the body, the
/// later one on a tie, so that an input may contain a shorter one), the
/// expected S-expression. The input loses its last line break, as in
/// `tree-sitter test`. Delimiters with suffixes (`===|||`) and the
/// attributes `:cst`, `:language`, `:platform` and `:fail-fast` are not
/// read: a file using them fails here rather than being misread.
fn read_corpus(text: &str, file: &str) -> Vec<CorpusTest> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Headers: (index of the opening line, index after the closing line, name, error, skip).
    let mut headers = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("===") && delimiter(line, '=').is_none() {
            panic!(
                "{file}:{}: delimiters with a suffix are not read here",
                i + 1
            );
        }
        if delimiter(line, '=').is_none() {
            i += 1;
            continue;
        }
        let Some(close) = (i + 1..lines.len()).find(|&j| delimiter(lines[j], '=').is_some()) else {
            panic!("{file}:{}: a header without its closing `===` line", i + 1);
        };
        let (mut name, mut error, mut skip) = (Vec::new(), false, false);
        for line in &lines[i + 1..close] {
            match line.trim() {
                ":error" => error = true,
                ":skip" => skip = true,
                attribute if attribute.starts_with(':') => {
                    panic!("{file}: attribute `{attribute}` is not read here")
                }
                "" => {}
                text => name.push(text),
            }
        }
        assert!(!name.is_empty(), "{file}:{}: a test without a name", i + 1);
        headers.push((i, close + 1, name.join(" "), error, skip));
        i = close + 1;
    }
    let mut tests = Vec::new();
    for (k, (_, body_start, name, error, skip)) in headers.iter().enumerate() {
        let body_end = headers.get(k + 1).map_or(lines.len(), |h| h.0);
        let body = &lines[*body_start..body_end];
        let divider = body
            .iter()
            .enumerate()
            .filter_map(|(j, line)| delimiter(line, '-').map(|len| (len, j)))
            .max()
            .map(|(_, j)| j)
            .unwrap_or_else(|| panic!("{file}: test `{name}` has no `---` line"));
        let mut input = body[..divider].concat();
        if input.ends_with('\n') {
            input.pop();
            if input.ends_with('\r') {
                input.pop();
            }
        }
        tests.push(CorpusTest {
            name: name.clone(),
            input,
            expected: normalise_sexp(&body[divider + 1..].concat()),
            error: *error,
            skip: *skip,
        });
    }
    tests
}

/// An expected S-expression as `tree-sitter test` compares it: comment
/// lines (`;`) dropped, every run of whitespace (line breaks included) one
/// space, no space before a `)`, none at either end.
fn normalise_sexp(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with(';')) {
        for word in line.split_whitespace() {
            if !out.is_empty() && !word.starts_with(')') {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// `to_sexp` output without field names (`name: (identifier)` becomes
/// `(identifier)`), for expected trees that name no fields, as
/// `tree-sitter test` compares them.
fn strip_fields(sexp: &str) -> String {
    sexp.split(' ')
        .filter(|word| {
            !(word.len() > 1
                && word.ends_with(':')
                && word[..word.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_corpus_reader_reads_what_tree_sitter_test_reads() {
    let text = "==========\nFirst\n:error\n==========\narm a\n---\nx\n----\n\n; a comment\n(source_file\n  (arm  name: (identifier) )\n)\n\n===\nSecond\n===\n\nb\n\n---\n(x)\n";
    let tests = read_corpus(text, "inline");
    assert_eq!(tests.len(), 2);
    assert_eq!(tests[0].name, "First");
    assert!(tests[0].error && !tests[0].skip);
    assert_eq!(tests[0].input, "arm a\n---\nx", "the longest `---` divides");
    assert_eq!(tests[0].expected, "(source_file (arm name: (identifier)))");
    assert_eq!(tests[1].input, "\nb\n");
    assert_eq!(tests[1].expected, "(x)");
    assert_eq!(
        strip_fields("(a name: (b) (c) d: (MISSING \"}\"))"),
        "(a (b) (c) (MISSING \"}\"))"
    );
}

#[test]
fn every_corpus_test_parses_to_its_expected_tree() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(grammar_dir().join("test/corpus"))
        .expect("test/corpus")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "test/corpus has tests");
    let mut parser = parser();
    let (mut passed, mut failures) = (0, Vec::new());
    for path in &files {
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let tests = read_corpus(&read(path), &file);
        assert!(!tests.is_empty(), "{file} has no tests");
        for test in tests.iter().filter(|t| !t.skip) {
            let tree = parse(&mut parser, &test.input);
            let root = tree.root_node();
            if test.error {
                if root.has_error() {
                    passed += 1;
                } else {
                    failures.push(format!(
                        "{file}: `{}` is marked :error but parses cleanly",
                        test.name
                    ));
                }
                continue;
            }
            let mut actual = root.to_sexp();
            if !test.expected.contains(": (") {
                actual = strip_fields(&actual);
            }
            if actual == test.expected {
                passed += 1;
            } else {
                failures.push(format!(
                    "{file}: `{}`\n  expected: {}\n  actual:   {actual}",
                    test.name, test.expected
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus tests failed ({passed} passed):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn query_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "node_modules") {
                query_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "scm") {
            out.push(path);
        }
    }
}

#[test]
fn every_editor_query_compiles_and_matches_an_example() {
    let editors = workspace().join("editors");
    let mut files = Vec::new();
    query_files(&editors, &mut files);
    files.sort();
    let found: Vec<String> = files
        .iter()
        .map(|p| {
            p.strip_prefix(&editors)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    for expected in [
        "tree-sitter-trial/queries/highlights.scm",
        "tree-sitter-trial/queries/folds.scm",
        "helix/queries/trial/highlights.scm",
        "zed/languages/trial/highlights.scm",
        "zed/languages/trial/folds.scm",
        "zed/languages/trial/outline.scm",
        "zed/languages/trial/brackets.scm",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "editors/{expected} is not among the query files found: {found:?}"
        );
    }
    let example = read(&workspace().join("examples/magnesium-migraine/magnesium-migraine.trial"));
    let mut parser = parser();
    let tree = parse(&mut parser, &example);
    assert!(!tree.root_node().has_error(), "the example parses");
    let language = tree_sitter_trial::LANGUAGE.into();
    let mut problems = Vec::new();
    for (path, name) in files.iter().zip(&found) {
        match Query::new(&language, &read(path)) {
            Err(e) => problems.push(format!("editors/{name}: {e}")),
            Ok(query) => {
                let mut cursor = QueryCursor::new();
                let matches = cursor
                    .matches(&query, tree.root_node(), example.as_bytes())
                    .count();
                if matches == 0 {
                    problems.push(format!("editors/{name}: no match in the magnesium example"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `generated.sha256` (the format of `sha256sum`, which `generate.sh`
/// writes and `test.sh` checks with `sha256sum -c`).
#[test]
fn the_committed_parser_was_generated_from_this_grammar_js() {
    let dir = grammar_dir();
    let record = read(&dir.join("generated.sha256"));
    let mut listed = Vec::new();
    let mut stale = Vec::new();
    for line in record.lines() {
        let (hash, path) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("`HASH  PATH`, not `{line}`"));
        let bytes = std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        let actual: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if actual != hash {
            stale.push(path.to_string());
        }
        listed.push(path.to_string());
    }
    // Every generated file and both inputs of `tree-sitter generate` are listed.
    let mut expected = vec!["grammar.js".to_string(), "tree-sitter.json".to_string()];
    let mut stack = vec![dir.join("src")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("src/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(&dir) {
                expected.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    expected.sort();
    listed.sort();
    assert_eq!(
        listed, expected,
        "generated.sha256 lists grammar.js, tree-sitter.json and every file of src/"
    );
    assert!(
        stale.is_empty(),
        "{stale:?} changed since src/ was generated: run editors/tree-sitter-trial/generate.sh \
         (tree-sitter CLI and Node.js), then editors/tree-sitter-trial/test.sh, and commit src/ \
         and generated.sha256"
    );
}
