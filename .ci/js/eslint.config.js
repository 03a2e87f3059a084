// ESLint for the browser modules (static/js) and their node specs (tests/js), run from the
// repository root by `make lint`: eslint -c .ci/js/eslint.config.js static/js tests/js.
// The house rules it holds: user text reaches the DOM as text, never as HTML; nothing is a
// global (a module exports what others need); no unused names.

import js from '@eslint/js';
import globals from 'globals';

const AS_TEXT = 'user text goes in with textContent (common/dom.js el/setText), never as HTML';

export default [
  { ignores: ['static/vendor/**', '.ci/**'] },
  js.configs.recommended,
  {
    files: ['static/js/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    rules: {
      'no-unused-vars': 'error',
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: AS_TEXT },
        { property: 'outerHTML', message: AS_TEXT },
        { property: 'insertAdjacentHTML', message: AS_TEXT },
        { object: 'document', property: 'write', message: AS_TEXT },
        { object: 'document', property: 'writeln', message: AS_TEXT },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "AssignmentExpression > MemberExpression.left[object.name=/^(window|globalThis|self)$/]",
          message: 'no globals: export it from a module instead',
        },
        {
          selector: "CallExpression[callee.property.name='createContextualFragment']",
          message: AS_TEXT,
        },
      ],
      // Browser globals with everyday names: a missing local must not resolve to one of these.
      'no-restricted-globals': ['error', 'event', 'name', 'status', 'length', 'top', 'parent', 'origin'],
      'no-implicit-globals': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['tests/js/**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
  },
];
