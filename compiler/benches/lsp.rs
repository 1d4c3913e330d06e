//! `trialc lsp` speed on the examples (issue 14): what an edit costs.
//!
//! Run with `cargo bench -p trialc --bench lsp`. For each example spec and
//! the magnesium protocol (Markdown), reports the median and minimum of
//!
//! - **diagnostics after an edit**: the analysis the server runs when the
//!   edits pause (parse, check, hypotheses files, schedule, name index)
//!   and the conversion of its diagnostics to the protocol's (target: under
//!   10 ms on the largest example);
//! - **completion after an edit**: a `didChange` then a completion request,
//!   over a memory connection to a running server, request to response
//!   (the analysis of the new text included);
//! - **completion, same text**: the request alone (the analysis cached).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;
use trialc::io::FsSources;
use trialc::lsp::analysis::{Analysis, Overlay};
use trialc::lsp::text::{path_to_uri, Encoding};

fn median_and_min(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[0])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("examples").flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let p = file.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".trial") || name == "protocol.md" {
                out.push(p.canonicalize().expect("a path"));
            }
        }
    }
    out.sort();
    out
}

/// The text with one edit: a digit of the first `seed` changed, else a
/// space added at the end.
fn edited(text: &str, round: usize) -> String {
    let mut t = text.to_string();
    match t.find("seed") {
        Some(i) => {
            let at = t[i..]
                .find(|c: char| c.is_ascii_digit())
                .map_or(i, |j| i + j);
            t.replace_range(at..at + 1, &((round % 9) + 1).to_string());
        }
        None => t.push(' '),
    }
    t
}

fn main() {
    let reps = 60;
    println!(
        "{:<28} {:>9} {:>22} {:>22} {:>22}",
        "example",
        "bytes",
        "diagnostics after edit",
        "completion after edit",
        "completion same text"
    );
    println!(
        "{:<28} {:>9} {:>22} {:>22} {:>22}",
        "", "", "median / min (ms)", "median / min (ms)", "median / min (ms)"
    );
    for path in examples() {
        let name = path.to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).expect("example");
        let open = BTreeMap::new();
        let overlay = Overlay {
            open: &open,
            disk: &FsSources,
        };

        // Diagnostics after an edit: analysis + conversion.
        let mut samples = Vec::new();
        let mut sink = 0;
        for round in 0..reps {
            let t = edited(&text, round);
            let start = Instant::now();
            let a = Analysis::new(&name, &t, &overlay);
            let groups =
                trialc::lsp::convert::diagnostics(&a, "file:///x", Encoding::Utf16, "https://x/");
            sink += groups.values().map(Vec::len).sum::<usize>();
            samples.push(start.elapsed());
        }
        let diag = median_and_min(samples);

        // Completion over a running server.
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || trialc::lsp::serve(&server, &FsSources));
        let send = |m: Message| client.sender.send(m).expect("server");
        send(Message::Request(Request::new(
            RequestId::from(0),
            "initialize".into(),
            json!({ "capabilities": {} }),
        )));
        let _ = client.receiver.recv();
        send(Message::Notification(Notification::new(
            "initialized".into(),
            json!({}),
        )));
        let uri = path_to_uri(&name);
        send(Message::Notification(Notification::new(
            "textDocument/didOpen".into(),
            json!({ "textDocument": { "uri": uri, "languageId": "trial", "version": 1, "text": text } }),
        )));
        // The completion position: after the first `~ ` (a prior).
        let at = text.find("~ ").map_or(0, |i| i + 2);
        let line = text[..at].matches('\n').count();
        let character = text[..at]
            .rsplit('\n')
            .next()
            .map_or(0, |l| l.encode_utf16().count());
        let mut after_edit = Vec::new();
        let mut same = Vec::new();
        let mut id = 1;
        let request = |id: i32| {
            let start = Instant::now();
            send(Message::Request(Request::new(
                RequestId::from(id),
                "textDocument/completion".into(),
                json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
            )));
            loop {
                match client.receiver.recv().expect("a response") {
                    Message::Response(r) if r.id == RequestId::from(id) => {
                        assert!(r.response_result.is_ok());
                        return start.elapsed();
                    }
                    _ => {}
                }
            }
        };
        for round in 0..reps {
            send(Message::Notification(Notification::new(
                "textDocument/didChange".into(),
                json!({ "textDocument": { "uri": uri, "version": round + 2 }, "contentChanges": [{ "text": edited(&text, round) }] }),
            )));
            after_edit.push(request(id));
            id += 1;
            same.push(request(id));
            id += 1;
        }
        send(Message::Request(Request::new(
            RequestId::from(id),
            "shutdown".into(),
            json!(null),
        )));
        send(Message::Notification(Notification::new(
            "exit".into(),
            json!(null),
        )));
        drop(client);
        let _ = handle.join();
        let (a, b) = (median_and_min(after_edit), median_and_min(same));
        let short = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        println!(
            "{:<28} {:>9} {:>12.2} / {:>6.2} {:>12.2} / {:>6.2} {:>12.2} / {:>6.2}",
            short,
            text.len(),
            ms(diag.0),
            ms(diag.1),
            ms(a.0),
            ms(a.1),
            ms(b.0),
            ms(b.1)
        );
        assert!(sink < usize::MAX);
    }
}
