// The journey editor (products/audience_views.persona_journey). Without JavaScript, "Add a stage" and the
// ↑/↓ buttons post the form back and the page returns with the rows changed (nothing saved yet); with it,
// the same happens in place: a row is added from the <template> of an empty row (the formset's
// TOTAL_FORMS counts it), and a move exchanges the two rows' values, so every field keeps its name and
// the order posted is the order shown. Focus follows the moved row.
(function () {
  "use strict";

  function rowsOf(list) {
    return Array.prototype.filter.call(list.children, function (el) {
      return el.hasAttribute("data-row");
    });
  }

  function fieldsOf(row) {
    return Array.prototype.slice.call(row.querySelectorAll("input[name], textarea[name], select[name]"));
  }

  function exchange(first, second) {
    var a = fieldsOf(first);
    var b = fieldsOf(second);
    for (var i = 0; i < a.length && i < b.length; i++) {
      if (a[i].type === "checkbox") {
        var checked = a[i].checked;
        a[i].checked = b[i].checked;
        b[i].checked = checked;
      } else {
        var value = a[i].value;
        a[i].value = b[i].value;
        b[i].value = value;
      }
    }
  }

  function move(button) {
    var row = button.closest("[data-row]");
    if (!row) {
      return false;
    }
    var rows = rowsOf(row.parentNode);
    var index = rows.indexOf(row);
    var other = rows[button.getAttribute("data-move") === "up" ? index - 1 : index + 1];
    if (other) {
      exchange(row, other);
      var twin = other.querySelector('[data-move="' + button.getAttribute("data-move") + '"]');
      if (twin) {
        twin.focus();
      }
    }
    return true;
  }

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
    var filled = rowsOf(list).filter(function (row) {
      var box = row.querySelector('input[type="checkbox"]');
      return !(box && box.checked);
    }).length;
    if (maximum && filled >= (parseInt(maximum.value, 10) || 12)) {
      return false; // at the limit: the form posts, and the server says so
    }
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var holder = document.createElement("tbody");
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
    var mover = event.target.closest("[data-move]");
    if (mover && mover.closest(".journey-form") && move(mover)) {
      event.preventDefault();
      return;
    }
    var adder = event.target.closest("[data-add-row]");
    if (adder && adder.closest(".journey-form") && addRow(adder)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector(".journey-form[data-focus]");
    var target = form && document.getElementById(form.getAttribute("data-focus"));
    if (target) {
      target.focus();
    }
  });
})();
