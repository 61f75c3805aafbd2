// Deployment settings of the web app, read before it starts. The local
// platform serves the API on the same origin, so nothing is set here; a
// cloud deployment overwrites this file in the SPA bucket with the API's
// URL, e.g. window.B2B_CONFIG = { apiBase: "https://REGION-PROJECT.cloudfunctions.net/api/api" };
window.B2B_CONFIG = window.B2B_CONFIG || {};
