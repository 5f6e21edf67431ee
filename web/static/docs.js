// Starts Swagger UI on /docs; kept in a file because the Content-Security-Policy forbids inline script.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
