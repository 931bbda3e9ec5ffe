export {
  type CredentialSource,
  clearCredentialCache,
  type GoogleClientOptions,
  googleClientOptions,
  type ResolveCredentialsOptions,
  type ResolvedCredentials,
  resolveCredentials,
} from './resolve-credentials.ts';
export {
  type SecretManagerClientOptions,
  type SecretReader,
  secretManagerReader,
} from './secret-manager.ts';
export { parseServiceAccountKey, type ServiceAccountKey } from './service-account.ts';
