// Lint for the dashboard: ESLint's and typescript-eslint's recommended rules, and the Rules of React
// (eslint-plugin-react-hooks, including the React Compiler checks). Runs in `npm run build`.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist', 'node_modules', 'test-results']),
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
    languageOptions: { globals: globals.browser },
    rules: {
      // useLoad takes a dependency list like useEffect: check it at every call site too.
      'react-hooks/exhaustive-deps': ['error', { additionalHooks: '^useLoad$' }],
    },
  },
  { files: ['e2e/**/*.mjs', '*.config.{js,ts}'], languageOptions: { globals: globals.node } },
]);
