// The few pictures the client draws, as inline SVG (emoji fonts differ between devices and are
// missing on some; these look the same everywhere and weigh a few hundred bytes).

const MARKUP = {
  logo:
    '<svg viewBox="0 0 32 32" aria-hidden="true"><rect x="9" y="3" width="14" height="16" rx="2" fill="#fff" stroke="#5b3df5" stroke-width="2"/><path d="M12.5 10.5l2.5 2.5 4.5-5" fill="none" stroke="#e8437a" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/><rect x="3" y="15" width="26" height="14" rx="4" fill="#5b3df5"/><rect x="8" y="18" width="16" height="2.4" rx="1.2" fill="#2b1a9c"/></svg>',
  trophy:
    '<svg viewBox="0 0 32 32" aria-hidden="true"><path d="M9 9H5.5v2a5 5 0 0 0 5 5M23 9h3.5v2a5 5 0 0 1-5 5" fill="none" stroke="#e0a400" stroke-width="2.2"/><path d="M8.5 4h15v8a7.5 7.5 0 0 1-15 0z" fill="#f5b700"/><path d="M12 6.5v5a4 4 0 0 0 2 3.4" fill="none" stroke="#ffe08a" stroke-width="1.8" stroke-linecap="round"/><rect x="14" y="19" width="4" height="5" fill="#d99a00"/><rect x="9.5" y="24" width="13" height="4.5" rx="1.5" fill="#b87f00"/></svg>',
  crown:
    '<svg viewBox="0 0 32 24" aria-hidden="true"><path d="M3 20L5 6l6.5 6.5L16 3l4.5 9.5L27 6l2 14z" fill="#f5b700" stroke="#c98f00" stroke-width="1.5" stroke-linejoin="round"/><circle cx="16" cy="14.5" r="2" fill="#fff6d6"/></svg>',
  heart:
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 20.5s-7.5-4.6-9.3-9.2C1.4 7.9 3.6 4.5 7 4.5c2.1 0 3.6 1.2 5 3 1.4-1.8 2.9-3 5-3 3.4 0 5.6 3.4 4.3 6.8-1.8 4.6-9.3 9.2-9.3 9.2z"/></svg>',
} as const;

export function icon(name: keyof typeof MARKUP, cls = "icon"): HTMLElement {
  const span = document.createElement("span");
  span.className = cls;
  // Fixed markup from this file, never from data.
  span.innerHTML = MARKUP[name];
  return span;
}
