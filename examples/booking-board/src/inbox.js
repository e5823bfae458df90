// The conflict inbox of one replica: every hold field whose concurrent writes the field
// policy could not settle (Document.conflicts()), with the competing values side by
// side, who wrote each and when, and whether last-writer-wins would have had a clear
// winner or one inside the clock-skew tolerance (converge's own last-writer-wins read of
// the field, not a JS re-ranking). Picking a value, or typing a new one,
// is an ordinary write that supersedes the siblings on every replica.
// Below it, the concurrent writes the policies did settle, so nothing is hidden.

import { concurrentFields, inboxEntries } from './conflicts.js';
import { clock, h, refresh, show } from './dom.js';

const fieldName = (path) => `${path[1]} · ${path[2]}`;

/** What last-writer-wins would make of the field: converge's read under an LWW policy. */
function verdictBadge(doc, path, skewMs, labelOf) {
  const lww = doc.read(path, { policy: { type: 'lww', skewToleranceMs: skewMs } });
  const [first, second] = lww?.siblings ?? [];
  if (!first?.timestamp || !second?.timestamp) return h('span', { class: 'badge' }, 'no timestamps: no LWW order');
  const margin = `${first.timestamp.millis - second.timestamp.millis} ms apart`;
  return lww.outcome === 'ambiguous'
    ? h('span', { class: 'badge warn', 'data-verdict': 'ambiguous', title: `closer than the ${skewMs} ms skew tolerance: clock skew may have decided` },
        `LWW ambiguous: ${margin} < ${skewMs} ms tolerance`)
    : h('span', { class: 'badge ok', 'data-verdict': 'clear' },
        `LWW clear: ${labelOf(first.writer)}’s by ${margin}`);
}

function entryView(replica, conflict, skewMs) {
  const labelOf = (id) => replica.labelOf(id);
  const writes = [...conflict.siblings, ...conflict.ignored];
  const typed = h('input', { type: 'text', placeholder: 'or type a new value', 'data-role': 'custom-value' });
  return h(
    'li',
    { class: 'inbox-entry', 'data-path': conflict.path.join('/') },
    h('div', { class: 'entry-head' },
      h('b', {}, fieldName(conflict.path)),
      h('span', { class: 'badge' }, conflict.resolver ? `${conflict.outcome} (${conflict.resolver})` : conflict.outcome),
      verdictBadge(replica.doc, conflict.path, skewMs, labelOf)),
    h('div', { class: 'competing' },
      writes.map((w) =>
        h('div', { class: 'candidate' },
          h('div', { class: 'candidate-value' }, show(w.value)),
          h('div', { class: 'hint' }, `by ${labelOf(w.writer)}`, w.timestamp ? ` at ${clock(w.timestamp.millis)}` : ''),
          h('button', { 'data-action': 'keep', onclick: () => replica.resolve(conflict.path, w.value) }, 'Keep this')))),
    h('form', {
      class: 'custom',
      onsubmit: (e) => {
        e.preventDefault();
        if (typed.value !== '') replica.resolve(conflict.path, typed.value);
      },
    }, typed, h('button', { type: 'submit' }, 'Resolve')),
  );
}

function settledView(replica, fields) {
  if (fields.length === 0) return null;
  return h('details', { class: 'settled', open: true },
    h('summary', {}, `${fields.length} concurrent ${fields.length === 1 ? 'write' : 'writes'} settled by policy`),
    h('ul', {}, fields.map(({ path, read, writes }) =>
      h('li', { 'data-path': path.join('/') },
        h('b', {}, fieldName(path)), ' → ', show(read.value),
        h('span', { class: 'hint' }, ` (${read.resolver ?? read.outcome}) from `,
          writes.map((w) => `${replica.labelOf(w.writer)}: ${show(w.value)}`).join(', '))))));
}

/** The inbox section of a replica's card. */
export function inboxView(replica) {
  const list = h('div');
  const element = h('section', { class: 'inbox' }, h('h3', {}, 'Conflict inbox'), list);
  function update() {
    const entries = inboxEntries(replica.doc);
    const settled = concurrentFields(replica.doc).filter((c) => !c.read.needsAttention);
    const { skewMs } = replica.policies();
    const key = JSON.stringify([entries, settled.map((c) => [c.path, c.read.value, c.writes]), skewMs]);
    refresh(list, key, () => [
      entries.length === 0
        ? h('p', { class: 'empty', 'data-role': 'inbox-empty' }, 'Nothing needs you: every concurrent write was settled.')
        : h('ul', { class: 'entries' }, entries.map((c) => entryView(replica, c, skewMs))),
      settledView(replica, settled),
    ]);
    element.dataset.count = String(entries.length);
  }
  return { element, update };
}
