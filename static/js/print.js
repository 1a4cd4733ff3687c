/*
 * The print view (/message/print): open the browser's print dialog once
 * the message and its pictures have loaded. The page is sandboxed (an
 * opaque origin) and runs no other script: its CSP lets only this file,
 * by nonce, run.
 */
(function () {
  'use strict';
  function go() {
    document.documentElement.classList.add('print-ready');
    // A tick later, so the layout (and the class above) is in place.
    setTimeout(function () { window.print(); }, 50);
  }
  if (document.readyState === 'complete') go();
  else window.addEventListener('load', go);
}());
