/*
 * Sign-in page. Posts the form as JSON to /api/Login (the same API the
 * scripts use) and shows the server's message on failure. No framework:
 * this page must load instantly.
 */
(function () {
  'use strict';

  var boot = {};
  try {
    boot = JSON.parse(document.body.getAttribute('data-petrel') || '{}');
  } catch (e) {
    boot = {};
  }
  var L = boot.lang || {};

  function t(key, fallback) {
    return Object.prototype.hasOwnProperty.call(L, key) ? L[key] : fallback;
  }

  var form = document.getElementById('login-form');
  var errorBox = document.getElementById('login-error');
  var submit = document.getElementById('login-submit');
  var langSelect = document.getElementById('login-lang');

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function setBusy(busy) {
    submit.disabled = busy;
    if (busy) {
      submit.dataset.label = submit.textContent;
      submit.textContent = submit.dataset.busyLabel || submit.textContent;
    } else if (submit.dataset.label) {
      submit.textContent = submit.dataset.label;
    }
  }

  if (langSelect) {
    langSelect.addEventListener('change', function () {
      fetch('/api/Lang', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
        body: JSON.stringify({ lang: langSelect.value })
      }).then(function () {
        location.reload();
      }).catch(function () {
        showError(t('L_ERROR_NETWORK', 'Network error'));
      });
    });
  }

  if (!form) {
    return;
  }
  var email = document.getElementById('login-email');
  if (email && !email.value) {
    email.focus();
  } else {
    document.getElementById('login-password').focus();
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    var data = {
      email: form.elements.email.value.trim(),
      password: form.elements.password.value,
      remember: form.elements.remember.checked
    };
    setBusy(true);
    fetch('/api/Login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(data)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (resp.ok) {
          // Keep the link the visitor came with (#/folder/...?m=uid). When
          // the sign-in page is that very URL, assign() would only move to
          // the fragment without loading the mailbox: reload instead.
          var next = (boot.next || '/') + location.hash;
          if (location.hash && location.pathname + location.search + location.hash === next) location.reload();
          else location.assign(next);
          return;
        }
        var msg = body && body.error && body.error.message;
        showError(msg || t('L_LOGIN_FAILED', 'Sign-in failed'));
        setBusy(false);
      });
    }).catch(function () {
      showError(t('L_ERROR_NETWORK', 'Network error'));
      setBusy(false);
    });
  });
})();
