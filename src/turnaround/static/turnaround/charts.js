// Render every Vega-Lite chart on the page, and again after htmx swaps a fragment in.
(function () {
  function render(root) {
    root.querySelectorAll("[data-vega-spec]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-vega-spec"));
      if (!source || typeof vegaEmbed === "undefined") return;
      var spec = JSON.parse(source.textContent);
      if (typeof spec === "string") spec = JSON.parse(spec);
      // vega-embed writes its own role and label on the container: the page's own words stay
      var role = el.getAttribute("role"), label = el.getAttribute("aria-label");
      vegaEmbed(el, spec, { actions: false, renderer: "svg" }).then(function (result) {
        if (role) el.setAttribute("role", role);
        if (label) el.setAttribute("aria-label", label);
        el.removeAttribute("aria-roledescription");
        var svg = el.querySelector("svg");
        if (svg) { svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false"); }
      }).catch(function () {
        el.textContent = "The chart could not be drawn; the table has the same figures.";
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.body.addEventListener("htmx:afterSwap", function (evt) { render(evt.detail.target.parentNode || document); });
})();
