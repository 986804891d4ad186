export default {
  name: 'gdfo-plugin-good',
  version: '1.2.3',
  specVersion: '1.0',
  register(registry) {
    registry.register('harmonizer', 'always-seven', () => 7, 'returns seven');
  },
};
