// What the policies did on this replica since it started (converge's policy metrics,
// per policy and path pattern: settled automatically, sent to review, writes ignored,
// local writes refused), and what it refused (its dead-letter list: writes the policies
// refused and sync messages it rejected). Both come straight from the Document.

import { h, refresh } from './dom.js';

const SHOWN = 8;

function letterView(replica, letter) {
  const where = letter.path ? letter.path.slice(1).join(' · ') : `${letter.bytes} bytes`;
  const who = letter.origin ? replica.labelOf(letter.origin) : 'unknown peer';
  return h('li', { 'data-code': letter.code, title: letter.message },
    h('b', {}, letter.code), ` ${letter.kind} ${where}, from ${who}`);
}

/** The policy outcomes and dead letters section of a replica's card. */
export function outcomesView(replica) {
  const body = h('div');
  const element = h('details', { class: 'outcomes', 'data-role': 'outcomes' },
    h('summary', {}, 'Policy outcomes and refusals'), body);
  function update() {
    const metrics = replica.doc.policyMetrics();
    const letters = replica.doc.deadLetters();
    const dropped = replica.doc.metrics().deadLettersDropped;
    refresh(body, JSON.stringify([metrics, letters, dropped]), () => [
      metrics.length === 0
        ? h('p', { class: 'hint' }, 'No concurrent writes or refusals yet (since this tab started).')
        : h('table', { class: 'policy-metrics' },
            h('thead', {}, h('tr', {}, ['pattern', 'policy', 'settled', 'review', 'ignored', 'refused'].map((t) => h('th', {}, t)))),
            h('tbody', {}, metrics.map((m) =>
              h('tr', { 'data-pattern': m.pattern, 'data-policy': m.policy },
                [m.pattern, m.policy, m.settled, m.review, m.ignored, m.refused].map((v) => h('td', {}, String(v))))))),
      h('h4', {}, `Refused (${letters.length}${dropped ? `, ${dropped} older dropped` : ''})`),
      letters.length === 0
        ? h('p', { class: 'hint' }, 'Nothing refused.')
        : h('ol', { class: 'dead-letters' }, letters.slice(-SHOWN).reverse().map((l) => letterView(replica, l))),
    ]);
    element.dataset.refused = String(letters.length);
  }
  return { element, update };
}
