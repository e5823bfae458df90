// The board as a replica shows it: one row per hold, every cell an editor that makes
// an ordinary converge write through the replica. Fields in the inbox are marked;
// notes kept as siblings show every concurrent note; a guest write the authority
// policy ignores is shown, not hidden.

import { holdPath, holdsOf, localTime, newHoldId, STATUSES, writeHold } from './board.js';
import { h, refresh, show } from './dom.js';

function cellKey(replica, hold, field) {
  const read = replica.doc.read(holdPath(hold.id, field));
  return read
    ? [read.value, read.outcome, read.siblings.map((w) => [w.value, w.writer]), read.ignored.map((w) => [w.value, w.writer])]
    : null;
}

function textEditor(replica, hold, field, value, placeholder, readonly = false) {
  return h('input', {
    type: 'text',
    'data-field': field,
    value: typeof value === 'string' ? value : '',
    placeholder,
    readonly,
    onchange: (e) => replica.write(`${hold.id}.${field}`, (doc) => doc.set(holdPath(hold.id, field), e.target.value)),
  });
}

function guestCell(replica, hold) {
  const read = replica.doc.read(holdPath(hold.id, 'guest'));
  const ignored = read?.ignored ?? [];
  const { guest: policy, authority: owner } = replica.policies();
  // Under the authority policy only the owner edits: another replica's write would not
  // count, and if it had seen the owner's value it would still replace it causally.
  const locked = policy === 'authority' && owner !== replica.id;
  const ownerLabel = owner ? replica.labelOf(owner) : 'nobody';
  return h(
    'td',
    { class: 'guest' },
    h('div', { class: 'hold-id' }, hold.id, locked && h('span', { class: 'lock', title: `guest is owned by replica ${ownerLabel}` }, ` · owner ${ownerLabel}`)),
    textEditor(replica, hold, 'guest', read?.value, locked ? '' : 'guest name', locked),
    tagsOf(replica, hold),
    ignored.map((w) =>
      h('div', { class: 'hint ignored', title: `guest is owned by replica ${ownerLabel}` },
        `ignored: ${replica.labelOf(w.writer)} wrote “${show(w.value)}”`),
    ),
  );
}

function statusCell(replica, hold, flagged) {
  const read = replica.doc.read(holdPath(hold.id, 'status'));
  return h(
    'td',
    { class: flagged ? 'flagged' : null },
    h(
      'select',
      {
        'data-field': 'status',
        onchange: (e) => replica.write(`${hold.id}.status`, (doc) => doc.set(holdPath(hold.id, 'status'), e.target.value)),
      },
      !STATUSES.includes(read?.value) && h('option', { value: '', selected: true, disabled: true }, read?.siblings.length > 1 ? `${read.siblings.length} values` : '—'),
      STATUSES.map((status) => h('option', { value: status, selected: read?.value === status }, status)),
    ),
    flagged && h('span', { class: 'badge warn', title: 'concurrent writes wait in the inbox' }, 'inbox'),
  );
}

function expiresCell(replica, hold, flagged) {
  const read = replica.doc.read(holdPath(hold.id, 'expires_at'));
  return h(
    'td',
    { class: flagged ? 'flagged' : null },
    h('input', {
      type: 'datetime-local',
      'data-field': 'expires_at',
      value: typeof read?.value === 'string' ? read.value : '',
      onchange: (e) => replica.write(`${hold.id}.expires_at`, (doc) => doc.set(holdPath(hold.id, 'expires_at'), e.target.value)),
    }),
  );
}

function seatsCell(replica, hold) {
  const seats = Number(hold.seats ?? 0);
  const change = (n) => () =>
    replica.write(`${hold.id}.seats`, (doc) => (n > 0 ? doc.increment(holdPath(hold.id, 'seats'), n) : doc.decrement(holdPath(hold.id, 'seats'), -n)));
  return h(
    'td',
    { class: 'seats' },
    h('button', { class: 'small', 'data-action': 'seat-minus', disabled: seats <= 0, onclick: change(-1), title: 'one seat fewer' }, '−'),
    h('span', { 'data-field': 'seats' }, String(seats)),
    h('button', { class: 'small', 'data-action': 'seat-plus', onclick: change(1), title: 'one seat more' }, '+'),
  );
}

function notesCell(replica, hold, flagged) {
  const read = replica.doc.read(holdPath(hold.id, 'notes'));
  const siblings = read?.outcome === 'siblings' ? read.siblings : [];
  return h(
    'td',
    { class: flagged ? 'flagged' : null },
    siblings.length > 1
      ? h('div', { class: 'siblings', 'data-field': 'notes' },
          siblings.map((w) => h('div', { class: 'sibling' }, h('b', {}, `${replica.labelOf(w.writer)}: `), show(w.value))))
      : textEditor(replica, hold, 'notes', read?.value, 'notes'),
  );
}

function tagsOf(replica, hold) {
  const tags = Array.isArray(hold.tags) ? hold.tags : [];
  const path = holdPath(hold.id, 'tags');
  return h(
    'div',
    { class: 'tags' },
    tags.map((tag) =>
      h('span', { class: 'tag' }, String(tag),
        h('button', { class: 'tag-remove', title: `remove ${tag}`, onclick: () => replica.write(`${hold.id}.tags`, (doc) => doc.removeFromSet(path, tag)) }, '×')),
    ),
    h('input', {
      class: 'tag-input',
      placeholder: '+ tag',
      'data-field': 'tag-input',
      onchange: (e) => {
        const tag = e.target.value.trim();
        if (tag) replica.write(`${hold.id}.tags`, (doc) => doc.addToSet(path, tag));
        e.target.value = '';
      },
    }),
  );
}

function rowCells(replica, hold, flagged) {
  return [
    guestCell(replica, hold),
    statusCell(replica, hold, flagged.has('status')),
    expiresCell(replica, hold, flagged.has('expires_at')),
    seatsCell(replica, hold),
    notesCell(replica, hold, flagged.has('notes')),
  ];
}

/** The board section of a replica's card; call the returned `update()` on every change. */
export function holdsView(replica) {
  const body = h('tbody');
  const rows = new Map();
  const table = h(
    'table',
    { class: 'board' },
    h('thead', {}, h('tr', {}, ['hold · guest · tags', 'status', 'expires', 'seats', 'notes'].map((t) => h('th', {}, t)))),
    body,
  );
  const add = h('button', {
    'data-action': 'add-hold',
    onclick: () =>
      replica.write('new hold', (doc) =>
        writeHold(doc, { id: newHoldId(), guest: '', status: 'active', expires_at: localTime(60), notes: '', seats: 1, tags: [] }),
      ),
  }, '+ New hold');
  const element = h('section', { class: 'holds' }, table, add);

  function update() {
    const holds = holdsOf(replica.doc);
    const inbox = new Map();
    for (const c of replica.doc.conflicts()) {
      if (c.path[0] !== 'holds') continue;
      if (!inbox.has(c.path[1])) inbox.set(c.path[1], new Set());
      inbox.get(c.path[1]).add(c.path[2]);
    }
    const order = [];
    for (const hold of holds) {
      let tr = rows.get(hold.id);
      if (!tr) rows.set(hold.id, (tr = h('tr', { 'data-hold': hold.id })));
      const flagged = inbox.get(hold.id) ?? new Set();
      const key = JSON.stringify([
        hold,
        [...flagged],
        ['guest', 'status', 'expires_at', 'notes'].map((f) => cellKey(replica, hold, f)),
        replica.policies(),
      ]);
      refresh(tr, key, () => rowCells(replica, hold, flagged));
      order.push(tr);
    }
    if (order.length !== body.children.length || order.some((tr, i) => body.children[i] !== tr)) {
      body.replaceChildren(...order);
    }
  }
  return { element, update };
}
