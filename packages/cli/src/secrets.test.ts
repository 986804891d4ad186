import { readApiKey } from './secrets.js';

describe('readApiKey', () => {
  it('reads the named variable, trimmed, and says which one is missing in one line', () => {
    expect(readApiKey('OPENAI_API_KEY', { OPENAI_API_KEY: ' sk-abc \n' })).toBe('sk-abc');
    expect(() => readApiKey('HF_TOKEN', {})).toThrow('api key: environment variable HF_TOKEN is not set (export HF_TOKEN=… before running)');
    expect(() => readApiKey('HF_TOKEN', { HF_TOKEN: '  ' })).toThrow('environment variable HF_TOKEN is not set');
    expect(() => readApiKey('not a name', {})).toThrow('api key: "not a name" is not an environment variable name');
  });
});
