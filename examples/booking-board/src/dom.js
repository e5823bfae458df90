// Two small DOM helpers: `h` builds elements, `refresh` re-renders a region only when
// what it shows changed, and never while the user is typing in it.

/**
 * `h('button', { class: 'x', onclick }, 'text', child)`: an element with attributes
 * (functions become listeners, `value`/`checked` become properties) and children
 * (strings, nodes, arrays; null and false are skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = tag === 'svg' || props.svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'svg' || value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (key === 'value' || key === 'checked') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An SVG element (same arguments as `h`). */
export const s = (tag, props = {}, ...children) => h(tag, { ...props, svg: true }, ...children);

/** Whether the user is typing or choosing in a field inside `container`. */
function editing(container) {
  const el = document.activeElement;
  return el !== null && container.contains(el) && el.matches('input, select, textarea');
}

/**
 * Replaces `container`'s content with `build()` when `key` differs from the last one
 * rendered. While a field inside has focus, the update waits for focus to leave it.
 */
export function refresh(container, key, build) {
  container.latest = [key, build];
  if (container.renderedKey === key) return;
  if (editing(container)) {
    if (!container.waitsForBlur) {
      container.waitsForBlur = true;
      container.addEventListener('focusout', () => {
        container.waitsForBlur = false;
        // After the change event of the field being left, and once focus has landed.
        setTimeout(() => refresh(container, ...container.latest), 0);
      }, { once: true });
    }
    return;
  }
  container.renderedKey = key;
  container.replaceChildren(...[build()].flat(Infinity).filter((x) => x !== null && x !== undefined && x !== false));
}

/** '1.2 kB' for byte counts. */
export function bytes(n) {
  return n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1000).toFixed(1)} kB` : `${(n / 1e6).toFixed(2)} MB`;
}

/** '3 s ago', '2 min ago', 'never'. */
export function ago(at, now = Date.now()) {
  if (!at) return 'never';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  return seconds < 60 ? `${seconds} s ago` : seconds < 3600 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
}

/** 'HH:MM:SS.mmm' of a millisecond time. */
export function clock(ms) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A value as the UI shows it. */
export function show(value) {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') return value === '' ? '(empty)' : value.replace('T', ' ');
  return JSON.stringify(value);
}
