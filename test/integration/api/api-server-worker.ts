// The API on a plain node:http server over a filesystem store, run in a child
// process with a small heap by the NDJSON test: if a response were buffered
// instead of streamed, this process would run out of memory.
import { createServer } from 'node:http';
import { createApi, nodeHandler } from '../../../src/api/index.ts';
import { JobStore, ReplayService, StreamCatalog } from '../../../src/replay/index.ts';
import { FsStore } from '../../../src/storage/index.ts';
import { testStream } from '../../unit/replay/fixture.ts';

const { root, partitions } = JSON.parse(process.argv[2] ?? '{}') as {
  root: string;
  partitions: number;
};
const store = new FsStore({ root });
const stream = testStream('orders', partitions);
const catalog = new StreamCatalog({ store, streams: [stream] });
const router = createApi({
  catalog,
  replays: new ReplayService({ catalog, jobs: new JobStore({ store, prefix: stream.prefix }) }),
  subscriptions: [],
  clock: Date.now,
});
let maxHeap = 0;
const sampler = setInterval(() => {
  maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
}, 20);
const server = createServer(nodeHandler(router));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`,
  );
});
process.stdin.on('data', () => {
  clearInterval(sampler);
  process.stdout.write(`${JSON.stringify({ maxHeap })}\n`);
  server.close();
  void store.close();
  process.exit(0);
});
