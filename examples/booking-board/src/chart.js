// A small SVG chart of one replica's last two minutes: pending deltas (the outbox) and
// open conflicts (the inbox), one sample a second.

import { h, s } from './dom.js';

const W = 300;
const H = 64;
const PAD = 4;
const SPAN_MS = 120_000;

function line(samples, pick, top, now, cls) {
  const points = samples.map((p) => {
    const x = PAD + ((W - 2 * PAD) * (1 - (now - p.at) / SPAN_MS));
    const y = H - PAD - ((H - 2 * PAD) * pick(p)) / top;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return s('polyline', { class: cls, points: points.join(' ') });
}

/** The chart section of a replica's card. */
export function chartView(replica) {
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  const legend = h('div', { class: 'legend' });
  const element = h('section', { class: 'chart-box' }, svg, legend);
  function update() {
    const samples = replica.history;
    const now = samples.at(-1)?.at ?? Date.now();
    const last = samples.at(-1) ?? { pending: 0, open: 0 };
    const top = Math.max(4, ...samples.map((p) => Math.max(p.pending, p.open)));
    svg.setAttribute('aria-label', `pending deltas ${last.pending}, open conflicts ${last.open}`);
    svg.replaceChildren(
      s('line', { x1: PAD, x2: W - PAD, y1: H - PAD, y2: H - PAD, class: 'axis' }),
      s('text', { x: PAD, y: 10, class: 'scale' }, String(top)),
      line(samples, (p) => p.pending, top, now, 'pending'),
      line(samples, (p) => p.open, top, now, 'open'),
    );
    legend.replaceChildren(
      h('span', { class: 'key pending' }, `pending deltas (${last.pending})`),
      h('span', { class: 'key open' }, `open conflicts (${last.open})`),
      h('span', { class: 'hint' }, 'last 2 min'),
    );
  }
  return { element, update };
}
