// The messaging form's "Add a key message" / "Add an objection": without JavaScript the button posts the
// form back and the page returns with one more row; with it, the row is added in place from the
// <template> of an empty row, the formset's TOTAL_FORMS counts it, and the new row's first box has focus.
(function () {
  "use strict";

  function addRow(button) {
    var prefix = button.getAttribute("data-add-row");
    var template = document.getElementById(prefix + "-empty");
    var list = document.querySelector('[data-rows="' + prefix + '"]');
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var maximum = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    if (!template || !list || !total) {
      return false;
    }
    var index = parseInt(total.value, 10) || 0;
    if (maximum && index >= (parseInt(maximum.value, 10) || 1000)) {
      return false; // at the limit: the form posts, and the server says so
    }
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    list.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("input[type=text], textarea");
    if (first) {
      first.focus();
    }
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (button && addRow(button)) {
      event.preventDefault();
    }
  });
})();
