/// <reference types="vite/client" />

declare const __APP_VERSION__: string;

/** Deployment settings from public/config.js (see there). */
interface Window {
  B2B_CONFIG?: {
    apiBase?: string;
    /** Identity Platform sign-in (a cloud deployment; Terraform writes it). */
    auth?: { mode?: string; apiKey?: string; authDomain?: string; projectId?: string; providers?: string[] };
  };
}
