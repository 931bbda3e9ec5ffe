// A small Secret Manager for tests: a real gRPC server on 127.0.0.1 that
// implements AccessSecretVersion from the service definition shipped inside
// @google-cloud/secret-manager (loaded with @grpc/proto-loader), so the
// official client talks to it exactly as it talks to Google, over an
// insecure channel. Other methods answer UNIMPLEMENTED.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const secretManagerProtos = join(
  dirname(require.resolve('@google-cloud/secret-manager/package.json')),
  'build/protos',
);
// google-gax exports no package.json; its entry is build/src/index.js.
const gaxProtos = join(dirname(require.resolve('google-gax')), '../protos');

export interface SecretManagerServer {
  /** Client options that point the official client at this server. */
  readonly clientOptions: { apiEndpoint: string; port: number; sslCreds: grpc.ChannelCredentials };
  /** Version names asked for, in order. */
  readonly requests: string[];
  /** Sets a version's payload (`.../versions/N`; `latest` resolves to the highest N). */
  setSecret(versionName: string, payload: Uint8Array | string): void;
  stop(): Promise<void>;
}

interface AccessCall {
  request: { name: string };
}

/** Starts the server on a free loopback port. */
export async function startSecretManagerServer(): Promise<SecretManagerServer> {
  const definition = protoLoader.loadSync('google/cloud/secretmanager/v1/service.proto', {
    includeDirs: [secretManagerProtos, gaxProtos],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: {
      cloud: { secretmanager: { v1: { SecretManagerService: grpc.ServiceClientConstructor } } };
    };
  };
  const service = loaded.google.cloud.secretmanager.v1.SecretManagerService.service;
  const secrets = new Map<string, Buffer>();
  const requests: string[] = [];

  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(service)) {
    implementation[method] = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not implemented here` });
  }
  implementation.AccessSecretVersion = (
    call: AccessCall,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    const name = call.request.name;
    requests.push(name);
    let resolved = name;
    if (name.endsWith('/versions/latest')) {
      const base = name.slice(0, -'latest'.length);
      const versions = [...secrets.keys()]
        .filter((key) => key.startsWith(base))
        .map((key) => Number(key.slice(base.length)))
        .sort((a, b) => b - a);
      if (versions.length > 0) resolved = `${base}${versions[0]}`;
    }
    const data = secrets.get(resolved);
    if (data === undefined) {
      callback({ code: grpc.status.NOT_FOUND, details: `Secret Version [${name}] not found.` });
      return;
    }
    callback(null, { name: resolved, payload: { data } });
  };

  const server = new grpc.Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    clientOptions: { apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure() },
    requests,
    setSecret(versionName, payload) {
      secrets.set(versionName, Buffer.from(payload));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
