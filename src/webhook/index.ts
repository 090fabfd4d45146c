/** The admission webhook service: `/validate`, `/mutate` and health endpoints over HTTPS. */
export {
  type AdmissionEndpoint,
  type AdmissionHandler,
  type AdmissionObservation,
  type AdmissionObserver,
  admissionRoute,
} from './admission-route.js';
export { createWebhookApp, DEFAULT_BODY_LIMIT, type WebhookAppOptions } from './webhook-app.js';
export { type RunningWebhookServer, startWebhookServer, type WebhookServerOptions } from './webhook-server.js';
