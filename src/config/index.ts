export { renderConfigurationDoc, renderEnvVarTable } from './config-doc.ts';
export { ENV_VARS, type EnvVarInfo, envSchema, SECRET_ENV_VARS } from './env-schema.ts';
export { configFromProcess, type Env, type LoadConfigOptions, loadConfig } from './load-config.ts';
export type { ConfigProblem } from './problems.ts';
export { type StreamsDocument, streamsDocumentSchema } from './streams-schema.ts';
export type {
  ApiSettings,
  CascadeConfig,
  CredentialsConfig,
  PushAuthSettings,
  QuarantineRules,
  SchedulerSettings,
  StorageConfig,
  StreamConfig,
} from './types.ts';
