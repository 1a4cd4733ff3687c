// The unread count of INBOX on the tab's icon (issue 17): the site's own
// favicon drawn on a canvas with a red badge, set as a data: URL (the page
// CSP already allows img-src data:). The tab title carries the count of
// the open folder (list.js); the icon is the inbox's, whichever is open.
import { folderMap } from './state.js';

var link = document.querySelector('link[rel="icon"]');
var base = link ? link.href : '';
var baseType = link ? link.type : '';
var img = new Image();
var ready = false;
var shown = -1;
img.onload = function () { ready = true; shown = -1; update(); };
if (base) img.src = base;

function draw(n) {
  var size = 64;
  var c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  var g = c.getContext('2d');
  if (ready) g.drawImage(img, 0, 0, size, size);
  if (n > 0) {
    var text = n > 99 ? '99+' : String(n);
    var r = text.length > 2 ? 22 : 18;
    g.fillStyle = '#d93025';
    g.beginPath();
    g.arc(size - r, r, r, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = '#fff';
    g.font = 'bold ' + (text.length > 2 ? 18 : 26) + 'px sans-serif';
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText(text, size - r, r + 1);
  }
  return c.toDataURL('image/png');
}

function update() {
  if (!link) return;
  var inbox = folderMap.get('INBOX');
  var n = inbox ? Number(inbox.unseen) || 0 : 0;
  if (n === shown) return;
  shown = n;
  try {
    link.href = n > 0 ? draw(n) : base;
    link.type = n > 0 ? 'image/png' : baseType;
    link.dataset.unread = String(n);
  } catch (e) {
    // A tainted canvas (a favicon from another origin): keep the plain icon.
    link.href = base;
  }
}

// The folder counts change on every refresh (live.js, list.js); a cheap
// look at the map once a second follows them without touching those files.
setInterval(update, 1000);
