// How a test hands "the same store" to a child process: a small JSON spec
// the child turns into its own client of the same backend (an FsStore on the
// same root, a GcsStore on the same emulator bucket), or — for the in-memory
// store, which lives in one process — an IPC client of the parent's store.
import type { ChildProcess } from 'node:child_process';
import { CascadeError, type ErrorCode } from '../../src/errors.ts';
import type { ObjectStore, PutOptions } from '../../src/storage/index.ts';

export type StoreSpec =
  | { kind: 'fs'; root: string }
  | { kind: 'gcs'; apiEndpoint: string; bucket: string }
  | { kind: 'memory' }
  | { kind: 'ipc' };

/** Opens the store a spec names; imports only that backend (children start faster). */
export async function openStore(spec: StoreSpec): Promise<ObjectStore> {
  switch (spec.kind) {
    case 'fs': {
      const { FsStore } = await import('../../src/storage/fs-store.ts');
      return new FsStore({ root: spec.root });
    }
    case 'gcs': {
      const { GcsStore } = await import('../../src/storage/gcs-store.ts');
      return new GcsStore({ bucket: spec.bucket, apiEndpoint: spec.apiEndpoint });
    }
    case 'memory': {
      const { MemoryStore } = await import('../../src/storage/memory-store.ts');
      return new MemoryStore();
    }
    case 'ipc':
      return new IpcStore();
  }
}

interface RpcRequest {
  type: 'store-rpc';
  id: number;
  op: 'put' | 'head';
  name: string;
  data?: string;
  options?: PutOptions;
}
interface RpcResponse {
  type: 'store-rpc-result';
  id: number;
  value?: unknown;
  error?: { code: ErrorCode; message: string };
}

/**
 * The parent's side of an IPC store: answers a child's put/head calls on
 * `store`. Calls run concurrently, as they would from threads.
 */
export function serveStore(child: ChildProcess, store: ObjectStore): void {
  child.on('message', async (message: RpcRequest) => {
    if (message?.type !== 'store-rpc') return;
    const reply = (body: Omit<RpcResponse, 'type' | 'id'>) => {
      if (child.connected) child.send({ type: 'store-rpc-result', id: message.id, ...body });
    };
    try {
      const value =
        message.op === 'put'
          ? await store.put(
              message.name,
              Buffer.from(message.data ?? '', 'base64'),
              message.options,
            )
          : await store.head(message.name);
      reply({ value });
    } catch (error) {
      const e = error as CascadeError;
      reply({ error: { code: e.code ?? 'INTERNAL', message: e.message } });
    }
  });
}

/** The child's side: only what the workers use (put and head). */
class IpcStore implements ObjectStore {
  readonly kind = 'ipc';
  #next = 0;
  #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

  constructor() {
    process.on('message', (message: RpcResponse) => {
      if (message?.type !== 'store-rpc-result') return;
      const waiter = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      if (!waiter) return;
      if (message.error) waiter.reject(new CascadeError(message.error.code, message.error.message));
      else waiter.resolve(message.value);
    });
  }

  #call(request: Omit<RpcRequest, 'type' | 'id'>): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      process.send?.({ type: 'store-rpc', id, ...request });
    });
  }

  async put(name: string, data: Uint8Array, options?: PutOptions) {
    return (await this.#call({
      op: 'put',
      name,
      data: Buffer.from(data).toString('base64'),
      options,
    })) as {
      generation: number;
    };
  }
  async head(name: string) {
    return (await this.#call({ op: 'head', name })) as Awaited<ReturnType<ObjectStore['head']>>;
  }
  putStream(): never {
    throw new Error('IpcStore: putStream is not served');
  }
  get(): never {
    throw new Error('IpcStore: get is not served');
  }
  getStream(): never {
    throw new Error('IpcStore: getStream is not served');
  }
  list(): never {
    throw new Error('IpcStore: list is not served');
  }
  delete(): never {
    throw new Error('IpcStore: delete is not served');
  }
  async close() {
    process.removeAllListeners('message');
  }
}
