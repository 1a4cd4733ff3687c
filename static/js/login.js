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

  // The second step a plugin (two-factor) may ask for after the password
  // was right: Login answers 401 with error.challenge, and the same form
  // is sent again with the answer as second_factor.
  var step2 = null;
  var title = document.getElementById('login-title');
  var subtitle = document.querySelector('.login-subtitle');
  var firstStep = Array.prototype.slice.call(form.querySelectorAll('.field, .check'));
  var titles = { title: title.textContent, subtitle: subtitle ? subtitle.textContent : '', submit: submit.textContent, busy: submit.dataset.busyLabel };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function buildStep2() {
    var field = el('label', 'field login-step2');
    field.appendChild(el('span', 'field-label', t('L_LOGIN_2FA_CODE', 'Verification code')));
    var box = el('span', 'field-box');
    var ns = 'http://www.w3.org/2000/svg';
    var icon = document.createElementNS(ns, 'svg');
    icon.setAttribute('class', 'field-icon');
    icon.setAttribute('viewBox', '0 0 24 24');
    icon.setAttribute('aria-hidden', 'true');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', 'M12 3l7 3v5c0 5-3 8-7 10c-4-2-7-5-7-10V6z M9 12l2 2l4-4');
    icon.appendChild(path);
    box.appendChild(icon);
    var input = el('input', 'login-code');
    input.type = 'text';
    input.name = 'second_factor';
    input.id = 'login-code';
    input.autocomplete = 'one-time-code';
    input.inputMode = 'numeric';
    input.autocapitalize = 'off';
    input.spellcheck = false;
    input.maxLength = 32;
    input.required = true;
    box.appendChild(input);
    field.appendChild(box);
    var hint = el('p', 'login-hint login-step2', t('L_LOGIN_2FA_HINT', 'No phone at hand? Enter one of your recovery codes instead.'));
    hint.id = 'login-code-hint';
    input.setAttribute('aria-describedby', 'login-code-hint');
    // A recovery code has letters: let the keyboard offer them.
    input.addEventListener('input', function () {
      input.inputMode = /[^0-9 ]/.test(input.value) ? 'text' : 'numeric';
    });
    var back = el('button', 'btn btn-link btn-block login-step2', t('L_LOGIN_2FA_BACK', 'Back to sign-in'));
    back.type = 'button';
    back.id = 'login-back';
    back.addEventListener('click', function () { leaveStep2(); });
    form.insertBefore(field, submit);
    form.insertBefore(hint, submit);
    form.appendChild(back);
    return { input: input, parts: [field, hint, back] };
  }

  function enterStep2(prompt) {
    if (!step2) step2 = buildStep2();
    firstStep.forEach(function (n) { n.hidden = true; });
    step2.parts.forEach(function (n) { n.hidden = false; });
    form.classList.add('is-step2');
    title.textContent = t('L_LOGIN_2FA_TITLE', 'Two-step verification');
    if (subtitle) subtitle.textContent = prompt || '';
    submit.textContent = t('L_LOGIN_2FA_SUBMIT', 'Verify');
    submit.dataset.label = submit.textContent;
    submit.dataset.busyLabel = t('L_LOGIN_2FA_SUBMITTING', 'Checking…');
    step2.input.value = '';
    step2.input.focus();
  }

  function leaveStep2() {
    if (!step2) return;
    step2.parts.forEach(function (n) { n.hidden = true; });
    firstStep.forEach(function (n) { n.hidden = false; });
    form.classList.remove('is-step2');
    step2.input.value = '';
    title.textContent = titles.title;
    if (subtitle) subtitle.textContent = titles.subtitle;
    submit.textContent = titles.submit;
    submit.dataset.label = titles.submit;
    submit.dataset.busyLabel = titles.busy;
    errorBox.hidden = true;
    form.elements.password.value = '';
    form.elements.password.focus();
  }

  function inStep2() {
    return form.classList.contains('is-step2');
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    var data = {
      email: form.elements.email.value.trim(),
      password: form.elements.password.value,
      remember: form.elements.remember.checked
    };
    if (inStep2()) {
      data.second_factor = step2.input.value.trim();
      if (!data.second_factor) {
        step2.input.focus();
        return;
      }
    }
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
        var err = (body && body.error) || {};
        setBusy(false);
        if (err.challenge && resp.status === 401) {
          enterStep2(err.challenge.prompt);
          return;
        }
        showError(err.message || t('L_LOGIN_FAILED', 'Sign-in failed'));
        if (inStep2()) {
          step2.input.value = '';
          step2.input.focus();
        }
      });
    }).catch(function () {
      showError(t('L_ERROR_NETWORK', 'Network error'));
      setBusy(false);
    });
  });
})();
