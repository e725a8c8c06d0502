/* The embed snippet page: copy the iframe HTML with one click. */
(function () {
  "use strict";
  var code = document.getElementById("snippet-code");
  var button = document.getElementById("snippet-copy");
  var label = button.textContent;
  button.addEventListener("click", function () {
    code.select();
    var done = function () {
      button.textContent = button.getAttribute("data-copied");
      window.setTimeout(function () {
        button.textContent = label;
      }, 2000);
    };
    if (navigator.clipboard) navigator.clipboard.writeText(code.value).then(done, done);
    else {
      document.execCommand("copy");
      done();
    }
  });
})();
