import { CascadeError } from '../../src/errors.ts';
import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ObjectStore,
  PutOptions,
} from '../../src/storage/index.ts';

/** Counts every operation passed to a real store, by kind and object name. */
export class CountingStore implements ObjectStore {
  readonly kind: string;
  readonly inner: ObjectStore;
  ops = { put: 0, putStream: 0, get: 0, getStream: 0, head: 0, list: 0, delete: 0 };
  names: string[] = [];

  constructor(inner: ObjectStore) {
    this.inner = inner;
    this.kind = inner.kind;
  }

  reset(): void {
    for (const key of Object.keys(this.ops) as (keyof typeof this.ops)[]) this.ops[key] = 0;
    this.names = [];
  }

  get reads(): number {
    return this.ops.get + this.ops.getStream + this.ops.head + this.ops.list;
  }

  put(name: string, data: Uint8Array, options?: PutOptions) {
    this.#count('put', name);
    return this.inner.put(name, data, options);
  }
  putStream(name: string, source: () => AsyncIterable<Uint8Array>, options?: PutOptions) {
    this.#count('putStream', name);
    return this.inner.putStream(name, source, options);
  }
  get(name: string, options?: GetOptions) {
    this.#count('get', name);
    return this.inner.get(name, options);
  }
  getStream(name: string, options?: GetOptions) {
    this.#count('getStream', name);
    return this.inner.getStream(name, options);
  }
  head(name: string) {
    this.#count('head', name);
    return this.inner.head(name);
  }
  list(options?: ListOptions) {
    this.#count('list', options?.prefix ?? '');
    return this.inner.list(options);
  }
  delete(name: string, options?: DeleteOptions) {
    this.#count('delete', name);
    return this.inner.delete(name, options);
  }
  close() {
    return this.inner.close();
  }

  #count(op: keyof typeof this.ops, name: string) {
    this.ops[op]++;
    this.names.push(`${op} ${name}`);
  }
}

/**
 * Simulates a process killed mid-way: after `mutations` writes or deletes
 * have gone through, every further operation throws (the write in progress
 * is either fully done or not done at all, as with a real kill).
 */
export class DyingStore extends CountingStore {
  #budget: number;

  constructor(inner: ObjectStore, mutations: number) {
    super(inner);
    this.#budget = mutations;
  }

  get dead(): boolean {
    return this.#budget < 0;
  }

  #spend(): void {
    if (this.#budget-- <= 0) {
      this.#budget = -1;
      throw new CascadeError('UNAVAILABLE', 'simulated kill');
    }
  }
  #check(): void {
    if (this.#budget < 0) throw new CascadeError('UNAVAILABLE', 'simulated kill (dead)');
  }

  override put(name: string, data: Uint8Array, options?: PutOptions) {
    try {
      this.#spend();
    } catch (error) {
      return Promise.reject(error);
    }
    return super.put(name, data, options);
  }
  override putStream(name: string, source: () => AsyncIterable<Uint8Array>, options?: PutOptions) {
    try {
      this.#spend();
    } catch (error) {
      return Promise.reject(error);
    }
    return super.putStream(name, source, options);
  }
  override delete(name: string, options?: DeleteOptions) {
    try {
      this.#spend();
    } catch (error) {
      return Promise.reject(error);
    }
    return super.delete(name, options);
  }
  override get(name: string, options?: GetOptions) {
    try {
      this.#check();
    } catch (error) {
      return Promise.reject(error);
    }
    return super.get(name, options);
  }
}
