// Deployment settings of the web app, read before it starts. The local
// platform serves the API on the same origin, so nothing is set here; a
// cloud deployment (the web app on https://<web_domain>, its own origin)
// overwrites this file in the SPA bucket with the API's URL (cloudbuild.yaml),
// e.g. window.B2B_CONFIG = { apiBase: "https://api-HASH-REGION.a.run.app/api" };
window.B2B_CONFIG = window.B2B_CONFIG || {};
