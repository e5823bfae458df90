// The field policies, visible and settable from any replica. A choice is an ordinary
// write under policy/<field>, so every replica reads the board the same way.

import { h, refresh } from './dom.js';
import { POLICY_CHOICES } from './policy.js';

const FIELD_LABELS = { status: 'status', expires_at: 'expires', notes: 'notes', guest: 'guest' };

/** The policies section of a replica's card. */
export function policiesView(replica) {
  const body = h('div', { class: 'policy-grid' });
  const summary = h('span', { class: 'hint', 'data-role': 'policy-summary' });
  const element = h('details', { class: 'policies' }, h('summary', {}, 'Field policies ', summary), body);
  function update() {
    const settings = replica.policies();
    const replicas = Object.entries(replica.doc.get(['replicas']) ?? {}).map(([id, r]) => [id, r?.label ?? id]);
    const owner = replicas.find(([id]) => id === settings.authority)?.[1] ?? 'nobody';
    summary.textContent = [
      `status: ${settings.status === 'resolver' ? 'confirmed absorbs' : settings.status}`,
      `expires: ${settings.expires_at === 'later' ? 'later wins' : settings.expires_at}`,
      `notes: ${settings.notes}`,
      `guest: ${settings.guest === 'authority' ? `owned by ${owner}` : settings.guest}`,
      `skew tolerance ${settings.skewMs / 1000} s`,
    ].join(' · ');
    refresh(body, JSON.stringify([settings, replicas]), () => [
      Object.entries(POLICY_CHOICES).map(([field, choices]) => [
        h('label', {}, FIELD_LABELS[field]),
        h('select', { 'data-policy': field, onchange: (e) => replica.setPolicy(field, e.target.value) },
          Object.entries(choices).map(([value, text]) => h('option', { value, selected: settings[field] === value }, text))),
      ]),
      h('label', {}, 'guest owner'),
      h('select', { 'data-policy': 'authority', onchange: (e) => replica.setPolicy('authority', e.target.value) },
        replicas.sort((a, b) => (a[1] < b[1] ? -1 : 1)).map(([id, label]) => h('option', { value: id, selected: settings.authority === id }, `replica ${label}`))),
      h('label', {}, 'skew tolerance'),
      h('select', { 'data-policy': 'skewMs', onchange: (e) => replica.setPolicy('skewMs', Number(e.target.value)) },
        [0, 500, 2000, 10000, 60000].map((ms) => h('option', { value: ms, selected: settings.skewMs === ms }, ms === 0 ? 'none' : `${ms / 1000} s`))),
    ]);
  }
  return { element, update };
}
