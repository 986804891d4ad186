// One jest config for the whole monorepo: ESM, ts-jest transpiling from source (type checking is `tsc -b`).
// Project "unit" is `npm test` (must pass on a clone without ../shared); "shared" needs ../shared/data;
// "redis" needs a redis-server binary; "browser" needs headless Chromium.
import { readdirSync, existsSync, readFileSync } from 'node:fs';

/** Maps each workspace package name to its TypeScript entry point, so tests run against source. */
function workspaceMapper() {
  const map = { '^(\\.{1,2}/.*)\\.js$': '$1' };
  for (const group of ['packages', 'adapters', 'plugins']) {
    if (!existsSync(group)) continue;
    for (const dir of readdirSync(group)) {
      const pj = `${group}/${dir}/package.json`;
      if (!existsSync(pj) || !existsSync(`${group}/${dir}/src/index.ts`)) continue;
      const { name } = JSON.parse(readFileSync(pj, 'utf8'));
      map[`^${name.replace(/[/.]/g, (c) => '\\' + c)}$`] = `<rootDir>/${group}/${dir}/src/index.ts`;
    }
  }
  return map;
}

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: workspaceMapper(),
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.base.json' }],
  },
  testEnvironment: 'node',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/packages/*/src/**/*.test.ts',
        '<rootDir>/adapters/*/src/**/*.test.ts',
        '<rootDir>/plugins/*/src/**/*.test.ts',
        '<rootDir>/test/**/*.test.ts',
      ],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.shared\\.test\\.ts$', '\\.redis\\.test\\.ts$', '\\.browser\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'shared',
      testMatch: ['<rootDir>/**/*.shared.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '/plugins/template/'],
    },
    {
      // `npm run test:redis`: tests that start a local redis-server (apt-get install redis-server).
      ...common,
      displayName: 'redis',
      testMatch: ['<rootDir>/**/*.redis.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '/plugins/template/'],
    },
    {
      // `npm run test:browser`: renders a report in headless Chromium (apt-get install chromium).
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/**/*.browser.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '/plugins/template/'],
    },
  ],
};
