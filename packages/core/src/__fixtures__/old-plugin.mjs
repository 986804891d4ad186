export const plugin = {
  name: 'gdfo-plugin-old',
  version: '0.9.0',
  specVersion: '0.1',
  register() {},
};
