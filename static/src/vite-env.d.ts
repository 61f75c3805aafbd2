/// <reference types="vite/client" />

declare const __APP_VERSION__: string;

/** Deployment settings from public/config.js (see there). */
interface Window {
  B2B_CONFIG?: { apiBase?: string };
}
