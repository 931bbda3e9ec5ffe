import type {
  ServerUnaryCall,
  sendUnaryData,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '../../observability/index.ts';
import { toGrpcStatus } from './errors.ts';

/** A unary RPC body: takes the decoded request, returns (or resolves to) the response. */
export type UnaryHandler<Req> = (request: Req) => unknown;

/**
 * Adapts plain request → response functions to grpc-js handlers, turning any
 * thrown error into the gRPC status it carries (see `emulatorError`).
 */
export function unaryHandlers(
  handlers: Record<string, UnaryHandler<never>>,
  logger: Logger,
): UntypedServiceImplementation {
  const out: Record<string, UntypedHandleCall> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    const call = (unary: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const settle = (error: unknown): void => {
        const status = toGrpcStatus(error);
        logger.debug({ method, code: status.code, reason: status.details }, 'rpc refused');
        callback(status);
      };
      try {
        Promise.resolve((handler as UnaryHandler<unknown>)(unary.request)).then(
          (response) => callback(null, response),
          settle,
        );
      } catch (error) {
        settle(error);
      }
    };
    out[method] = call;
  }
  return out;
}

/** Converts a FieldMask path (`message_retention_duration`) to its field (`messageRetentionDuration`). */
export function fieldOfPath(path: string): string {
  const top = path.split('.')[0] ?? '';
  return top.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
