// The audit log as every replica shows it: read from the document, so replicas that
// have synced list the same entries in the same order.

import { AUDIT_SHOWN, auditEntries } from './audit.js';
import { clock, h, refresh, show } from './dom.js';

const values = (list) => (Array.isArray(list) ? list.map((w) => `${w.by}: ${show(w.value)}`).join(' vs ') : '');

const field = (path) => String(path).replace(/^holds\//, '').replace('/', ' · ');

function entryView(e) {
  const what = e.kind === 'resolved'
    ? [h('b', {}, 'resolved '), field(e.path), ` → ${show(e.chosen)}`, h('span', { class: 'hint' }, ` (was ${values(e.values)})`)]
    : [
        h('b', {}, 'merge met concurrent writes'),
        (Array.isArray(e.fields) ? e.fields : []).map((f) =>
          h('div', { class: 'audit-field' }, field(f.path), ': ', values(f.values), h('span', { class: 'hint' }, ` → ${f.settled}`))),
      ];
  return h('li', { class: `audit-${e.kind}`, 'data-kind': e.kind }, h('span', { class: 'when' }, clock(e.at).slice(0, 8)), ' ', h('span', { class: 'who' }, e.replica), ' ', what);
}

/** The audit section of a replica's card. */
export function auditView(replica) {
  const list = h('ol', { class: 'audit' });
  const count = h('span', { class: 'hint' });
  const element = h('section', { class: 'audit-log' }, h('h3', {}, 'Audit log ', count), list);
  function update() {
    const entries = auditEntries(replica.doc);
    count.textContent = `(${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, shared by every replica)`;
    element.dataset.count = String(entries.length);
    refresh(list, JSON.stringify(entries.slice(0, AUDIT_SHOWN).map((e) => e.id)), () =>
      entries.length === 0 ? h('li', { class: 'empty' }, 'No conflicts met yet.') : entries.slice(0, AUDIT_SHOWN).map(entryView));
  }
  return { element, update };
}
