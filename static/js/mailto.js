/*
 * /mailto (api_reading.c): go on to the compose URL of the page's one
 * link. A navigation from this same-origin page carries the session
 * cookie, which the cross-site one that opened it did not.
 */
(function () {
  'use strict';
  var a = document.getElementById('petrel-compose');
  if (a) location.replace(a.getAttribute('href'));
}());
