// Updates a region in place from a freshly built tree, so a re-render keeps the elements that are still
// there: a bar's width changes on the same element (its CSS transition runs), images are not fetched again,
// and nothing the user did not ask for is rebuilt. Event listeners of the fresh tree are not carried over:
// use it for read-only regions.

// Elements are the same one when tag, id and the data keys below agree; otherwise the old one is replaced.
const KEYS = ['id', 'data-question', 'data-option', 'data-id'];

function same(a, b) {
  if (a.nodeType !== b.nodeType) return false;
  if (a.nodeType !== Node.ELEMENT_NODE) return true;
  return a.tagName === b.tagName && KEYS.every((k) => a.getAttribute(k) === b.getAttribute(k));
}

function syncAttributes(el, fresh) {
  for (const { name } of [...el.attributes]) if (!fresh.hasAttribute(name)) el.removeAttribute(name);
  for (const { name, value } of [...fresh.attributes]) {
    if (name === 'style') {
      // Through the style object, which Chromium keeps in step (a set attribute can leave it stale).
      if (el.style.cssText !== fresh.style.cssText) el.style.cssText = fresh.style.cssText;
    } else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }
}

function patchNode(el, fresh) {
  if (el.nodeType !== Node.ELEMENT_NODE) {
    if (el.nodeValue !== fresh.nodeValue) el.nodeValue = fresh.nodeValue;
    return;
  }
  syncAttributes(el, fresh);
  patchChildren(el, [...fresh.childNodes]);
}

/** Makes `parent`'s children equal to `fresh` (nodes), reusing every child that matches in place. */
export function patchChildren(parent, fresh) {
  fresh.forEach((node, i) => {
    const old = parent.childNodes[i];
    if (!old) parent.append(node);
    else if (same(old, node)) patchNode(old, node);
    else parent.replaceChild(node, old);
  });
  while (parent.childNodes.length > fresh.length) parent.lastChild.remove();
}
