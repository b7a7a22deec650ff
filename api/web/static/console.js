// Progressive help only; every rule is checked again by the server.
(function () {
  "use strict";
  // The account type is asked only for PACKAGE accounts (A1).
  function syncAccountType(select) {
    var box = document.getElementById(select.getAttribute("data-type-box"));
    if (!box) { return; }
    var package_ = select.value === "PACKAGE";
    box.classList.toggle("hidden", !package_);
    box.querySelectorAll("select").forEach(function (s) { s.disabled = !package_; });
  }
  // With the reason OTHER a comment is required (A3).
  function syncComment(form) {
    var other = form.querySelector("input[name=reason][value=OTHER]");
    var comment = form.querySelector("textarea[name=comment]");
    if (!other || !comment) { return; }
    comment.required = other.checked;
    var mark = form.querySelector("[data-comment-required]");
    if (mark) { mark.classList.toggle("hidden", !other.checked); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-type-box]").forEach(function (s) {
      syncAccountType(s);
      s.addEventListener("change", function () { syncAccountType(s); });
    });
    document.querySelectorAll("form[data-unenroll]").forEach(function (f) {
      syncComment(f);
      f.addEventListener("change", function () { syncComment(f); });
    });
    var problem = document.getElementById("problem");
    if (problem) { problem.focus(); }
  });
})();
