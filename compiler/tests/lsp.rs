//! `trialc lsp` as an editor sees it: JSON-RPC over the stdio of the real
//! binary (the magnesium example, read from disk), and in-process over a
//! memory connection for the rest (Markdown protocols, the decide and
//! report grammar, semantic tokens, folding, symbols, inlay hints).
//!
//! Deterministic: every wait is for a specific message (a response to an
//! id, the diagnostics of a document version); the time-outs only turn a
//! hang into a failure.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::Duration;

use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);

/// Where messages go and come from.
enum Transport {
    Process {
        child: Child,
        stdin: ChildStdin,
    },
    Memory(
        lsp_server::Connection,
        Option<std::thread::JoinHandle<Result<bool, String>>>,
    ),
}

struct Client {
    transport: Transport,
    incoming: Receiver<Value>,
    /// Notifications and requests from the server not yet looked at.
    stash: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn process() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trialc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("trialc lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || read_messages(stdout, tx));
        Client {
            transport: Transport::Process { child, stdin },
            incoming: rx,
            stash: Vec::new(),
            next_id: 1,
        }
    }

    fn memory(files: trialc::source::MemorySources) -> Client {
        let (server, client) = lsp_server::Connection::memory();
        let handle = std::thread::spawn(move || trialc::lsp::serve(&server, &files));
        let (tx, rx) = channel();
        let receiver = client.receiver.clone();
        std::thread::spawn(move || {
            while let Ok(message) = receiver.recv() {
                let value = serde_json::to_value(&message).unwrap_or(Value::Null);
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Client {
            transport: Transport::Memory(client, Some(handle)),
            incoming: rx,
            stash: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, mut message: Value) {
        message["jsonrpc"] = json!("2.0");
        match &mut self.transport {
            Transport::Process { stdin, .. } => {
                let body = message.to_string();
                write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
                stdin.flush().expect("flush");
            }
            Transport::Memory(connection, _) => {
                let m: lsp_server::Message = serde_json::from_value(message).expect("a message");
                connection.sender.send(m).expect("server alive");
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "method": method, "params": params }));
    }

    /// The whole response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "id": id, "method": method, "params": params }));
        loop {
            let m = self
                .incoming
                .recv_timeout(WAIT)
                .expect("a response in time");
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return m;
            }
            self.stash.push(m);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The diagnostics published for `uri` at `version` (or for `uri` at
    /// all when `version` is `None`), waiting for them.
    fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let wanted = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && version.is_none_or(|v| m["params"]["version"] == v)
        };
        if let Some(i) = self.stash.iter().position(wanted) {
            let m = self.stash.remove(i);
            return m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
        loop {
            let m = self
                .incoming
                .recv_timeout(WAIT)
                .expect("diagnostics in time");
            if wanted(&m) {
                return m["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
            self.stash.push(m);
        }
    }

    fn initialize(&mut self, utf8: bool) -> Value {
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let r = self.result(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": {
                    "general": { "positionEncodings": encodings },
                    "textDocument": { "completion": { "completionItem": { "snippetSupport": true } } }
                },
                "initializationOptions": { "codeDocs": "https://example.org/trialc/docs/codes/" }
            }),
        );
        self.notify("initialized", json!({}));
        r
    }

    /// `shutdown`, `exit`, and the server's exit status.
    fn shut_down(mut self) -> bool {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        self.notify("exit", Value::Null);
        match self.transport {
            Transport::Process { mut child, stdin } => {
                drop(stdin);
                child.wait().expect("trialc lsp exits").success()
            }
            Transport::Memory(_, handle) => handle
                .and_then(|h| h.join().ok())
                .is_some_and(|r| r == Ok(true)),
        }
    }
}

fn read_messages(stdout: impl Read, tx: Sender<Value>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse::<usize>().ok();
            }
        }
        let Some(n) = length else { return };
        let mut body = vec![0; n];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let Ok(value) = serde_json::from_slice(&body) else {
            return;
        };
        if tx.send(value).is_err() {
            return;
        }
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("workspace")
}

fn file_uri(path: &std::path::Path) -> String {
    trialc::lsp::text::path_to_uri(&path.to_string_lossy())
}

/// The 0-based line and UTF-16 column of the first occurrence of `needle`
/// (plus `skip` bytes) in `text`.
fn pos(text: &str, needle: &str, skip: usize) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"))
        + skip;
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let character = text[line_start..at].encode_utf16().count();
    json!({ "line": line, "character": character })
}

fn doc(uri: &str) -> Value {
    json!({ "uri": uri })
}

fn at(uri: &str, text: &str, needle: &str, skip: usize) -> Value {
    json!({ "textDocument": doc(uri), "position": pos(text, needle, skip) })
}

fn hover_text(r: &Value) -> String {
    r["contents"]["value"].as_str().unwrap_or("").to_string()
}

fn labels(r: &Value) -> Vec<String> {
    let items = r.get("items").unwrap_or(r);
    items
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["label"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Applies LSP text edits (UTF-16 positions) to a text.
fn apply(text: &str, edits: &[Value]) -> String {
    let index = trialc::lsp::text::LineIndex::new(text);
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let p = |v: &Value| trialc::lsp::text::Pos {
                line: v["line"].as_u64().unwrap_or(0) as u32,
                character: v["character"].as_u64().unwrap_or(0) as u32,
            };
            let enc = trialc::lsp::text::Encoding::Utf16;
            (
                index.offset(text, p(&e["range"]["start"]), enc),
                index.offset(text, p(&e["range"]["end"]), enc),
                e["newText"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (s, e, t) in spans {
        out.replace_range(s..e, &t);
    }
    out
}

#[test]
fn an_editor_session_over_stdio_on_the_magnesium_example() {
    let dir = workspace().join("examples/magnesium-migraine");
    let spec_path = dir.join("magnesium-migraine.trial");
    let json_path = dir.join("hypotheses/p0042.json");
    let diary_path = dir.join("diary.csv");
    let text = std::fs::read_to_string(&spec_path).expect("the example");
    let uri = file_uri(&spec_path);

    let mut c = Client::process();
    let init = c.initialize(false);
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    for cap in [
        "hoverProvider",
        "completionProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
        "foldingRangeProvider",
        "semanticTokensProvider",
        "codeActionProvider",
        "inlayHintProvider",
    ] {
        assert!(!caps[cap].is_null(), "{cap} is not offered: {caps}");
    }

    // Open: the example is clean.
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "trial", "version": 1, "text": text } }),
    );
    assert_eq!(c.diagnostics(&uri, Some(1)), Vec::<Value>::new());

    // A typo: `magnesium` → `magnesim` in the first model.
    let typo_at = text.find("effect magnesium ~ lfm.H1").expect("the effect") + "effect ".len();
    let start = pos(&text, "effect magnesium ~ lfm.H1", "effect ".len());
    let end = pos(&text, "effect magnesium ~ lfm.H1", "effect magnesium".len());
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": { "start": start, "end": end }, "text": "magnesim" }]
        }),
    );
    let mut typo = text.clone();
    typo.replace_range(typo_at..typo_at + "magnesium".len(), "magnesim");
    let diagnostics = c.diagnostics(&uri, Some(2));
    let e0201: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "E0201")
        .collect();
    assert_eq!(e0201.len(), 1, "{diagnostics:?}");
    let d = e0201[0];
    assert_eq!(d["severity"], 1);
    assert_eq!(d["range"]["start"], start);
    assert_eq!(
        d["range"]["end"],
        pos(&typo, "effect magnesim", "effect magnesim".len())
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("did you mean `magnesium`?"),
        "{d}"
    );
    assert_eq!(
        d["codeDescription"]["href"],
        "https://example.org/trialc/docs/codes/E0201.md"
    );

    // The did-you-mean as a quick fix.
    let actions = c.result(
        "textDocument/codeAction",
        json!({
            "textDocument": doc(&uri),
            "range": d["range"],
            "context": { "diagnostics": [d] }
        }),
    );
    let fix = actions
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|x| x["title"] == "Replace `magnesim` with `magnesium`")
        })
        .expect("the did-you-mean fix")
        .clone();
    assert_eq!(fix["isPreferred"], true);
    let edits = fix["edit"]["changes"][&uri]
        .as_array()
        .cloned()
        .expect("edits");
    assert_eq!(apply(&typo, &edits), text);

    // Hover on a request against the document with the typo: an arm.
    let h = c.result("textDocument/hover", at(&uri, &typo, "arm placebo", 5));
    let shown = hover_text(&h);
    assert!(shown.contains("Matching placebo capsule"), "{shown}");
    assert!(shown.contains("reference arm"), "{shown}");
    // An outcome, with its doc comment.
    let h = c.result("textDocument/hover", at(&uri, &typo, "model pain", 7));
    assert!(hover_text(&h).contains("0-10 numeric rating scale"), "{h}");
    // A prior: mean and 90% interval (5 ± 1.6449 × 2.5).
    let h = c.result("textDocument/hover", at(&uri, &typo, "normal(5, 2.5)", 2));
    let shown = hover_text(&h);
    assert!(
        shown.contains("mean 5, sd 2.5, 90% interval [0.8879, 9.1121]"),
        "{shown}"
    );
    // An LFM prior: the hypothesis, its provenance and tempered components.
    let h = c.result("textDocument/hover", at(&uri, &typo, "lfm.H1", 5));
    let shown = hover_text(&h);
    assert!(shown.contains("Hypothesis `lfm.H1`"), "{shown}");
    assert!(shown.contains("example-lfm"), "{shown}");
    let h = c.result(
        "textDocument/hover",
        at(&uri, &typo, "discount 0.5 robust 0.2", 0),
    );
    let shown = hover_text(&h);
    assert!(shown.contains("robust"), "{shown}");
    let h = c.result("textDocument/hover", at(&uri, &typo, "robust 0.2 vague", 8));
    let shown = hover_text(&h);
    // sd 0.6 / √0.5 = 0.8485; 0.8 × normal(-1.2, 0.8485) + 0.2 × normal(0, 3).
    assert!(
        shown.contains("0.8 × normal(-1.2, 0.8485) (informative)"),
        "{shown}"
    );
    assert!(shown.contains("0.2 × normal(0, 3) (vague)"), "{shown}");
    // A keyword, and the schedule's days and admissible sequences.
    let h = c.result("textDocument/hover", at(&uri, &typo, "schedule {", 1));
    let shown = hover_text(&h);
    assert!(
        shown.contains("6 periods of 14 days after 7 days of run-in: 91 days in all"),
        "{shown}"
    );
    assert!(shown.contains("8 admissible sequences"), "{shown}");

    // Completion: distributions with parameter snippets after `~`.
    let r = c.result(
        "textDocument/completion",
        at(&uri, &typo, "~ normal(5, 2.5)", 2),
    );
    let items = r["items"].as_array().cloned().unwrap_or_default();
    let normal = items
        .iter()
        .find(|i| i["label"] == "normal")
        .expect("normal");
    assert_eq!(normal["textEdit"]["newText"], "normal(${1:mu}, ${2:sigma})");
    assert_eq!(normal["insertTextFormat"], 2);
    // Hypothesis ids from the JSON file after `lfm.`.
    let r = c.result(
        "textDocument/completion",
        at(&uri, &typo, "lfm.H1 discount", 4),
    );
    assert_eq!(labels(&r), ["H1", "H2", "H3"]);

    // Definition: an outcome's declaration; a hypothesis in its JSON file.
    let r = c.result(
        "textDocument/definition",
        at(&uri, &typo, "model attack", 7),
    );
    assert_eq!(r["uri"], uri);
    assert_eq!(r["range"]["start"], pos(&typo, "outcome attack", 8));
    let r = c.result("textDocument/definition", at(&uri, &typo, "lfm.H2", 5));
    assert_eq!(r["uri"], file_uri(&json_path));
    let json_text = std::fs::read_to_string(&json_path).expect("hypotheses");
    assert_eq!(r["range"]["start"], pos(&json_text, "\"H2\"", 0));

    // Rename an arm: every use in the spec and the diary's arm cells.
    let r = c.result(
        "textDocument/rename",
        json!({ "textDocument": doc(&uri), "position": pos(&typo, "arm placebo", 5), "newName": "sham" }),
    );
    let spec_edits = r["changes"][&uri].as_array().cloned().expect("spec edits");
    let renamed = apply(&typo, &spec_edits);
    // The arm is named once in the spec (the rules compare with the
    // reference without naming it); its description keeps its words.
    assert_eq!(spec_edits.len(), 1, "{spec_edits:?}");
    assert!(
        renamed.lines().any(|l| l.starts_with("arm sham ")
            && l.contains("\"Matching placebo capsule")
            && l.ends_with(" reference")),
        "{renamed}"
    );
    let diary_edits = r["changes"][&file_uri(&diary_path)]
        .as_array()
        .cloned()
        .expect("diary edits");
    let diary = std::fs::read_to_string(&diary_path).expect("diary");
    assert_eq!(diary_edits.len(), diary.matches(",placebo,").count());
    assert!(!apply(&diary, &diary_edits).contains("placebo"));
    // A keyword is not a name.
    let r = c.request(
        "textDocument/rename",
        json!({ "textDocument": doc(&uri), "position": pos(&typo, "arm placebo", 5), "newName": "model" }),
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("keyword"),
        "{r}"
    );

    // Formatting: a spec laid out badly comes back as `trialc fmt` lays it out.
    let messy = text
        .replace("  intercept        ~", "intercept ~")
        .replace("cycles    3", "cycles 3");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": messy }] }),
    );
    let r = c.result(
        "textDocument/formatting",
        json!({ "textDocument": doc(&uri), "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = r.as_array().cloned().expect("formatting edits");
    assert_eq!(
        apply(&messy, &edits),
        trialc::format::format(&messy).expect("formats")
    );
    assert_eq!(apply(&messy, &edits), text);

    // A half-typed file: every request still answers, with diagnostics.
    let half = &text[..text.find("errors           ar1(phi ~").expect("errors") + 26];
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 4 }, "contentChanges": [{ "text": half }] }),
    );
    let end = pos(half, half, half.len());
    for method in [
        "textDocument/hover",
        "textDocument/completion",
        "textDocument/definition",
        "textDocument/inlayHint",
        "textDocument/semanticTokens/full",
        "textDocument/documentSymbol",
        "textDocument/foldingRange",
        "textDocument/formatting",
    ] {
        let r = c.request(
            method,
            json!({
                "textDocument": doc(&uri), "position": end,
                "range": { "start": { "line": 0, "character": 0 }, "end": end },
                "options": { "tabSize": 2, "insertSpaces": true }
            }),
        );
        assert!(r.get("error").is_none(), "{method}: {r}");
    }
    let r = c.result(
        "textDocument/completion",
        json!({ "textDocument": doc(&uri), "position": end }),
    );
    assert!(labels(&r).contains(&"uniform".to_string()), "{r}");
    let diagnostics = c.diagnostics(&uri, Some(4));
    assert!(
        diagnostics.iter().any(|d| d["severity"] == 1),
        "{diagnostics:?}"
    );

    // A request that panics is answered with an error; the server goes on.
    let r = c.request("trialc/test/panic", json!({}));
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let h = c.result("textDocument/hover", at(&uri, half, "arm magnesium", 5));
    assert!(hover_text(&h).contains("Magnesium citrate 600 mg"), "{h}");

    assert!(c.shut_down(), "trialc lsp exits 0 after shutdown and exit");
}

// ---------------------------------------------------------------- in process

const TWO_ARMS: &str = r#"/// Does it help?
trial "t" {
  title  "A test"
}

hypotheses lfm from "h.json"

arm active  "Active drug 10 mg" reference
arm placebo "Placebo"

schedule {
  run_in    1 week
  period    2 weeks
  cycles    3
  sequence  randomized pairs
  washout   3 days
  seed      7
}

/// Pain, 0-10.
outcome pain "Pain" {
  type    continuous in [0, 10]
  better  lower
  mcid    1
  primary
}

outcome attack "Attack today" {
  type    binary
  better  lower
  secondary
}

model pain {
  effect placebo ~ lfm.H1 discount 0.25 robust 0.5 vague normal(0, 4)
  intercept      ~ normal(5, 2)
}

decide {
  recommend placebo if P(effect of placebo vs active on pain < -mcid) >= 0.8
                   and P(odds_ratio of placebo on attack < 2) >= 0.8
  otherwise inconclusive
}

report {
  interval 0.95
  estimate median
  P(effect of placebo on pain < 0)
  risk_difference of placebo vs active on attack
}
"#;

const H_JSON: &str = r#"{
  "format": "trialc-hypotheses/1",
  "generator": {"model": "m", "version": "1", "prompt_sha256": "ab", "created": "2026-01-01"},
  "hypotheses": [
    {"id": "H1", "rank": 1, "intervention": "placebo", "outcome": "attack",
     "effect": {"mean": -1, "sd": 0.5}}
  ]
}
"#;

fn memory_client(files: &[(&str, &str)], utf8: bool) -> Client {
    let mut sources = trialc::source::MemorySources::new();
    for (path, text) in files {
        sources.insert(*path, *text);
    }
    let mut c = Client::memory(sources);
    c.initialize(utf8);
    c
}

fn open(c: &mut Client, uri: &str, language: &str, text: &str) -> Vec<Value> {
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } }),
    );
    c.diagnostics(uri, Some(1))
}

#[test]
fn diagnostics_in_another_file_are_related_information_and_published_there() {
    // H1 is about `attack` but is the prior of the effect on `pain` (E0809):
    // its primary label is at the spec's use, a secondary on the JSON value.
    let mut c = memory_client(&[("/w/h.json", H_JSON)], false);
    let uri = "file:///w/spec.trial";
    let diagnostics = open(&mut c, uri, "trial", TWO_ARMS);
    let e0809 = diagnostics
        .iter()
        .find(|d| d["code"] == "E0809")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    let related = e0809["relatedInformation"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        related
            .iter()
            .any(|r| r["location"]["uri"] == "file:///w/h.json"
                && r["location"]["range"]["start"] == pos(H_JSON, "\"attack\"", 0)),
        "{related:?}"
    );
    assert_eq!(e0809["range"]["start"], pos(TWO_ARMS, "lfm.H1", 0));

    // A broken hypotheses file: its own diagnostics go to its URI.
    let broken = H_JSON.replace("\"sd\": 0.5", "\"sd\": -0.5");
    let mut c = memory_client(&[("/w/h.json", &broken)], false);
    open(&mut c, uri, "trial", TWO_ARMS);
    let in_json = c.diagnostics("file:///w/h.json", None);
    assert!(in_json.iter().any(|d| d["code"] == "E0806"), "{in_json:?}");
    assert!(c.shut_down());
}

#[test]
fn the_decide_and_report_grammar_is_completed_and_navigated() {
    let mut c = memory_client(&[("/w/h.json", H_JSON)], false);
    let uri = "file:///w/spec.trial";
    open(&mut c, uri, "trial", TWO_ARMS);
    let complete = |c: &mut Client, text: &str| -> Vec<String> {
        // The spec with `text` inserted as a new decide rule, completed at its end.
        let edited = TWO_ARMS.replace(
            "  otherwise inconclusive",
            &format!("  {text}\n  otherwise inconclusive"),
        );
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": edited }] }),
        );
        let r = c.result(
            "textDocument/completion",
            at(uri, &edited, text, text.len()),
        );
        labels(&r)
    };
    assert_eq!(complete(&mut c, "recommend "), ["active", "placebo"]);
    assert_eq!(
        complete(&mut c, "recommend active if P("),
        ["effect", "odds_ratio", "rate_ratio", "risk_difference"]
    );
    assert_eq!(
        complete(&mut c, "recommend active if P(effect of "),
        ["active", "placebo"]
    );
    assert_eq!(
        complete(&mut c, "recommend active if P(effect of active "),
        ["vs", "on"]
    );
    assert_eq!(
        complete(
            &mut c,
            "recommend active if P(effect of active vs placebo on "
        ),
        ["pain", "attack"]
    );
    assert_eq!(
        complete(&mut c, "recommend active if P(effect on pain < "),
        ["mcid", "-mcid"]
    );
    assert_eq!(
        complete(
            &mut c,
            "recommend active if P(effect on pain < 0) >= 0.8 and "
        ),
        ["P(…)"]
    );
    assert_eq!(complete(&mut c, "stop "), ["early"]);
    assert_eq!(complete(&mut c, "otherwise "), ["inconclusive"]);

    // In the report block.
    let edited = TWO_ARMS.replace("  estimate median", "  estimate ");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": edited }] }),
    );
    let r = c.result(
        "textDocument/completion",
        at(uri, &edited, "  estimate ", 11),
    );
    assert_eq!(labels(&r), ["mean", "median"]);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 4 }, "contentChanges": [{ "text": TWO_ARMS }] }),
    );

    // Hover on the new keywords.
    for (needle, skip, expect) in [
        ("odds_ratio of", 0, "the (cumulative) odds ratio"),
        ("vs active", 0, "the reference arm when left out"),
        ("and P(", 0, "Every condition must hold"),
        ("report {", 0, "without a decision"),
        ("interval 0.95", 0, "central posterior intervals"),
        ("risk_difference of", 0, "logistic(alpha"),
    ] {
        let h = c.result("textDocument/hover", at(uri, TWO_ARMS, needle, skip));
        assert!(hover_text(&h).contains(expect), "{needle}: {h}");
    }

    // References of an arm: its declaration, the model, the rule, the
    // conditions and the report.
    let r = c.result(
        "textDocument/references",
        json!({ "textDocument": doc(uri), "position": pos(TWO_ARMS, "arm placebo", 4), "context": { "includeDeclaration": true } }),
    );
    assert_eq!(r.as_array().map(Vec::len), Some(7), "{r}");
    let r = c.result(
        "textDocument/references",
        json!({ "textDocument": doc(uri), "position": pos(TWO_ARMS, "arm placebo", 4), "context": { "includeDeclaration": false } }),
    );
    assert_eq!(r.as_array().map(Vec::len), Some(6), "{r}");

    // Rename an outcome used in a condition and in the report.
    let r = c.result(
        "textDocument/rename",
        json!({ "textDocument": doc(uri), "position": pos(TWO_ARMS, "on attack <", 3), "newName": "migraine" }),
    );
    let edits = r["changes"][uri].as_array().cloned().expect("edits");
    let renamed = apply(TWO_ARMS, &edits);
    assert_eq!(
        renamed,
        TWO_ARMS
            .replace("attack \"", "migraine \"")
            .replace("on attack", "on migraine")
    );

    // Rename a hypothesis: the spec and the JSON file.
    let r = c.result(
        "textDocument/rename",
        json!({ "textDocument": doc(uri), "position": pos(TWO_ARMS, "lfm.H1", 4), "newName": "Magnesium1" }),
    );
    let json_edits = r["changes"]["file:///w/h.json"]
        .as_array()
        .cloned()
        .expect("json edits");
    assert_eq!(
        apply(H_JSON, &json_edits),
        H_JSON.replace("\"H1\"", "\"Magnesium1\"")
    );
    let spec_edits = r["changes"][uri].as_array().cloned().expect("spec edits");
    assert!(apply(TWO_ARMS, &spec_edits).contains("lfm.Magnesium1 discount"));
    // A name already taken.
    let r = c.request(
        "textDocument/rename",
        json!({ "textDocument": doc(uri), "position": pos(TWO_ARMS, "arm placebo", 4), "newName": "active" }),
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("already"),
        "{r}"
    );
    assert!(c.shut_down());
}

#[test]
fn hints_tokens_folding_and_symbols() {
    let mut c = memory_client(&[("/w/h.json", H_JSON)], false);
    let uri = "file:///w/spec.trial";
    open(&mut c, uri, "trial", TWO_ARMS);
    let lines = TWO_ARMS.lines().count();
    let hints = c.result(
        "textDocument/inlayHint",
        json!({ "textDocument": doc(uri), "range": { "start": { "line": 0, "character": 0 }, "end": { "line": lines, "character": 0 } } }),
    );
    let hints: Vec<(Value, String)> = hints
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            (
                h["position"].clone(),
                h["label"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let hint_after = |needle: &str| {
        hints
            .iter()
            .find(|(p, _)| *p == pos(TWO_ARMS, needle, needle.len()))
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| panic!("no hint after `{needle}`: {hints:?}"))
    };
    assert_eq!(hint_after("run_in    1 week"), "= 7 days");
    assert_eq!(
        hint_after("period    2 weeks"),
        "= 14 days × 6 periods: days 8–91"
    );
    assert_eq!(hint_after("cycles    3"), "= 6 periods");
    // sd 0.5 / √0.25 = 1; half informative, half vague.
    assert_eq!(
        hint_after("lfm.H1 discount 0.25 robust 0.5 vague normal(0, 4)"),
        "= 0.5 × normal(-1, 1) + 0.5 × normal(0, 4)"
    );

    // Semantic tokens: decode and look some up.
    let legend = {
        let init = c.request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": doc(uri) }),
        );
        init["result"]["data"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let mut decoded = Vec::new();
    let (mut line, mut col) = (0u64, 0u64);
    for t in legend.chunks(5) {
        let dl = t[0].as_u64().unwrap_or(0);
        let ds = t[1].as_u64().unwrap_or(0);
        line += dl;
        col = if dl == 0 { col + ds } else { ds };
        decoded.push((
            line,
            col,
            t[2].as_u64().unwrap_or(0),
            t[3].as_u64().unwrap_or(0),
            t[4].as_u64().unwrap_or(0),
        ));
    }
    let token_at = |needle: &str, skip: usize| {
        let p = pos(TWO_ARMS, needle, skip);
        decoded
            .iter()
            .find(|t| json!(t.0) == p["line"] && json!(t.1) == p["character"])
            .map(|t| (t.3, t.4))
            .unwrap_or_else(|| panic!("no token at `{needle}`"))
    };
    // Legend order: keyword 0, string 1, number 2, comment 3, operator 4,
    // enumMember 5 (arm), property 6 (outcome), namespace 7, variable 8,
    // type 9, function 10, parameter 11; modifiers declaration 1,
    // readonly 2, documentation 4, defaultLibrary 8.
    assert_eq!(token_at("arm placebo", 0), (0, 0));
    assert_eq!(token_at("arm placebo", 4), (5, 1));
    assert_eq!(token_at("effect placebo", 7), (5, 0));
    assert_eq!(token_at("outcome pain", 8), (6, 1));
    assert_eq!(token_at("normal(5, 2)", 0), (10, 8));
    assert_eq!(token_at("/// Does it help?", 0), (3, 4));
    assert_eq!(token_at("lfm.H1", 0), (7, 0));

    // Folding: every block, from its first line to the line before `}`.
    let folds = c.result(
        "textDocument/foldingRange",
        json!({ "textDocument": doc(uri) }),
    );
    let schedule_line = pos(TWO_ARMS, "schedule {", 0)["line"].clone();
    let seed_line = pos(TWO_ARMS, "seed      7", 0)["line"].clone();
    assert!(
        folds.as_array().is_some_and(|f| f
            .iter()
            .any(|r| r["startLine"] == schedule_line && r["endLine"] == seed_line)),
        "{folds}"
    );

    // Symbols: every item, blocks with their fields.
    let symbols = c.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": doc(uri) }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .map(|s| s.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "trial \"t\"",
            "lfm",
            "active",
            "placebo",
            "schedule",
            "pain",
            "attack",
            "model pain",
            "decide",
            "report"
        ]
    );
    let schedule = symbols
        .as_array()
        .and_then(|s| s.iter().find(|x| x["name"] == "schedule"))
        .cloned()
        .expect("schedule");
    assert_eq!(schedule["children"].as_array().map(Vec::len), Some(6));
    assert!(c.shut_down());
}

#[test]
fn a_markdown_protocol_is_served_inside_its_trial_blocks() {
    let protocol = format!(
        "# Protocol\n\nSome text with a µ and an arm word.\n\n```trial\n{}\n```\n\n## Analysis\n\n```trial\n{}```\n\nThe end.\n",
        TWO_ARMS[..TWO_ARMS.find("model pain").unwrap_or(0)].trim_end(),
        &TWO_ARMS[TWO_ARMS.find("model pain").unwrap_or(0)..]
    );
    let mut c = memory_client(&[("/w/h.json", H_JSON)], true);
    let uri = "file:///w/protocol.md";
    let diagnostics = open(&mut c, uri, "markdown", &protocol);
    // The same spec as `TWO_ARMS`: only the E0809 of the hypothesis.
    let codes: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["E0809"]);
    // UTF-8 positions were negotiated: columns are bytes.
    let line = protocol[..protocol.find("lfm.H1").unwrap_or(0)]
        .matches('\n')
        .count();
    let col = protocol.find("lfm.H1").unwrap_or(0)
        - protocol[..protocol.find("lfm.H1").unwrap_or(0)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({ "line": line, "character": col })
    );

    // Hover inside a block; nothing outside.
    let byte_pos = |needle: &str, skip: usize| {
        let at = protocol.find(needle).unwrap_or(0) + skip;
        let line = protocol[..at].matches('\n').count();
        let start = protocol[..at].rfind('\n').map_or(0, |i| i + 1);
        json!({ "line": line, "character": at - start })
    };
    let h = c.result(
        "textDocument/hover",
        json!({ "textDocument": doc(uri), "position": byte_pos("effect placebo", 8) }),
    );
    assert!(hover_text(&h).contains("Placebo"), "{h}");
    let h = c.result(
        "textDocument/hover",
        json!({ "textDocument": doc(uri), "position": byte_pos("an arm word", 4) }),
    );
    assert_eq!(h, Value::Null);
    let r = c.result(
        "textDocument/completion",
        json!({ "textDocument": doc(uri), "position": byte_pos("The end", 3) }),
    );
    assert_eq!(r, Value::Null);

    // Formatting touches only the blocks.
    let messy = protocol.replace("  intercept      ~", "intercept ~");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": messy }] }),
    );
    let r = c.result(
        "textDocument/formatting",
        json!({ "textDocument": doc(uri), "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = r.as_array().cloned().expect("edits");
    assert_eq!(edits.len(), 1);
    // (UTF-8 positions: apply by bytes.)
    let e = &edits[0];
    let index = trialc::lsp::text::LineIndex::new(&messy);
    let p = |v: &Value| trialc::lsp::text::Pos {
        line: v["line"].as_u64().unwrap_or(0) as u32,
        character: v["character"].as_u64().unwrap_or(0) as u32,
    };
    let enc = trialc::lsp::text::Encoding::Utf8;
    let (s, t) = (
        index.offset(&messy, p(&e["range"]["start"]), enc),
        index.offset(&messy, p(&e["range"]["end"]), enc),
    );
    let mut fixed = messy.clone();
    fixed.replace_range(s..t, e["newText"].as_str().unwrap_or(""));
    assert_eq!(fixed, protocol);

    // A Markdown document without a trial block is not a spec: no diagnostics.
    let diagnostics = open(
        &mut c,
        "file:///w/README.md",
        "markdown",
        "# Read me\n\n```json\n{}\n```\n",
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert!(c.shut_down());
}

#[test]
fn untitled_documents_and_quick_fixes() {
    let mut c = memory_client(&[], false);
    let uri = "untitled:Untitled-1";
    let text = TWO_ARMS
        .replace("hypotheses lfm from \"h.json\"\n", "")
        .replace(
            "lfm.H1 discount 0.25 robust 0.5 vague normal(0, 4)",
            "normal(0, 1)",
        )
        .replace("  washout   3 days", "  washout   3")
        .replace("  otherwise inconclusive\n", "");
    let diagnostics = open(&mut c, uri, "trial", &text);
    let codes: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"E0106"), "{codes:?}");
    let fix = |c: &mut Client, text: &str, code: &str| -> String {
        let d = diagnostics
            .iter()
            .find(|d| d["code"] == code)
            .cloned()
            .expect("diagnostic");
        let actions = c.result(
            "textDocument/codeAction",
            json!({ "textDocument": doc(uri), "range": d["range"], "context": { "diagnostics": [d] } }),
        );
        let first = actions
            .as_array()
            .and_then(|a| a.first())
            .cloned()
            .expect("a fix");
        let edits = first["edit"]["changes"][uri]
            .as_array()
            .cloned()
            .expect("edits");
        apply(text, &edits)
    };
    let fixed = fix(&mut c, &text, "E0106");
    assert!(fixed.contains("  washout   3 days\n"), "{fixed}");
    // Parsing recovers, so the checker still sees the decide block.
    assert!(codes.contains(&"W0601"), "{codes:?}");
    let fixed = fix(&mut c, &text, "W0601");
    assert!(
        fixed.contains(">= 0.8\n  otherwise inconclusive\n}\n"),
        "{fixed}"
    );
    assert!(c.shut_down());
}
