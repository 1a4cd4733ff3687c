// ESLint flat config for the browser code in static/js (run by
// scripts/lint.sh and `npm run lint` in web/). ESLint and its rule sets are
// pinned in web/package-lock.json; they are loaded from web/node_modules so
// the repository root needs no node_modules of its own.
//
// The rules are the ones that find bugs, not taste: undefined and unused
// names, loose equality, accidental globals, unreachable code, duplicate
// keys and the rest of eslint:recommended.
import { createRequire } from 'node:module';

const require = createRequire(new URL('./web/package.json', import.meta.url));
const js = await import(require.resolve('@eslint/js'));
const globals = require('globals');

const rules = {
  ...js.default.configs.recommended.rules,
  'eqeqeq': ['error', 'always'],
  'no-implicit-globals': 'error',
  'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
  'no-undef': 'error',
  'no-shadow-restricted-names': 'error',
  'no-use-before-define': ['error', { functions: false, classes: true, variables: false }],
  'no-implied-eval': 'error',
  'no-new-func': 'error',
  'no-eval': 'error',
  'no-self-compare': 'error',
  'no-template-curly-in-string': 'error',
  'no-unmodified-loop-condition': 'error',
  'no-unreachable-loop': 'error',
  'no-constant-binary-expression': 'error',
  'no-promise-executor-return': 'error',
  'array-callback-return': 'error',
  'default-case-last': 'error',
  'no-fallthrough': 'error',
  'no-control-regex': 'off', // the folder dialog refuses control characters on purpose
};

export default [
  {
    // The mailbox: ES modules (static/js/app.js is the entry point).
    files: ['static/js/app.js', 'static/js/mailbox/**/*.js', 'static/js/lib/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    rules,
  },
  {
    // The other pages' scripts: classic scripts, each one closure that
    // talks to the mailbox through window.Petrel.
    files: ['static/js/*.js'],
    ignores: ['static/js/app.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'script',
      globals: { ...globals.browser, Squire: 'readonly' },
    },
    rules,
  },
  {
    files: ['eslint.config.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules,
  },
];
