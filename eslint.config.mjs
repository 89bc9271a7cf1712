import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Things an orchestrator must not touch: replay has to produce the same actions every time. */
const nonDeterministic = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'Use context.df.currentUtcDateTime: orchestrators replay.',
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'Use context.df.currentUtcDateTime: orchestrators replay.',
  },
  {
    selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
    message: 'Use context.df.newGuid(): orchestrators replay.',
  },
  {
    selector: "MemberExpression[object.name='process'][property.name='env']",
    message: 'Orchestrators must not read settings; pass them in the input or read them in an activity.',
  },
  { selector: 'AwaitExpression', message: 'Orchestrators yield durable tasks; they never await.' },
];

export default tseslint.config(
  { ignores: ['dist/**', '.package/**', 'node_modules/**', 'coverage/**', '.data/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Orchestrator code is replayed: no clocks, randomness, settings or I/O. Activities (in
    // orchestrations/activities/) are ordinary code and are exempt.
    files: ['orchestrations/**/*.ts'],
    ignores: ['orchestrations/activities/**'],
    rules: {
      'no-restricted-syntax': ['error', ...nonDeterministic],
      'no-restricted-globals': ['error', 'fetch', 'setTimeout', 'setInterval', 'setImmediate', 'crypto'],
      'no-restricted-imports': [
        'error',
        {
          // Bare names (not patterns: `domain` is a built-in module and also our folder).
          paths: builtinModules.map((name) => ({ name, message: 'No I/O in orchestrators: do it in an activity.' })),
          patterns: [
            {
              group: ['node:*'],
              message: 'No I/O in orchestrators: do it in an activity.',
            },
            {
              group: [
                '@azure/cosmos',
                '@azure/identity',
                'better-sqlite3',
                '**/store/**',
                '**/notify/**',
                '**/execute/**',
                '**/identity/**',
                '**/links/**',
                '**/config',
                '**/composition',
              ],
              message: 'No I/O or settings in orchestrators: do it in an activity.',
            },
            {
              // Types (signatures, refusal codes) are fine; the code that holds the app key is not.
              group: ['**/keys/**'],
              allowTypeImports: true,
              message: 'Orchestrators hold no secrets: verify in an activity.',
            },
          ],
        },
      ],
    },
  },
  {
    // The local runtime runs the built app as Azure would; it shares code with the app only
    // through lib/, never by importing the app's source.
    files: ['local/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/shared',
                '**/shared/**',
                '**/functions',
                '**/functions/**',
                '**/orchestrations',
                '**/orchestrations/**',
              ],
              message: 'local/ runs the built app: share code through lib/, not the app source.',
            },
          ],
        },
      ],
    },
  },
  {
    // A promise nobody awaits loses its error: type-aware, so it needs the TypeScript program.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    // Tests read loosely-typed JSON responses; production code may not.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  },
);
