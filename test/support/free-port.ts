import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on the loopback interface. There is a
 * small window between closing the probe and the caller binding the port;
 * callers that spawn a server should be ready to retry on EADDRINUSE.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the probe port'));
      });
    });
  });
}
