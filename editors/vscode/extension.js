// The VS Code client of `trialc lsp`: starts the server for .trial specs
// and Markdown protocols (the server answers only inside ```trial blocks)
// and tells it when the hypotheses files and diaries a spec reads change.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('trialc');
  const command = config.get('path') || 'trialc';
  const codeDocs = config.get('codeDocs');
  const serverOptions = {
    run: { command, args: ['lsp'], transport: TransportKind.stdio },
    debug: { command, args: ['lsp'], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'trial' },
      { scheme: 'untitled', language: 'trial' },
      { scheme: 'file', language: 'markdown' },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{json,csv}'),
    },
    initializationOptions: codeDocs ? { codeDocs } : {},
  };
  client = new LanguageClient('trialc', 'trialc', serverOptions, clientOptions);
  client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `trialc: cannot start \`${command} lsp\` (${error.message || error}); set "trialc.path" to the trialc executable.`
    );
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
