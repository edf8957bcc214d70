// Evidence capture: filter the indicator checkboxes as the reviewer types (the whole list shows
// without JavaScript), and say how many match.
(function () {
  function filter(input) {
    var q = input.value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll("[data-indicator-option]").forEach(function (el) {
      var match = !q || el.getAttribute("data-indicator-option").indexOf(q) !== -1;
      el.hidden = !match;
      if (match) shown += 1;
    });
    document.querySelectorAll("[data-practice-group]").forEach(function (group) {
      group.hidden = !group.querySelector("[data-indicator-option]:not([hidden])");
    });
    var count = document.getElementById("indicator-search-count");
    if (count) count.textContent = q ? shown + " indicators match" : "";
  }
  document.addEventListener("input", function (e) {
    if (e.target && e.target.id === "indicator-search") filter(e.target);
  });
})();
