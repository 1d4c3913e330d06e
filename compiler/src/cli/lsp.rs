//! `trialc lsp`: the language server, speaking JSON-RPC on standard input
//! and output (logs on standard error), reading the files specs name from
//! disk. The server itself is the library's `trialc::lsp`.

use std::process::ExitCode;

use lsp_server::Connection;
use trialc::io::FsSources;

/// Exit codes: 0 after `shutdown` then `exit`, 1 when the client left
/// without `shutdown` (as the protocol says), 2 when the connection broke.
pub fn lsp() -> ExitCode {
    let (connection, threads) = Connection::stdio();
    let served = trialc::lsp::serve(&connection, &FsSources);
    drop(connection);
    let joined = threads.join();
    match (served, joined) {
        (Ok(true), Ok(())) => ExitCode::SUCCESS,
        (Ok(false), _) => ExitCode::from(1),
        (Err(e), _) => {
            eprintln!("error: trialc lsp: {e}");
            ExitCode::from(2)
        }
        (Ok(true), Err(e)) => {
            eprintln!("error: trialc lsp: {e}");
            ExitCode::from(2)
        }
    }
}
