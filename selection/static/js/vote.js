// The voting page (vetting/ballot_views.py): the QR code on a voting slip opens /vote#<code>.
// The code is in the URL fragment, which the browser never sends, so it reaches no server or
// proxy log. Move it into the form, clear it from the address bar and history, and submit.
(function () {
  "use strict";
  var code = decodeURIComponent((window.location.hash || "").slice(1));
  if (!code) {
    return;
  }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  var field = document.getElementById("token");
  var form = document.getElementById("token-form");
  if (field && form) {
    field.value = code;
    form.submit();
  }
})();
