// Progressive enhancement only: everything works without this file. It adds a live character
// count under each text box that has a limit, so a long answer is trimmed before it is refused.
"use strict";
document.querySelectorAll("textarea[maxlength]").forEach((box) => {
  const limit = Number(box.getAttribute("maxlength"));
  const counter = document.createElement("p");
  counter.className = "counter";
  counter.setAttribute("aria-live", "polite");
  const update = () => { counter.textContent = `${box.value.length} / ${limit} characters`; };
  box.insertAdjacentElement("afterend", counter);
  box.addEventListener("input", update);
  update();
});
