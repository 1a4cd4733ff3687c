/*
 * The DOM helpers every page script uses: the mailbox modules import them,
 * and app.js hands them to the classic scripts (settings.js, filters.js,
 * contacts.js, general.js, compose.js) as Petrel.el, Petrel.icon,
 * Petrel.button, Petrel.iconButton and Petrel.trapTab. Text always goes in
 * through textContent, so no helper here can turn data into markup.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

export function $(id) { return document.getElementById(id); }

export function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

// An icon of the sprite in templates/mailbox.tpl (<symbol id="i-NAME">).
export function icon(name, cls) {
  var svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'icon' + (cls ? ' ' + cls : ''));
  svg.setAttribute('aria-hidden', 'true');
  var use = document.createElementNS(SVG_NS, 'use');
  use.setAttribute('href', '#i-' + name);
  svg.appendChild(use);
  return svg;
}

export function setIcon(button, name) {
  var use = button.querySelector('use');
  if (use) use.setAttribute('href', '#i-' + name);
}

// A type=button button: an icon, then the text in a span, either optional.
export function button(cls, text, iconName) {
  var b = el('button', cls);
  b.type = 'button';
  if (iconName) b.appendChild(icon(iconName));
  if (text) b.appendChild(el('span', '', text));
  return b;
}

// An icon-only button; the label is its accessible name and tooltip.
export function iconButton(name, label, cls) {
  var b = button('icon-btn' + (cls ? ' ' + cls : ''), null, name);
  b.setAttribute('aria-label', label);
  b.title = label;
  return b;
}

// Keeps Tab and Shift+Tab inside a dialog box.
export function trapTab(ev, box) {
  var items = Array.from(box.querySelectorAll('button, input, select')).filter(function (n) {
    return !n.disabled && n.offsetParent !== null;
  });
  if (!items.length) return;
  var i = items.indexOf(document.activeElement);
  if (ev.shiftKey && (i <= 0)) { ev.preventDefault(); items[items.length - 1].focus(); }
  else if (!ev.shiftKey && (i === items.length - 1 || i < 0)) { ev.preventDefault(); items[0].focus(); }
}
