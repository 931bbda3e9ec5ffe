import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** The two Pub/Sub services the emulator serves. */
export interface PubSubServices {
  publisher: ServiceDefinition;
  subscriber: ServiceDefinition;
}

// The protos come from the installed client packages rather than a copy, so
// the emulator speaks exactly the API version the official client was built
// against: pubsub.proto from @google-cloud/pubsub, its google/api and
// google/protobuf imports from google-gax.
function protoRoots(): { pubsub: string; common: string } {
  const require = createRequire(import.meta.url);
  // Both packages' main entries live in build/src/, beside build/protos/.
  const pubsubMain = require.resolve('@google-cloud/pubsub');
  const gaxMain = require.resolve('google-gax');
  return {
    pubsub: join(dirname(dirname(pubsubMain)), 'protos'),
    common: join(dirname(dirname(gaxMain)), 'protos'),
  };
}

/** Loads google.pubsub.v1.Publisher and Subscriber from the installed protos. */
export function loadPubSubServices(): PubSubServices {
  const roots = protoRoots();
  const definition = loadSync('google/pubsub/v1/pubsub.proto', {
    includeDirs: [roots.pubsub, roots.common],
    // camelCase fields, int64 as strings, enums by name, oneof names set, and
    // no defaults so the emulator can tell an absent field from a zero one.
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const service = (name: string): ServiceDefinition => {
    const found = definition[`google.pubsub.v1.${name}`];
    // Message types carry a `format` field; services do not.
    if (found === undefined || 'format' in found) {
      throw new Error(`google.pubsub.v1.${name} is missing from the installed protos`);
    }
    return found as ServiceDefinition;
  };
  return { publisher: service('Publisher'), subscriber: service('Subscriber') };
}
