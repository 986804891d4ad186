import { fillTemplate, templateNeedsTextB, validateTemplate } from './template.js';

describe('templates', () => {
  it('fills text, textB and mask in one pass (braces in the text stay literal)', () => {
    expect(fillTemplate('{text} . It was {mask} .', { id: 'a', text: 'fine {mask}' }, '<mask>')).toBe('fine {mask} . It was <mask> .');
    expect(fillTemplate({ specVersion: '1.0', text: '{text} ? {mask} , {textB}' }, { id: 'b', text: 'A', textB: 'B' }, '[MASK]')).toBe(
      'A ? [MASK] , B',
    );
  });

  it('one-line errors for a missing textB and malformed templates', () => {
    expect(() => fillTemplate('{text} ? {mask} , {textB}', { id: 'x1', text: 'A' }, '<mask>')).toThrow(
      'template: example "x1" has no textB but the template "{text} ? {mask} , {textB}" needs {textB}',
    );
    expect(() => validateTemplate('{text} {mask} {mask}')).toThrow('expected exactly one {mask}, got 2');
    expect(() => validateTemplate('{mask} only')).toThrow('expected a {text} placeholder');
    expect(() => validateTemplate('{text} {mask} {label}')).toThrow('unknown placeholder {label}');
    expect(() => validateTemplate('{mask} News: {text}')).not.toThrow();
  });

  it('knows pair templates', () => {
    expect(templateNeedsTextB('{text} ? {mask} , {textB}')).toBe(true);
    expect(templateNeedsTextB('{mask} News: {text}')).toBe(false);
  });
});
