#!/usr/bin/env node
// `qna-streaming` bin. In the repository it runs the TypeScript CLI (cli/main.ts) through tsx's
// CommonJS loader, so it works straight after `npm ci` with no build step (tsx is a dev dependency).
// In the installed package, which carries no TypeScript sources, it runs the CLI compiled into
// dist/cli/main.js by scripts/build-lib.ts.
const { existsSync } = require('node:fs');
const path = require('node:path');

// The project supports Node 20 (package.json engines); the SDK's notice that its 2027 releases will
// need Node 22 is not something a CLI user can act on, so it is not printed on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function loadCli() {
  if (existsSync(path.join(__dirname, 'main.ts'))) {
    require('tsx/cjs/api').register();
    return require('./main.ts');
  }
  return require('../dist/cli/main.js');
}

const { runCli, nodeIo } = loadCli();
runCli(process.argv.slice(2), nodeIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`qna-streaming: unexpected failure: ${error?.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);
