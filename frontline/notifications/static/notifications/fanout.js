// Fan-out progress: the counts and bars follow the server while the page is open.
(function () {
  const box = document.getElementById("progress");
  const text = (id, value) => { document.getElementById(id).textContent = value; };
  function cell(value) { const td = document.createElement("td"); td.textContent = value; return td; }
  async function refresh() {
    try {
      const response = await fetch(box.dataset.url, {headers: {"Accept": "application/json"}});
      if (!response.ok) return;
      const p = await response.json();
      document.getElementById("bar-started").value = p.started;
      document.getElementById("bar-acknowledged").value = p.acknowledged;
      text("percent-started", p.percent_started.toFixed(1));
      text("percent-acknowledged", p.percent_acknowledged.toFixed(1));
      text("count-stored", p.stored);
      document.getElementById("storing").hidden = p.stored >= p.total;
      for (const key of ["sent", "delivered", "acknowledged", "failing", "exhausted", "climbing"]) text("count-" + key, p[key]);
      const body = document.getElementById("failures");
      body.replaceChildren(...p.failures.map(f => {
        const tr = document.createElement("tr");
        const link = document.createElement("a");
        link.href = "/customers/" + f.customer_id + "/notifications/"; link.textContent = f.customer;
        const first = document.createElement("td"); first.append(link);
        tr.append(first, cell(f.channel), cell(f.address), cell(f.status), cell(f.answer));
        return tr;
      }));
    } catch (error) { /* the next poll tries again */ }
  }
  setInterval(refresh, 1000 * Number(box.dataset.poll));
})();
