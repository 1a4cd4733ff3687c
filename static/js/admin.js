// The admin panel works without JavaScript (plain forms, server-side
// validation). This only adds confirmations before destructive actions
// and a busy state on submit buttons. No inline script (CSP).
'use strict';
document.addEventListener('submit', (ev) => {
  const form = ev.target;
  const msg = form.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
    return;
  }
  const btn = ev.submitter;
  if (btn && btn.name) {
    // A disabled button is not submitted: keep its value in a hidden field.
    const keep = document.createElement('input');
    keep.type = 'hidden';
    keep.name = btn.name;
    keep.value = btn.value;
    form.appendChild(keep);
  }
  if (btn) {
    btn.disabled = true;
    btn.classList.add('busy');
  }
});
