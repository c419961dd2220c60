// What every screen is: its root element, a title, and an update that patches it from the state.

import { h, type Child } from "../dom";

export interface Screen {
  el: HTMLElement;
  title: string;
  /** Called after every state change while the screen is shown. */
  update(): void;
  /** What gets focus when the screen appears (default: its heading). */
  focus?: HTMLElement;
}

/** A screen that never changes. */
export function staticScreen(title: string, ...children: Child[]): Screen {
  return { el: h("section", { class: "screen" }, ...children), title, update() {} };
}

/**
 * Keeps `parent`'s children in step with `items` by key, so nodes (and focus) survive updates:
 * new items are made, gone ones removed, every one patched and put in order.
 */
export function syncList<T>(
  parent: HTMLElement,
  items: T[],
  key: (item: T) => string,
  make: (item: T) => HTMLElement,
  patch: (el: HTMLElement, item: T) => void,
): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(parent.children) as HTMLElement[]) {
    if (child.dataset.key) existing.set(child.dataset.key, child);
  }
  let prev: Element | null = null;
  const keep = new Set<string>();
  for (const item of items) {
    const k = key(item);
    keep.add(k);
    let el = existing.get(k);
    if (!el) {
      el = make(item);
      el.dataset.key = k;
    }
    patch(el, item);
    const want: Element | null = prev ? prev.nextElementSibling : parent.firstElementChild;
    if (want !== el) parent.insertBefore(el, want);
    prev = el;
  }
  for (const [k, el] of existing) if (!keep.has(k)) el.remove();
}

export const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n} ${n === 1 ? one : many}`;
