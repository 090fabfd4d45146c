/** Settings: the table (each setting declared once), and defaults < environment < flags resolution. */
export {
  deepFreeze,
  type RawSettings,
  type ResolvedSettings,
  resolveSettings,
  type SettingSource,
  type SettingTable,
  type SettingValues,
  settingOrigin,
  settingsFromEnvironment,
} from './resolve-settings.js';
export {
  choiceSetting,
  integerSetting,
  listSetting,
  pathSetting,
  type RawValue,
  Rejected,
  type Setting,
  type SettingKind,
  switchSetting,
  valueSetting,
} from './setting.js';
export {
  KEK_PROVIDER_KINDS,
  type KekProviderKind,
  LOG_LEVELS,
  type ListenAddress,
  type LogLevel,
  OUTPUT_FORMATS,
  type OutputFormat,
  PACKAGE_VERSION,
  parseListenAddress,
  SETTINGS,
} from './settings.js';
export {
  parseListen,
  type RawServeSettings,
  resolveServeConfig,
  SERVE_DEFAULTS,
  KEK_SETTINGS,
  SERVE_SETTINGS,
  type ServeConfig,
  settingsFromEnv,
  toServeConfig,
} from './serve-config.js';
export { describeSources, policySources } from './policy-sources.js';
