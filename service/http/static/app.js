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
  // Coming back through the history cache: clear the loading state.
  window.addEventListener("pageshow", () => {
    document.body.classList.remove("loading");
    if (status) status.textContent = "";
    const button = form && form.querySelector("button");
    if (button) { button.disabled = false; button.textContent = "搜索 Search"; }
  });
});
