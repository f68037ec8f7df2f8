// `npm run lint` (and `npm test`): ESLint's and typescript-eslint's recommended
// rules over every TypeScript and JavaScript file of the project, and the
// format the code is written in (@stylistic: quotes, semicolons, commas,
// indentation, spacing; `npx eslint --fix .` applies it). The services
// also get eslint-plugin-security's rules, as the static security scan
// (support/security/static-scan.ts) reads them; elsewhere the plugin is only
// known, so the scan's suppressions name a rule that exists.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', '.cutover/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    plugins: { security, '@stylistic': stylistic },
    rules: {
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      // Ternaries as the code writes them: each branch indented under its condition.
      '@stylistic/indent': ['error', 2, { offsetTernaryExpressions: true }],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1 }],
      '@stylistic/arrow-parens': ['error', 'always'],
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/comma-spacing': 'error',
      '@stylistic/key-spacing': 'error',
      '@stylistic/space-infix-ops': 'error',
      // `_`-prefixed names are kept on purpose (a callback's unused argument).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A `let` a closure declared above it reads (a timer, the server a handler answers for) stays a let.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests read arbitrary JSON answers; typing each one would only restate the assertion.
    files: ['**/test/**', 'services/common/testing.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The demo's page script runs in the browser.
    files: ['services/demo/public/**/*.js'],
    languageOptions: { globals: { document: 'readonly', fetch: 'readonly', setInterval: 'readonly' } },
  },
  {
    files: ['services/**/*.ts'],
    ignores: ['**/test/**'],
    rules: security.configs.recommended.rules,
  },
);
