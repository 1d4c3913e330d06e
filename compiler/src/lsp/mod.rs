//! `trialc lsp`: the Language Server Protocol over a connection (stdio for
//! the CLI, in memory for tests), on the library's [`Session`].
//!
//! Documents are `.trial` specs and Markdown protocols, whose ```trial
//! blocks form the spec (the session masks the rest, so every span is an
//! offset into the document). Each open document is analysed once per
//! version, lazily ([`analysis::Analysis`]): a session over an overlay of
//! the open buffers and the files on disk checks it (parse, checker,
//! hypotheses files, schedule) and every request reads that analysis.
//!
//! Diagnostics are published after a pause in the edits (debounced: a
//! burst of changes is checked once), each one's code linked to its page
//! under `docs/codes/`, labels in other files (a hypotheses JSON) as related
//! information, and diagnostics whose place is in another file published to
//! that file.
//!
//! The server never stops on a bad input: a half-typed spec is what the
//! recovering parser and the checker are made for, and a panic inside one
//! request is caught, logged (`window/logMessage` and standard error) and
//! answered with an `InternalError`; the server goes on. The request
//! `trialc/test/panic` panics on purpose so that tests can check this.
//!
//! The core does no IO: the CLI passes the connection (`Connection::stdio`)
//! and the files on disk (`io::FsSources`).

pub mod analysis;
mod complete;
pub mod convert;
mod edit;
mod hover;
mod keywords;
mod navigate;
mod outline;
pub mod prior;
pub mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response, ResponseError};
use lsp_types as lsp;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::source::Sources;
use analysis::{Analysis, Overlay};
use text::{Encoding, Pos};

/// The pause in edits after which diagnostics are published.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Where a diagnostic code's page is: the `docs/codes/` folder of the
/// source tree trialc was built from, unless the client says otherwise
/// (`initializationOptions.codeDocs`, a URL prefix).
fn default_code_docs() -> String {
    let path = crate::source::normalise(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/codes/"));
    format!("{}/", text::path_to_uri(&path))
}

/// Serves one client until it sends `exit`. `Ok(true)` after an orderly
/// `shutdown` then `exit`, `Ok(false)` when the client left without one.
pub fn serve(connection: &Connection, disk: &dyn Sources) -> Result<bool, String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: lsp::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let mut server = Server::new(connection.sender.clone(), disk, &params);
    let result = server.initialize_result();
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    server.run(&connection.receiver)
}

struct Document {
    /// The session's name: the path for `file:` URIs, else the URI's last part.
    name: String,
    /// The path, for `file:` URIs.
    path: Option<String>,
    version: i32,
    text: String,
    analysis: Option<Rc<Analysis>>,
}

pub(crate) struct Server<'a> {
    sender: crossbeam_channel::Sender<Message>,
    disk: &'a dyn Sources,
    encoding: Encoding,
    snippets: bool,
    code_docs: String,
    docs: BTreeMap<String, Document>,
    /// Per document: the other files it published diagnostics to.
    published: BTreeMap<String, BTreeSet<String>>,
    /// Documents whose diagnostics are due.
    dirty: BTreeSet<String>,
    shutdown: bool,
}

/// What a request handler has: the analysis and how to speak of positions.
pub(crate) struct Ctx<'a> {
    pub a: &'a Analysis,
    pub uri: &'a str,
    pub encoding: Encoding,
    pub snippets: bool,
}

impl Ctx<'_> {
    pub fn range(&self, span: crate::diagnostic::Span) -> lsp::Range {
        convert::range(&self.a.index, &self.a.text, span, self.encoding)
    }
    pub fn offset(&self, pos: lsp::Position) -> usize {
        self.a.index.offset(
            &self.a.text,
            Pos {
                line: pos.line,
                character: pos.character,
            },
            self.encoding,
        )
    }
}

impl<'a> Server<'a> {
    fn new(
        sender: crossbeam_channel::Sender<Message>,
        disk: &'a dyn Sources,
        params: &lsp::InitializeParams,
    ) -> Self {
        let general = params.capabilities.general.as_ref();
        let utf8 = general
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|e| e.contains(&lsp::PositionEncodingKind::UTF8));
        let snippets = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        let code_docs = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("codeDocs"))
            .and_then(Value::as_str)
            .map(|s| {
                if s.ends_with('/') {
                    s.to_string()
                } else {
                    format!("{s}/")
                }
            })
            .unwrap_or_else(default_code_docs);
        Server {
            sender,
            disk,
            encoding: if utf8 {
                Encoding::Utf8
            } else {
                Encoding::Utf16
            },
            snippets,
            code_docs,
            docs: BTreeMap::new(),
            published: BTreeMap::new(),
            dirty: BTreeSet::new(),
            shutdown: false,
        }
    }

    fn initialize_result(&self) -> Value {
        let encoding = match self.encoding {
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        };
        let capabilities = lsp::ServerCapabilities {
            position_encoding: Some(encoding),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                    save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            completion_provider: Some(lsp::CompletionOptions {
                trigger_characters: Some(vec![".".into(), "~".into(), "(".into()]),
                ..Default::default()
            }),
            definition_provider: Some(lsp::OneOf::Left(true)),
            references_provider: Some(lsp::OneOf::Left(true)),
            rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            document_formatting_provider: Some(lsp::OneOf::Left(true)),
            document_symbol_provider: Some(lsp::OneOf::Left(true)),
            folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
            semantic_tokens_provider: Some(
                lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
                    lsp::SemanticTokensOptions {
                        legend: outline::legend(),
                        full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                        range: None,
                        work_done_progress_options: Default::default(),
                    },
                ),
            ),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                    ..Default::default()
                },
            )),
            inlay_hint_provider: Some(lsp::OneOf::Left(true)),
            ..Default::default()
        };
        json!({
            "capabilities": capabilities,
            "serverInfo": { "name": "trialc", "version": env!("CARGO_PKG_VERSION") },
        })
    }

    fn run(&mut self, receiver: &Receiver<Message>) -> Result<bool, String> {
        loop {
            let message = if self.dirty.is_empty() {
                match receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(false),
                }
            } else {
                match receiver.recv_timeout(DEBOUNCE) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => {
                        self.publish_due();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return Ok(false),
                }
            };
            match message {
                Message::Request(request) => self.request(request),
                Message::Notification(n) if n.method == "exit" => return Ok(self.shutdown),
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: Message) {
        // The client went away: nothing to tell it; `run` ends on the
        // closed receiver.
        let _ = self.sender.send(message);
    }

    fn log(&self, kind: lsp::MessageType, message: String) {
        self.send(Message::Notification(Notification::new(
            "window/logMessage".into(),
            lsp::LogMessageParams { typ: kind, message },
        )));
    }

    fn request(&mut self, request: Request) {
        let id = request.id.clone();
        if self.shutdown {
            self.send(Message::Response(Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            )));
            return;
        }
        let method = request.method.clone();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            self.dispatch(&request.method, request.params)
        }));
        let response = match outcome {
            Ok(result) => Response {
                id,
                response_result: result,
            },
            Err(payload) => {
                let why = panic_message(payload.as_ref());
                self.log(
                    lsp::MessageType::ERROR,
                    format!("trialc lsp: `{method}` failed: {why}; the server goes on"),
                );
                Response::new_err(
                    id,
                    ErrorCode::InternalError as i32,
                    format!("trialc lsp: internal error in `{method}` (logged): {why}"),
                )
            }
        };
        self.send(Message::Response(response));
    }

    fn dispatch(&mut self, method: &str, params: Value) -> Result<Value, ResponseError> {
        if method == "shutdown" {
            self.shutdown = true;
            return Ok(Value::Null);
        }
        if method == "trialc/test/panic" {
            panic!("trialc/test/panic asked for a panic");
        }
        let uri = params
            .pointer("/textDocument/uri")
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(uri) = uri else {
            return Err(error(
                ErrorCode::MethodNotFound,
                format!("unsupported request `{method}`"),
            ));
        };
        let Some(analysis) = self.analysis(&uri) else {
            return Ok(Value::Null);
        };
        let cx = Ctx {
            a: &analysis,
            uri: &uri,
            encoding: self.encoding,
            snippets: self.snippets,
        };
        if analysis.empty {
            return Ok(Value::Null);
        }
        let value = match method {
            "textDocument/hover" => {
                let p: lsp::HoverParams = parse(params)?;
                to_value(hover::hover(
                    &cx,
                    cx.offset(p.text_document_position_params.position),
                ))
            }
            "textDocument/completion" => {
                let p: lsp::CompletionParams = parse(params)?;
                to_value(complete::complete(
                    &cx,
                    cx.offset(p.text_document_position.position),
                ))
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = parse(params)?;
                to_value(navigate::definition(
                    &cx,
                    cx.offset(p.text_document_position_params.position),
                ))
            }
            "textDocument/references" => {
                let p: lsp::ReferenceParams = parse(params)?;
                to_value(navigate::references(
                    &cx,
                    cx.offset(p.text_document_position.position),
                    p.context.include_declaration,
                ))
            }
            "textDocument/prepareRename" => {
                let p: lsp::TextDocumentPositionParams = parse(params)?;
                to_value(navigate::prepare_rename(&cx, cx.offset(p.position))?)
            }
            "textDocument/rename" => {
                let p: lsp::RenameParams = parse(params)?;
                let open = self.open_texts();
                let sources = Overlay {
                    open: &open,
                    disk: self.disk,
                };
                to_value(navigate::rename(
                    &cx,
                    cx.offset(p.text_document_position.position),
                    &p.new_name,
                    &sources,
                )?)
            }
            "textDocument/formatting" => to_value(edit::format(&cx)),
            "textDocument/documentSymbol" => to_value(outline::symbols(&cx)),
            "textDocument/foldingRange" => to_value(outline::folding(&cx)),
            "textDocument/semanticTokens/full" => to_value(outline::semantic_tokens(&cx)),
            "textDocument/codeAction" => {
                let p: lsp::CodeActionParams = parse(params)?;
                let start = cx.offset(p.range.start);
                let end = cx.offset(p.range.end);
                to_value(edit::code_actions(&cx, start, end, &self.code_docs))
            }
            "textDocument/inlayHint" => {
                let p: lsp::InlayHintParams = parse(params)?;
                let start = cx.offset(p.range.start);
                let end = cx.offset(p.range.end);
                to_value(edit::inlay_hints(&cx, start, end))
            }
            _ => {
                return Err(error(
                    ErrorCode::MethodNotFound,
                    format!("unsupported request `{method}`"),
                ))
            }
        };
        Ok(value)
    }

    fn notification(&mut self, n: Notification) {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.notify(&n.method, n.params)));
        if let Err(payload) = outcome {
            let why = panic_message(payload.as_ref());
            self.log(
                lsp::MessageType::ERROR,
                format!(
                    "trialc lsp: `{}` failed: {why}; the server goes on",
                    n.method
                ),
            );
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        match method {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(params) else {
                    return;
                };
                let uri = p.text_document.uri.as_str().to_string();
                let path = text::uri_to_path(&uri);
                let name = path
                    .clone()
                    .unwrap_or_else(|| name_of_uri(&uri, &p.text_document.language_id));
                self.docs.insert(
                    uri.clone(),
                    Document {
                        name,
                        path,
                        version: p.text_document.version,
                        text: p.text_document.text,
                        analysis: None,
                    },
                );
                self.changed(&uri);
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(params)
                else {
                    return;
                };
                let uri = p.text_document.uri.as_str().to_string();
                let encoding = self.encoding;
                let Some(doc) = self.docs.get_mut(&uri) else {
                    return;
                };
                for change in p.content_changes {
                    convert::apply_change(&mut doc.text, &change, encoding);
                }
                doc.version = p.text_document.version;
                self.changed(&uri);
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(params)
                else {
                    return;
                };
                let uri = p.text_document.uri.as_str().to_string();
                self.docs.remove(&uri);
                self.dirty.remove(&uri);
                let mut clear: BTreeSet<String> = self.published.remove(&uri).unwrap_or_default();
                clear.insert(uri);
                for u in clear {
                    self.publish(&u, Vec::new(), None);
                }
                self.invalidate_all();
            }
            // A file a spec reads (hypotheses, diary) changed on disk, or a
            // document was saved: every analysis may be stale.
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => self.invalidate_all(),
            _ => {}
        }
    }

    /// A document changed: its analysis and every other (they may read it)
    /// are stale, and diagnostics are due.
    fn changed(&mut self, uri: &str) {
        for doc in self.docs.values_mut() {
            doc.analysis = None;
        }
        self.dirty.insert(uri.to_string());
    }

    fn invalidate_all(&mut self) {
        for (uri, doc) in &mut self.docs {
            doc.analysis = None;
            self.dirty.insert(uri.clone());
        }
    }

    /// The open buffers with a path, by path (what the overlay reads first).
    fn open_texts(&self) -> BTreeMap<String, String> {
        self.docs
            .values()
            .filter_map(|d| Some((crate::source::normalise(d.path.as_ref()?), d.text.clone())))
            .collect()
    }

    /// The analysis of an open document, computed once per version.
    fn analysis(&mut self, uri: &str) -> Option<Rc<Analysis>> {
        if let Some(a) = self.docs.get(uri)?.analysis.clone() {
            return Some(a);
        }
        let open = self.open_texts();
        let sources = Overlay {
            open: &open,
            disk: self.disk,
        };
        let doc = self.docs.get(uri)?;
        let analysis = Rc::new(Analysis::new(&doc.name, &doc.text, &sources));
        if let Some(doc) = self.docs.get_mut(uri) {
            doc.analysis = Some(analysis.clone());
        }
        Some(analysis)
    }

    /// Publishes the diagnostics of every document whose edits have paused.
    fn publish_due(&mut self) {
        let due = std::mem::take(&mut self.dirty);
        for uri in due {
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.publish_document(&uri)));
            if let Err(payload) = outcome {
                let why = panic_message(payload.as_ref());
                self.log(
                    lsp::MessageType::ERROR,
                    format!("trialc lsp: checking `{uri}` failed: {why}; the server goes on"),
                );
            }
        }
    }

    fn publish_document(&mut self, uri: &str) {
        let Some(analysis) = self.analysis(uri) else {
            return;
        };
        let version = self.docs.get(uri).map(|d| d.version);
        let groups = convert::diagnostics(&analysis, uri, self.encoding, &self.code_docs);
        let mut others = BTreeSet::new();
        let mut own = Vec::new();
        for (target, list) in groups {
            if target == uri {
                own = list;
            } else {
                others.insert(target.clone());
                self.publish(&target, list, None);
            }
        }
        self.publish(uri, own, version);
        let before = self.published.insert(uri.to_string(), others.clone());
        for stale in before.unwrap_or_default().difference(&others) {
            self.publish(stale, Vec::new(), None);
        }
    }

    fn publish(&self, uri: &str, diagnostics: Vec<lsp::Diagnostic>, version: Option<i32>) {
        let Ok(uri) = uri.parse::<lsp::Uri>() else {
            return;
        };
        self.send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".into(),
            lsp::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            },
        )));
    }
}

fn name_of_uri(uri: &str, language: &str) -> String {
    let last = uri.rsplit(['/', ':']).next().unwrap_or("untitled");
    if crate::markdown::is_markdown(last) || last.ends_with(".trial") {
        last.to_string()
    } else if language == "markdown" {
        format!("{last}.md")
    } else {
        format!("{last}.trial")
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

fn error(code: ErrorCode, message: String) -> ResponseError {
    ResponseError {
        code: code as i32,
        message,
        data: None,
    }
}

fn parse<T: DeserializeOwned>(params: Value) -> Result<T, ResponseError> {
    serde_json::from_value(params)
        .map_err(|e| error(ErrorCode::InvalidParams, format!("invalid parameters: {e}")))
}

fn to_value<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
