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
      if (button) { button.disabled = true; button.textContent = "搜索中…"; }
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
      if (count) {
        count.textContent = picks.length ? `已选 ${picks.length} 个做法 · ${picks.length} chosen`
          : figures ? "未选：取本表引用的做法 · none ticked: the cases cited"
            : query ? "未选：取前 5 个做法 · none ticked: the best 5"
              : "勾选做法以生成简报 · tick practices for a brief";
      }
      brief.querySelectorAll("a.download").forEach((link) => link.remove());
      if (picks.length || query || figures) {
        ["docx", "md"].forEach((format) => {
          const params = new URLSearchParams();
          picks.forEach((id) => params.append("id", id));
          if (query) params.append("q", query);
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
  // Coming back through the history cache: clear the loading state.
  window.addEventListener("pageshow", () => {
    document.body.classList.remove("loading");
    if (status) status.textContent = "";
    const button = form && form.querySelector("button");
    if (button) { button.disabled = false; button.textContent = "搜索 Search"; }
  });
});
