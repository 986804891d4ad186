/**
 * Hand-made SVG charts: scales, "nice" ticks, NaN-safe paths, axes, legends. No dependencies and no network:
 * the output is a string to inline in an HTML page.
 */

export type Domain = readonly [number, number];

export interface Scale {
  (v: number): number;
  readonly domain: Domain;
  readonly range: Domain;
  readonly kind: 'linear' | 'log';
  ticks(count?: number): number[];
}

/** Finite minimum and maximum of `values`, or undefined when none is finite. */
export function extent(values: Iterable<number>): Domain | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** The q-quantile (0..1) of the finite values (linear interpolation), or NaN when none is finite. */
export function quantile(values: Iterable<number>, q: number): number {
  const s = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * Math.min(1, Math.max(0, q));
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < s.length ? s[i]! * (1 - f) + s[i + 1]! * f : s[i]!;
}

/** A step of 1, 2 or 5 × 10^k close to span / count. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/** Widens a degenerate domain (lo = hi) so that it can be drawn. */
export function padDomain(d: Domain): Domain {
  const [lo, hi] = d;
  if (hi > lo) return d;
  const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
  return [lo - pad, hi + pad];
}

/** Extends a domain outwards to multiples of a nice step; returns the domain and the ticks inside it. */
export function niceDomain(d: Domain, count = 5): { domain: Domain; ticks: number[]; step: number } {
  const [lo, hi] = padDomain(d);
  const step = niceStep(hi - lo, count);
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0, v = a; v <= b + step * 1e-9 && i < 1000; i++, v = a + i * step) ticks.push(roundTo(v, step));
  return { domain: [a, b], ticks, step };
}

function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const r = Number(v.toFixed(Math.min(20, decimals)));
  return Object.is(r, -0) ? 0 : r;
}

/** Ticks inside [lo, hi] on a nice step. */
export function linearTicks(d: Domain, count = 5): number[] {
  const [lo, hi] = d;
  const step = niceStep(hi - lo, count);
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let i = first; i * step <= hi + step * 1e-9 && out.length < 1000; i++) out.push(roundTo(i * step, step));
  return out;
}

export function linearScale(domain: Domain, range: Domain): Scale {
  const [d0, d1] = padDomain(domain);
  const [r0, r1] = range;
  const k = (r1 - r0) / (d1 - d0);
  const f = ((v: number) => r0 + (v - d0) * k) as Scale;
  return Object.assign(f, { domain: [d0, d1] as Domain, range, kind: 'linear' as const, ticks: (count = 5) => linearTicks([d0, d1], count) });
}

/** Ticks for a log axis: powers of ten, with 2× and 5× when the domain spans few decades. */
export function logTicks(d: Domain): number[] {
  const [lo, hi] = d;
  if (!(lo > 0) || !(hi >= lo)) return [];
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const within = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const decades: number[] = [];
  for (let e = e0; e <= e1; e++) decades.push(10 ** e);
  let ticks = decades.filter(within);
  if (ticks.length < 3) {
    const dense: number[] = [];
    for (const p of decades) for (const m of [1, 2, 5]) dense.push(Number((m * p).toPrecision(12)));
    ticks = dense.filter(within);
  }
  if (ticks.length < 2) return linearTicks(d, 4).filter((v) => v > 0);
  return ticks.map((v) => Number(v.toPrecision(12)));
}

export function logScale(domain: Domain, range: Domain): Scale {
  let [d0, d1] = domain;
  if (!(d0 > 0)) d0 = Number.MIN_VALUE;
  if (!(d1 > d0)) {
    d0 /= 2;
    d1 = d0 * 4;
  }
  const [r0, r1] = range;
  const l0 = Math.log(d0);
  const k = (r1 - r0) / (Math.log(d1) - l0);
  const f = ((v: number) => (v > 0 ? r0 + (Math.log(v) - l0) * k : NaN)) as Scale;
  return Object.assign(f, { domain: [d0, d1] as Domain, range, kind: 'log' as const, ticks: () => logTicks([d0, d1]) });
}

/** A log domain widened to whole decades (or halves of them) around the data. */
export function logDomain(d: Domain): Domain {
  const [lo, hi] = d;
  if (!(lo > 0)) return [1e-3, 1];
  const a = 10 ** Math.floor(Math.log10(lo));
  const b = 10 ** Math.ceil(Math.log10(hi));
  return b > a ? [a, b] : [a, a * 10];
}

/** Tick label: few digits, exponent form for very small or large magnitudes. */
export function formatTick(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(2).split('e');
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(4)));
}

/** A value for a table or tooltip. */
export function formatValue(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '–';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits);
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

const fmt = (v: number) => String(Math.round(v * 100) / 100);

/**
 * The `d` of a polyline through the points, in their order. A point whose x or y (after scaling) is not finite
 * breaks the line: the next finite point starts a new `M`. Returns '' when no point is drawable.
 */
export function linePath(points: readonly Point[], sx: (v: number) => number, sy: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    const x = sx(p.x);
    const y = sy(p.y);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${d ? ' ' : ''}${pen ? 'L' : 'M'}${fmt(x)} ${fmt(y)}`;
    pen = true;
  }
  return d;
}

/** Trailing moving average over a window of finite values (NaN where the window holds none). */
export function movingAverage(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    let s = 0;
    let n = 0;
    for (let j = Math.max(0, i - window + 1); j <= i; j++) {
      const v = values[j]!;
      if (Number.isFinite(v)) {
        s += v;
        n++;
      }
    }
    out.push(n ? s / n : NaN);
  }
  return out;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series {
  /** Legend text; also `data-series`. */
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point[];
  /** SVG stroke-dasharray (e.g. '5 3' for the mean). */
  readonly dash?: string;
  /** Draw a marker at each point (default: when there are at most 250). */
  readonly markers?: boolean;
  /** Draw the line (default true). */
  readonly line?: boolean;
  readonly strokeWidth?: number;
  /** Legend group: series with the same group toggle together (default: name). */
  readonly group?: string;
  /** Tooltip label of the points, e.g. 'best fitness'. */
  readonly label?: string;
}

export interface ChartSpec {
  readonly id: string;
  /** `data-kind`, e.g. 'fitness', 'dev', 'sigma', 'agreement', 'cosine'. */
  readonly kind: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly yScale?: 'linear' | 'log';
  /** Fixed y domain (e.g. [-1, 1]); otherwise from the data. */
  readonly yDomain?: Domain;
  /** Upper bound for the automatic y domain (to keep outliers from flattening the rest; they are clipped). */
  readonly yCap?: number;
  readonly xDomain?: Domain;
  /** Horizontal reference lines. */
  readonly hLines?: readonly number[];
  readonly width?: number;
  readonly height?: number;
  /** What to say when there is nothing to draw. */
  readonly emptyText?: string;
}

export const MARGIN = { top: 34, right: 160, bottom: 46, left: 64 } as const;

/** Renders a line chart as an `<svg class="gdfo-plot">` string. */
export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 680;
  const H = spec.height ?? 340;
  const m = MARGIN;
  const px: Domain = [m.left, W - m.right];
  const py: Domain = [H - m.bottom, m.top];
  const id = escapeXml(spec.id);
  const allX = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const allY = spec.series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x)).map((p) => p.y));
  const logY = spec.yScale === 'log';
  const yData = extent(logY ? allY.filter((v) => v > 0) : allY);
  const xData = spec.xDomain ?? extent(allX);
  const drawable = yData !== undefined && xData !== undefined;
  const head = `<svg xmlns="http://www.w3.org/2000/svg" id="${id}" class="gdfo-plot" data-kind="${escapeXml(spec.kind)}" data-empty="${!drawable}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-title">`;
  const title = `<title id="${id}-title">${escapeXml(spec.title)}</title><text class="plot-title" x="${m.left}" y="20">${escapeXml(spec.title)}</text>`;
  if (!drawable) {
    const text = spec.emptyText ?? 'no data';
    return `${head}${title}<rect class="frame" x="${px[0]}" y="${py[1]}" width="${px[1] - px[0]}" height="${py[0] - py[1]}"/><text class="empty-note" x="${(px[0] + px[1]) / 2}" y="${(py[0] + py[1]) / 2}" text-anchor="middle">${escapeXml(text)}</text></svg>`;
  }
  const xd = niceDomain(spec.xDomain ?? xData, 6);
  const sx = linearScale(spec.xDomain ?? xd.domain, px);
  let sy: Scale;
  if (logY) sy = logScale(spec.yDomain ?? logDomain([yData[0], Math.min(yData[1], spec.yCap ?? Infinity)]), py);
  else {
    const yd = spec.yDomain ?? niceDomain([yData[0], Math.max(yData[0], Math.min(yData[1], spec.yCap ?? Infinity))], 5).domain;
    sy = linearScale(yd, py);
  }
  const out: string[] = [head, title];
  out.push(`<defs><clipPath id="${id}-clip"><rect x="${px[0]}" y="${py[1] - 4}" width="${px[1] - px[0]}" height="${py[0] - py[1] + 8}"/></clipPath></defs>`);
  out.push(`<rect class="frame" x="${px[0]}" y="${py[1]}" width="${px[1] - px[0]}" height="${py[0] - py[1]}"/>`);
  // Axes: grid lines, ticks and labels.
  const xt = sx.ticks(6);
  const yt = sy.ticks(5);
  out.push('<g class="axis axis-x">');
  for (const t of xt) {
    const x = fmt(sx(t));
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${py[1]}" y2="${py[0]}"/><line class="tick" x1="${x}" x2="${x}" y1="${py[0]}" y2="${py[0] + 5}"/><text x="${x}" y="${py[0] + 18}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  out.push(`<text class="axis-label" x="${(px[0] + px[1]) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(spec.xLabel)}</text></g>`);
  out.push('<g class="axis axis-y">');
  for (const t of yt) {
    const y = fmt(sy(t));
    out.push(`<line class="grid" x1="${px[0]}" x2="${px[1]}" y1="${y}" y2="${y}"/><line class="tick" x1="${px[0] - 5}" x2="${px[0]}" y1="${y}" y2="${y}"/><text x="${px[0] - 8}" y="${y}" dy="0.32em" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(`<text class="axis-label" transform="translate(16 ${(py[0] + py[1]) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text></g>`);
  for (const h of spec.hLines ?? []) {
    const y = sy(h);
    if (Number.isFinite(y) && y <= py[0] && y >= py[1]) out.push(`<line class="ref-line" x1="${px[0]}" x2="${px[1]}" y1="${fmt(y)}" y2="${fmt(y)}"/>`);
  }
  // Series.
  out.push(`<g class="series-all" clip-path="url(#${id}-clip)">`);
  for (const s of spec.series) {
    const group = escapeXml(s.group ?? s.name);
    out.push(`<g class="series" data-series="${group}">`);
    const d = s.line === false ? '' : linePath(s.points, sx, sy);
    if (d) {
      out.push(`<path class="series-line" d="${d}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="${s.strokeWidth ?? 1.8}"${s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : ''}/>`);
    }
    const markers = s.markers ?? s.points.length <= 250;
    if (markers) {
      for (const p of s.points) {
        const x = sx(p.x);
        const y = sy(p.y);
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        const label = `${s.name}${s.label ? ` ${s.label}` : ''}: ${spec.xLabel} ${formatValue(p.x)}, ${formatValue(p.y)}`;
        out.push(`<circle class="series-point" cx="${fmt(x)}" cy="${fmt(y)}" r="${s.dash ? 1.8 : 2.6}" fill="${escapeXml(s.color)}"><title>${escapeXml(label)}</title></circle>`);
      }
    }
    out.push('</g>');
  }
  out.push('</g>');
  out.push(legend(spec.series, px[1] + 14, py[1]));
  out.push('</svg>');
  return out.join('');
}

function legend(series: readonly Series[], x: number, y: number): string {
  const out = [`<g class="legend" transform="translate(${x} ${y})">`];
  series.forEach((s, i) => {
    const group = escapeXml(s.group ?? s.name);
    const yy = i * 18 + 8;
    const mark =
      s.line === false
        ? `<circle cx="11" cy="${yy}" r="3.2" fill="${escapeXml(s.color)}"/>`
        : `<line x1="0" x2="22" y1="${yy}" y2="${yy}" stroke="${escapeXml(s.color)}" stroke-width="2.4"${s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : ''}/>`;
    out.push(`<g class="legend-item" data-series="${group}" tabindex="0" role="button">${mark}<text x="28" y="${yy}" dy="0.32em">${escapeXml(s.name)}</text></g>`);
  });
  out.push('</g>');
  return out.join('');
}

export interface DotGroup {
  /** Category (x) label. */
  readonly category: string;
  readonly dots: readonly { readonly series: string; readonly color: string; readonly y: number | null }[];
}

/**
 * A dot plot over categories: one dot per series in each category (side by side), a bar at the mean of the
 * finite dots. Used for the method comparison across runs.
 */
export function dotChart(spec: { id: string; kind: string; title: string; yLabel: string; groups: readonly DotGroup[]; width?: number; height?: number }): string {
  const W = spec.width ?? Math.max(520, 120 + spec.groups.length * 90 + MARGIN.right);
  const H = spec.height ?? 340;
  const m = MARGIN;
  const px: Domain = [m.left, W - m.right];
  const py: Domain = [H - m.bottom, m.top];
  const id = escapeXml(spec.id);
  const ys = spec.groups.flatMap((g) => g.dots.map((d) => d.y ?? NaN));
  const yData = extent(ys);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" id="${id}" class="gdfo-plot" data-kind="${escapeXml(spec.kind)}" data-empty="${yData === undefined}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-title">`;
  const title = `<title id="${id}-title">${escapeXml(spec.title)}</title><text class="plot-title" x="${m.left}" y="20">${escapeXml(spec.title)}</text>`;
  if (!yData) return `${head}${title}<text class="empty-note" x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`;
  const sy = linearScale(niceDomain(yData, 5).domain, py);
  const band = (px[1] - px[0]) / Math.max(1, spec.groups.length);
  const out = [head, title, `<rect class="frame" x="${px[0]}" y="${py[1]}" width="${px[1] - px[0]}" height="${py[0] - py[1]}"/>`, '<g class="axis axis-y">'];
  for (const t of sy.ticks(5)) {
    const y = fmt(sy(t));
    out.push(`<line class="grid" x1="${px[0]}" x2="${px[1]}" y1="${y}" y2="${y}"/><text x="${px[0] - 8}" y="${y}" dy="0.32em" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(`<text class="axis-label" transform="translate(16 ${(py[0] + py[1]) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text></g><g class="axis axis-x">`);
  spec.groups.forEach((g, i) => {
    out.push(`<text x="${fmt(px[0] + band * (i + 0.5))}" y="${py[0] + 18}" text-anchor="middle">${escapeXml(g.category)}</text>`);
  });
  out.push('</g><g class="series-all">');
  const seriesNames = [...new Set(spec.groups.flatMap((g) => g.dots.map((d) => d.series)))];
  spec.groups.forEach((g, i) => {
    const c = px[0] + band * (i + 0.5);
    const finite = g.dots.map((d) => d.y).filter((v): v is number => v !== null && Number.isFinite(v));
    if (finite.length) {
      const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
      const y = fmt(sy(mean));
      out.push(`<path class="series-line mean-bar" d="M${fmt(c - band * 0.3)} ${y} L${fmt(c + band * 0.3)} ${y}" stroke="#333" stroke-width="2"><title>${escapeXml(`${g.category}: mean ${formatValue(mean)} over ${finite.length}`)}</title></path>`);
    }
    g.dots.forEach((d) => {
      if (d.y === null || !Number.isFinite(d.y)) return;
      const k = seriesNames.indexOf(d.series);
      const x = c + (seriesNames.length > 1 ? (k / (seriesNames.length - 1) - 0.5) * band * 0.5 : 0);
      out.push(
        `<g class="series" data-series="${escapeXml(d.series)}"><circle class="series-point" cx="${fmt(x)}" cy="${fmt(sy(d.y))}" r="4.5" fill="${escapeXml(d.color)}"><title>${escapeXml(`${g.category} · ${d.series}: ${formatValue(d.y)}`)}</title></circle></g>`,
      );
    });
  });
  out.push('</g>');
  const colors = new Map(spec.groups.flatMap((g) => g.dots.map((d) => [d.series, d.color] as const)));
  out.push(legend(seriesNames.map((n) => ({ name: n, color: colors.get(n) ?? '#000', points: [], line: false })), px[1] + 14, py[1]));
  out.push('</svg>');
  return out.join('');
}

/** The style rules of the charts (colours of text through --fg and --muted), shared by the HTML report and `svgSheet`. */
export const PLOT_CSS = `svg .frame{fill:none;stroke:#9aa4ae}svg .grid{stroke:#edf0f3}svg .tick{stroke:#9aa4ae}
svg .axis text{fill:var(--muted)}svg .axis-label{fill:var(--fg);font-size:12px}
svg .plot-title{font-size:13px;font-weight:600;fill:var(--fg)}svg .ref-line{stroke:#777;stroke-dasharray:3 3}
svg .empty-note{fill:var(--muted);font-style:italic}
svg .legend-item{cursor:pointer}svg .legend-item.off{opacity:.35}svg .legend text{fill:var(--fg)}
svg .series-point{stroke:#fff;stroke-width:.6}`;

/** `PLOT_CSS` for an SVG file opened on its own: the report's colours and font, and the sheet's title. */
const SHEET_CSS = `svg{--fg:#1b1f24;--muted:#5b6570;font:11px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}${PLOT_CSS}.sheet-title{font-size:15px;font-weight:600;fill:var(--fg)}`;

/**
 * Rows of `lineChart`/`dotChart` charts in one standalone SVG document (white ground, the report's plot styles
 * inlined): a figure for a README or a paper. Every chart keeps its own size; a row is as tall as its tallest
 * chart.
 */
export function svgSheet(rows: readonly (readonly string[])[], options: { title?: string; gap?: number } = {}): string {
  const gap = options.gap ?? 12;
  const top = options.title ? 32 : 0;
  const size = (svg: string): [number, number] => {
    const m = /^<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
    if (!m) throw new Error('svgSheet: a chart must be an <svg> with width and height attributes');
    return [Number(m[1]), Number(m[2])];
  };
  const placed: string[] = [];
  let y = top;
  let width = 0;
  for (const row of rows) {
    if (!row.length) continue;
    let x = 0;
    let height = 0;
    for (const c of row) {
      const [w, h] = size(c);
      placed.push(c.replace(/^<svg/, `<svg x="${x}" y="${y}"`));
      x += w + gap;
      height = Math.max(height, h);
    }
    width = Math.max(width, x - gap);
    y += height + gap;
  }
  const H = Math.max(top, y - gap, 1);
  const W = Math.max(width, 1);
  const title = options.title ? `<title>${escapeXml(options.title)}</title><text class="sheet-title" x="8" y="22">${escapeXml(options.title)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"><style>${SHEET_CSS}</style><rect width="100%" height="100%" fill="#fff"/>${title}${placed.join('')}</svg>\n`;
}
