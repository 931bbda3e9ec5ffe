import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OidcSigner } from './oidc-signer.ts';

/** Paths of Google's two certificate documents, mirrored locally. */
export const PEM_CERTS_PATH = '/oauth2/v1/certs';
export const JWK_CERTS_PATH = '/oauth2/v3/certs';

/** A running certificate endpoint. */
export interface CertServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the signer's verification keys over HTTP in Google's formats, with a
 * Cache-Control max-age as Google sends (google-auth-library caches by it).
 */
export async function startCertServer(
  signer: OidcSigner,
  host: string,
  port = 0,
): Promise<CertServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    const body =
      path === PEM_CERTS_PATH
        ? signer.pemCerts()
        : path === JWK_CERTS_PATH
          ? signer.jwks()
          : undefined;
    if (request.method !== 'GET' || body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response
      .writeHead(200, {
        'content-type': 'application/json; charset=UTF-8',
        'cache-control': 'public, max-age=300, must-revalidate, no-transform',
      })
      .end(JSON.stringify(body));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
