// Progressive enhancement only: the pages work without this script.
// While a search loads, say so and keep the button from being pressed twice.
document.addEventListener("DOMContentLoaded", () => {
  const status = document.querySelector(".status");
  const setLoading = () => {
    document.body.classList.add("loading");
    if (status) status.textContent = "搜索中… Searching…";
  };
  const form = document.querySelector("form.ask");
  if (form) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button");
      if (button) {
        button.dataset.label = button.textContent;  // its own words: 搜索 Search, 比较 Compare
        button.disabled = true;
        button.textContent = "搜索中…";
      }
      setLoading();
    });
  }
  document.querySelectorAll(".chips a, .examples a, .matrix a").forEach((link) => {
    link.addEventListener("click", setLoading);
  });
  // The brief: ticking a practice keeps the address (`pick`) and the download links current,
  // so the page can be shared as it is; without this script, "update" submits the choice.
  const brief = document.querySelector("form.brief");
  if (brief) {
    document.documentElement.classList.add("js");
    const boxes = () => Array.from(document.querySelectorAll('input[name="pick"][form="brief"]'));
    const update = () => {
      const kept = Array.from(brief.querySelectorAll('input[type="hidden"][name="pick"]'))
        .map((input) => input.value);
      const picks = kept.concat(boxes().filter((box) => box.checked).map((box) => box.value));
      const address = new URL(window.location.href);
      address.searchParams.delete("pick");
      picks.forEach((id) => address.searchParams.append("pick", id));
      window.history.replaceState(null, "", address);
      document.querySelectorAll("header a, .tabs a, .chips a, main a:not(.download)").forEach((link) => {
        const target = new URL(link.href, window.location.href);
        if (target.origin !== window.location.origin || target.pathname.startsWith("/api/")) return;
        target.searchParams.delete("pick");
        picks.forEach((id) => target.searchParams.append("pick", id));
        link.href = target.toString();
      });
      const count = brief.querySelector(".brief-count");
      const query = brief.dataset.query || "";
      const figures = brief.dataset.figures || "";
      // none ticked: the page's own search (its filters, mode and k), as the page rendered it
      const answering = Number(brief.dataset.answering || 0);
      if (count) {
        count.textContent = picks.length ? `已选 ${picks.length} 个做法 · ${picks.length} chosen`
          : brief.dataset.unpicked;
      }
      brief.querySelectorAll("a.download").forEach((link) => link.remove());
      if (picks.length || answering || figures) {
        ["docx", "md"].forEach((format) => {
          const params = new URLSearchParams();
          picks.forEach((id) => params.append("id", id));
          if (query) params.append("q", query);
          if (query && !picks.length) {
            new URLSearchParams(brief.dataset.search || "").forEach((value, name) => {
              params.append(name, value);
            });
          }
          if (figures) params.append("figures", figures);
          params.append("format", format);
          const link = document.createElement("a");
          link.className = "download";
          link.dataset.format = format;
          link.href = `${brief.dataset.brief}?${params}`;
          link.textContent = format === "docx" ? "下载 Word · .docx" : "Markdown · .md";
          brief.appendChild(link);
        });
      }
    };
    boxes().forEach((box) => box.addEventListener("change", update));
  }
  // The documents page: a file dragged onto the drop zone is chosen, its name shown; after a
  // change, how it goes live (the document's state, then the model's tuning) until it is live.
  const drop = document.querySelector("label.drop");
  if (drop) {
    const input = drop.querySelector("input[type=file]");
    const shown = drop.querySelector("span");
    const show = () => { if (input.files.length) shown.textContent = input.files[0].name; };
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach((kind) => drop.addEventListener(kind, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    }));
    ["dragleave", "drop"].forEach((kind) => drop.addEventListener(kind, () => drop.classList.remove("over")));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
  }
  // Reading a document takes a moment: say so, and keep its button from being pressed twice.
  document.querySelectorAll("form.upload").forEach((upload) => {
    upload.addEventListener("submit", (event) => {
      const button = event.submitter || upload.querySelector("button[type=submit]");
      if (button) {
        button.dataset.label = button.textContent;
        setTimeout(() => { button.disabled = true; }, 0);  // after the form has taken its value
        button.textContent = "读取中… · Reading…";
      }
    });
  });
  const going = document.querySelector(".going-live[data-status]");
  if (going) {
    const words = {
      waiting: "已保存，等待构建索引… · Stored; waiting for the index build…",
      building: "正在构建索引（读取、嵌入新案例）… · Building the index (reading, embedding the new cases)…",
      failed: "构建失败，见下方 · The build failed; see below",
      live: "已可搜索 · Live: it can be searched now",
    };
    const badge = document.querySelector(`.live[data-document="${CSS.escape(going.dataset.document)}"]`);
    const labels = JSON.parse(going.dataset.labels || "{}");
    let tries = 0;
    const poll = () => {
      tries += 1;
      fetch(going.dataset.status, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((doc) => {
          if (!doc) return;
          going.textContent = words[doc.live] || doc.live;
          if (badge) { badge.textContent = labels[doc.live] || doc.live; badge.className = `live live-${doc.live}`; }
          if (doc.live === "live") {
            going.classList.add("is-live");
            const live = going.textContent;
            // Then the model learns the corpus as it is now (when tuning is on): say how that goes.
            const tuning = () => fetch(going.dataset.ready).then((r) => r.json()).then((ready) => {
              if (!ready.tuning) return;
              if (ready.tuning === "tuned") {
                going.textContent = `${live} · 模型已学习新语料 · the model has learned the new corpus`;
              } else {
                going.textContent = `${live} · 模型正在学习新语料 · the model is learning the new corpus (${ready.tuning})`;
                if (!ready.tuning.startsWith("failed") && tries < 600) { tries += 1; setTimeout(tuning, 2000); }
              }
            }).catch(() => {});
            return tuning();
          }
          if (doc.live !== "failed" && tries < 300) setTimeout(poll, 1000);
        })
        .catch(() => { if (tries < 300) setTimeout(poll, 2000); });
    };
    poll();
  }
  // Coming back through the history cache: clear the loading state.
  window.addEventListener("pageshow", () => {
    document.body.classList.remove("loading");
    if (status) status.textContent = "";
    const button = form && form.querySelector("button");
    if (button) {
      button.disabled = false;
      if (button.dataset.label) button.textContent = button.dataset.label;
    }
    document.querySelectorAll("form.upload button[data-label]").forEach((used) => {
      used.disabled = false;
      used.textContent = used.dataset.label;
    });
  });
});
