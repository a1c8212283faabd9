// The chat widget: start a chat, post lines, poll for answers. Settings come from #chat-config.
(function () {
  var config = document.getElementById("chat-config").dataset;
  var token = sessionStorage.getItem("frontline-chat"), last = 0;
  function $(id) { return document.getElementById(id); }
  function show(lines) {
    lines.forEach(function (m) {
      if (m.id <= last) return;
      last = m.id;
      var li = document.createElement("li");
      li.className = m.from === "you" ? "msg-in" : "msg-out";
      li.textContent = m.from + ": " + m.body;
      $("chat-lines").appendChild(li);
    });
  }
  function fail(response) {
    return response.json().then(function (d) { $("chat-error").textContent = d.detail; $("chat-error").hidden = false; });
  }
  function open(data) {
    token = data.token || token; sessionStorage.setItem("frontline-chat", token);
    $("chat-start").hidden = true; $("chat").hidden = false; $("chat-case").textContent = data.case;
    if (data.unproven) $("chat-unproven").hidden = false;
    show(data.messages);
  }
  function poll() {
    if (!token) return;
    fetch(config.base + token + "/messages?after=" + last)
      .then(function (r) { return r.ok ? r.json().then(open) : null; });
  }
  function post(url, body) {
    return fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  }
  $("chat-start").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = new FormData(e.target);
    post(config.start, {name: f.get("name"), email: f.get("email"), body: f.get("body"), identity: config.identity})
      .then(function (r) { return r.ok ? r.json().then(open) : fail(r); });
  });
  $("chat-send").addEventListener("submit", function (e) {
    e.preventDefault();
    var box = e.target.elements.body;
    post(config.base + token + "/messages?after=" + last, {body: box.value})
      .then(function (r) { if (r.ok) { box.value = ""; return r.json().then(open); } return fail(r); });
  });
  poll();
  // Polling, not a held-open stream: a web worker held by an idle visitor is a worker lost.
  setInterval(poll, Number(config.poll) * 1000);
})();
