// Deployment settings of the web app, read before it starts. The local
// platform serves the API on the same origin and signs in with passwords, so
// nothing is set here. A cloud deployment (the web app on https://<web_domain>,
// with the API under /api of the same origin) has this file written by
// Terraform (terraform/modules/tenant/web.tf) with the Identity Platform
// sign-in settings, e.g.
//   window.B2B_CONFIG = { apiBase: "/api", auth: { mode: "identity-platform", apiKey: "...",
//     authDomain: "PROJECT.firebaseapp.com", projectId: "PROJECT", providers: ["password"] } };
window.B2B_CONFIG = window.B2B_CONFIG || {};
