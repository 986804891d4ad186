import {
  dotChart,
  escapeXml,
  extent,
  formatTick,
  formatValue,
  lineChart,
  linearScale,
  linearTicks,
  linePath,
  logDomain,
  logScale,
  logTicks,
  movingAverage,
  niceDomain,
  niceStep,
  padDomain,
  quantile,
  svgSheet,
} from './svg.js';

describe('scales and ticks', () => {
  it('extent ignores non-finite values', () => {
    expect(extent([3, NaN, -2, Infinity, 7, -Infinity])).toEqual([-2, 7]);
    expect(extent([NaN, Infinity])).toBeUndefined();
    expect(extent([])).toBeUndefined();
  });

  it('quantile interpolates over finite values', () => {
    expect(quantile([4, 1, NaN, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.9)).toBeCloseTo(4.6, 12);
    expect(quantile([10], 0.3)).toBe(10);
    expect(quantile([NaN], 0.5)).toBeNaN();
  });

  it('picks 1-2-5 steps', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 5)).toBeCloseTo(0.2, 15);
    expect(niceStep(300, 6)).toBe(50);
    expect(niceStep(7, 5)).toBe(1);
    expect(niceStep(0.03, 5)).toBeCloseTo(0.005, 15);
    expect(niceStep(0.037, 5)).toBeCloseTo(0.01, 15);
    expect(niceStep(8000, 6)).toBe(1000);
    expect(niceStep(0, 5)).toBe(1);
    expect(niceStep(NaN, 5)).toBe(1);
  });

  it('extends a domain to nice ticks', () => {
    expect(niceDomain([0.13, 0.97], 5)).toEqual({ domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], step: 0.2 });
    expect(niceDomain([10, 300], 6)).toEqual({ domain: [0, 300], ticks: [0, 50, 100, 150, 200, 250, 300], step: 50 });
    expect(niceDomain([-0.7, 0.4], 5).ticks).toEqual([-0.8, -0.6, -0.4, -0.2, 0, 0.2, 0.4]);
    // A single value is widened by 10 % (or ±1 at zero).
    expect(padDomain([5, 5])).toEqual([4.5, 5.5]);
    expect(padDomain([0, 0])).toEqual([-1, 1]);
    expect(niceDomain([2, 2]).domain[0]).toBeLessThan(2);
  });

  it('linear scale maps the domain onto the range (inverted y)', () => {
    const y = linearScale([0, 1], [300, 20]);
    expect(y(0)).toBe(300);
    expect(y(1)).toBe(20);
    expect(y(0.25)).toBe(230);
    expect(y(NaN)).toBeNaN();
    expect(linearTicks([0, 1], 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks([0.05, 0.93], 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

  it('log scale: decades, 1-2-5 ticks when few decades, NaN at or below zero', () => {
    const s = logScale([0.01, 1], [300, 0]);
    expect(s(0.01)).toBeCloseTo(300, 10);
    expect(s(0.1)).toBeCloseTo(150, 10);
    expect(s(1)).toBeCloseTo(0, 10);
    expect(s(0)).toBeNaN();
    expect(s(-1)).toBeNaN();
    expect(logTicks([1e-4, 1])).toEqual([1e-4, 1e-3, 1e-2, 0.1, 1]);
    expect(logTicks([0.1, 1])).toEqual([0.1, 0.2, 0.5, 1]);
    expect(logDomain([0.37, 0.48])).toEqual([0.1, 1]);
    expect(logDomain([0.003, 0.2])).toEqual([0.001, 1]);
  });

  it('formats ticks and values', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(0.2)).toBe('0.2');
    expect(formatTick(1500)).toBe('1500');
    expect(formatTick(1e-4)).toBe('1e-4');
    expect(formatTick(2.5e6)).toBe('2.5e6');
    expect(formatTick(0.30000000000000004)).toBe('0.3');
    expect(formatValue(null)).toBe('–');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(Infinity)).toBe('∞');
    expect(formatValue(0.88)).toBe('0.8800');
    expect(formatValue(300)).toBe('300');
  });
});

describe('paths', () => {
  const id = (v: number) => v;
  it('draws M then L segments with 2-decimal coordinates', () => {
    expect(linePath([{ x: 0, y: 1 }, { x: 1.006, y: 2.3333 }, { x: 2, y: 3 }], id, id)).toBe('M0 1 L1.01 2.33 L2 3');
  });

  it('breaks the line at NaN and infinite values, never writing them', () => {
    const d = linePath([{ x: 0, y: 1 }, { x: 1, y: NaN }, { x: 2, y: 3 }, { x: 3, y: 4 }, { x: 4, y: Infinity }, { x: 5, y: 6 }], id, id);
    expect(d).toBe('M0 1 M2 3 L3 4 M5 6');
    expect(d).not.toMatch(/NaN|Infinity/);
    expect(linePath([{ x: 0, y: NaN }], id, id)).toBe('');
    // Non-positive values on a log scale are gaps too.
    const s = logScale([0.1, 10], [100, 0]);
    expect(linePath([{ x: 0, y: 1 }, { x: 1, y: 0 }, { x: 2, y: 10 }], id, s)).toBe('M0 50 M2 0');
  });

  it('moving average skips non-finite values', () => {
    expect(movingAverage([1, 3, NaN, 5], 2)).toEqual([1, 2, 3, 5]);
    expect(movingAverage([NaN, NaN], 3)).toEqual([NaN, NaN]);
  });
});

describe('charts', () => {
  const series = [
    { name: 'bbt', color: '#1f77b4', points: [{ x: 10, y: 0.9 }, { x: 20, y: NaN }, { x: 30, y: 0.5 }] },
    { name: 'gdfo <x>', color: '#d62728', points: [{ x: 10, y: 0.8 }, { x: 30, y: 0.3 }] },
  ];

  it('renders axes, ticks, labels, legend and one path per series with markers', () => {
    const svg = lineChart({ id: 'c1', kind: 'fitness', title: 'T & t', xLabel: 'teacher calls', yLabel: 'loss', series });
    expect(svg).toMatch(/^<svg [^>]*id="c1" class="gdfo-plot" data-kind="fitness" data-empty="false"/);
    expect(svg.match(/class="series-line"/g)).toHaveLength(2);
    expect(svg.match(/class="series-point"/g)).toHaveLength(4);
    expect(svg.match(/class="legend-item"/g)).toHaveLength(2);
    expect(svg).toContain('>teacher calls</text>');
    expect(svg).toContain('T &amp; t');
    expect(svg).toContain('gdfo &lt;x&gt;');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    // x ticks 10..30 on a nice domain [10, 30] with step 5: 10, 15, 20, 25, 30.
    const xTicks = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="middle">([\d.]+)<\/text>/g)].map((m) => Number(m[1]));
    expect(xTicks).toEqual([10, 15, 20, 25, 30]);
  });

  it('renders an empty chart with a note when nothing is finite', () => {
    const svg = lineChart({ id: 'e', kind: 'sigma', title: 'σ', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', color: '#000', points: [{ x: 1, y: NaN }] }], emptyText: 'nothing here' });
    expect(svg).toContain('data-empty="true"');
    expect(svg).toContain('nothing here');
    expect(svg).not.toContain('series-line');
  });

  it('uses a fixed domain and reference lines when asked', () => {
    const svg = lineChart({ id: 'a', kind: 'agreement', title: 'a', xLabel: 'generation', yLabel: 'ρ', yDomain: [-1, 1], hLines: [0], series });
    expect(svg).toContain('class="ref-line"');
    const yTicks = [...svg.matchAll(/text-anchor="end">(-?[\d.]+)<\/text>/g)].map((m) => Number(m[1]));
    expect(yTicks).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('dot chart: a dot per finite value and a mean bar per category', () => {
    const svg = dotChart({
      id: 'cmp',
      kind: 'compare',
      title: 'cmp',
      yLabel: 'test',
      groups: [
        { category: 'bbt', dots: [{ series: 'r1', color: '#111', y: 0.8 }, { series: 'r2', color: '#222', y: 0.9 }] },
        { category: 'gdfo', dots: [{ series: 'r1', color: '#111', y: null }, { series: 'r2', color: '#222', y: NaN }] },
      ],
    });
    expect(svg.match(/class="series-point"/g)).toHaveLength(2);
    expect(svg.match(/mean-bar/g)).toHaveLength(1);
    expect(svg).toContain('bbt: mean 0.8500 over 2');
  });

  it('escapes XML', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('svgSheet', () => {
  const chart = (id: string, width?: number) =>
    lineChart({ id, kind: 'curve', title: id, xLabel: 'calls', yLabel: 'test', series: [{ name: 'bbt', color: '#1f77b4', points: [{ x: 0, y: 0.5 }, { x: 100, y: 0.7 }] }], ...(width ? { width } : {}) });

  it('lays charts out row by row at their own sizes, with the plot styles inlined and a white ground', () => {
    const sheet = svgSheet([[chart('a'), chart('b', 400)], [chart('c')]], { title: 'Curves & co' });
    // 680 + 12 + 400 wide; title band 32, rows of 340 with a gap of 12: 32 + 340 + 12 + 340
    expect(sheet).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 1092 724" width="1092" height="724">/);
    expect([...sheet.matchAll(/<svg x="(\d+)" y="(\d+)" xmlns[^>]* id="(\w)"/g)].map((m) => [m[3], Number(m[1]), Number(m[2])])).toEqual([
      ['a', 0, 32],
      ['b', 692, 32],
      ['c', 0, 384],
    ]);
    expect(sheet.match(/<svg/g)).toHaveLength(4);
    expect(sheet.match(/<\/svg>/g)).toHaveLength(4);
    expect(sheet).toContain('<style>');
    expect(sheet).toContain('.frame{fill:none;stroke:#9aa4ae}');
    expect(sheet).toContain('Curves &amp; co');
    expect(sheet.endsWith('</svg>\n')).toBe(true);
  });

  it('rows of one stack; empty rows take no room; no title leaves no band; a fragment without a size is refused', () => {
    const sheet = svgSheet([[chart('a')], [], [chart('b')]]);
    expect(sheet).toContain('viewBox="0 0 680 692"');
    expect(sheet).toContain('<svg x="0" y="352"');
    expect(() => svgSheet([['<svg viewBox="0 0 1 1"></svg>']])).toThrow('svgSheet: a chart must be an <svg> with width and height attributes');
  });
});
