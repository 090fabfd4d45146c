/** HTTPS listening shared by every Shroud server: TLS from a TlsSource, in-flight tracking, drain. */
export {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type HttpsListenOptions,
  listenHttps,
  type RunningHttpsServer,
} from './https-server.js';
