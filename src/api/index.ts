export type { ApiContext } from './api-context.ts';
export { apiErrorResponse, HttpRefusal } from './api-error.ts';
export { type ApiRuntime, createApiRuntime } from './api-runtime.ts';
export { bearerChecker } from './bearer-auth.ts';
export { API_VERSION, createApi } from './create-api.ts';
export { openApiDocument } from './openapi.ts';
export { nodeHandler, readRequest } from './read-request.ts';
export { isoFromMicros, microsFromIso, recordJson } from './record-json.ts';
export {
  type ApiRequest,
  defineRoute,
  MAX_BODY_BYTES,
  type Outcome,
  type Route,
  Router,
} from './router.ts';
