// Keyboard use of the workspace. "/" search, "j"/"k" move in a list, Enter opens, "g i" inbox,
// "g l" lookup; on a case "r" reply, "n" note, "t" take it. Keys are ignored while typing in a field.
(function () {
  let pendingG = false;
  function typing(e) { const t = e.target; return t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName); }
  function rows() { return Array.from(document.querySelectorAll("[data-row-link]")); }
  function move(step) {
    const all = rows(); if (!all.length) return;
    let i = all.findIndex(r => r.classList.contains("selected"));
    if (i >= 0) all[i].classList.remove("selected");
    i = Math.min(Math.max(i + step, 0), all.length - 1);
    all[i].classList.add("selected"); all[i].scrollIntoView({block: "nearest"});
  }
  function focus(id) { const el = document.getElementById(id); if (el) { el.focus(); return true; } return false; }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    if (pendingG) {
      pendingG = false;
      if (e.key === "i") { location.href = document.body.dataset.inboxUrl; }
      if (e.key === "l") { location.href = document.body.dataset.lookupUrl; }
      return;
    }
    switch (e.key) {
      case "g": pendingG = true; break;
      case "/": if (focus("search")) e.preventDefault(); break;
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": { const s = document.querySelector("[data-row-link].selected"); if (s) location.href = s.dataset.rowLink; break; }
      case "r": if (focus("reply-body")) e.preventDefault(); break;
      case "n": if (focus("note-body")) e.preventDefault(); break;
      case "t": { const b = document.getElementById("take-button"); if (b) b.click(); break; }
    }
  });
})();

// Starting a reply from something (a saved reply, how a similar case was solved): a button with
// data-reply-fill puts its text in the reply box, and the reply remembers where it started (origin).
// Ctrl+Enter (or Cmd+Enter) in a text box sends its form.
(function () {
  document.addEventListener("click", function (e) {
    const button = e.target.closest("[data-reply-fill]");
    const box = document.getElementById("reply-body");
    if (!button || !box) return;
    box.value = button.dataset.replyFill;
    const origin = document.getElementById("reply-origin");
    if (origin) origin.value = button.dataset.replyOrigin || "";
    box.focus();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey) || e.target.tagName !== "TEXTAREA" || !e.target.form) return;
    e.preventDefault();
    e.target.form.requestSubmit();
  });
})();
