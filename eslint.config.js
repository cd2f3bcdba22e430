// ESLint flat config: @eslint/js + typescript-eslint recommended (not type-aware: `npm run
// typecheck` is the type gate). Run with `npm run lint`.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node's globals for the plain .js/.mjs files (TypeScript checks names in .ts files itself).
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder', 'fetch', 'structuredClone', 'queueMicrotask', 'performance', 'globalThis'].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    // Build output, dependencies and Prisma's generated client are not ours to lint.
    ignores: ['dist/**', 'node_modules/**', 'src/shared/db/generated/**', 'coverage/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
  {
    rules: {
      // `_name` marks a parameter or binding that is unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    // Logs go through pino (src/shared/logger.ts); console output is the CLI's job only.
    files: ['src/**'],
    ignores: ['src/cli/**', 'src/sample-site/**'],
    rules: { 'no-console': 'error' },
  },
);
