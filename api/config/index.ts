export { loadConfig, mediaConfig, resetLinkConfig, ConfigError } from './load';
export type { Config, Environment, RateLimitRule } from './load';
export { settings } from './schema';
export type { SettingSpec, SettingName } from './schema';
