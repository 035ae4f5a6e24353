/**
 * The architecture rule, checked in CI (`npm run lint:arch`, run by .ci/run):
 * - no import cycles anywhere;
 * - the deployed parts (`templates/`, `functions/`, `web-plugin/`) never import the tools around
 *   them (`scripts/`, `cli/`, which holds the local stack) nor the tests;
 * - the browser bundle (`web-plugin/`) imports nothing of the Lambdas but the wire protocol
 *   (`functions/protocol/`), and the protocol imports nothing outside itself.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle: split the shared part into its own module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'deployed-code-never-imports-tools',
      severity: 'error',
      comment: 'templates/, functions/ and web-plugin/ ship; scripts/, cli/ and test/ are built around them.',
      from: { path: '^(templates|functions|web-plugin)/' },
      to: { path: '^(scripts|cli|test)/' },
    },
    {
      name: 'web-plugin-imports-only-the-protocol',
      severity: 'error',
      comment: 'The browser bundle must not pull in Lambda code; share through functions/protocol/.',
      from: { path: '^web-plugin/' },
      to: { path: '^(functions/(?!protocol/)|templates/)' },
    },
    {
      name: 'protocol-is-self-contained',
      severity: 'error',
      comment: 'functions/protocol/ is imported by the browser: it may import only itself.',
      from: { path: '^functions/protocol/' },
      to: { path: '^(?!functions/protocol/)', dependencyTypes: ['local'] },
    },
    {
      name: 'protocol-has-no-npm-dependencies',
      severity: 'error',
      comment: 'functions/protocol/ runs in the browser unbundled of Node and AWS SDK code.',
      from: { path: '^functions/protocol/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'core'] },
    },
    {
      name: 'tools-never-import-tests',
      severity: 'error',
      from: { path: '^(scripts|cli)/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      // dist/ is generated (npm run build:lib): cli/bin.js falls back to it only in the installed
      // package, so a fresh clone's lint must not need it.
      to: { couldNotResolve: true, pathNot: '^\\.\\./dist/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default'] },
    exclude: { path: '^(node_modules|build)/' },
  },
};
