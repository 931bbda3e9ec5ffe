// Reads a Terraform module's .tf files as JSON (hcl2json: blocks become
// arrays of bodies, expressions become "${…}" strings), merged across files,
// so tests can assert on the configuration without running Terraform.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** A block body as hcl2json renders it. */
export type HclBody = Record<string, unknown>;

/** One resource: its type, name and (first) body. */
export interface HclResource {
  type: string;
  name: string;
  body: HclBody;
  file: string;
}

/** The parts of a module the tests look at. */
export interface HclModule {
  resources: HclResource[];
  locals: Record<string, unknown>;
  variables: Record<string, HclBody>;
  outputs: Record<string, HclBody>;
  /** Module calls by name. */
  modules: Record<string, HclBody>;
}

/** Parses every .tf file directly inside `folder`. */
export async function readModule(folder: string): Promise<HclModule> {
  const files = (await readdir(folder)).filter((f) => f.endsWith('.tf')).sort();
  const module: HclModule = { resources: [], locals: {}, variables: {}, outputs: {}, modules: {} };
  for (const file of files) {
    const json = (await parse(file, await readFile(join(folder, file), 'utf8'))) as {
      resource?: Record<string, Record<string, HclBody[]>>;
      locals?: Record<string, unknown>[];
      variable?: Record<string, HclBody[]>;
      output?: Record<string, HclBody[]>;
      module?: Record<string, HclBody[]>;
    };
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, bodies] of Object.entries(byName)) {
        for (const body of bodies) module.resources.push({ type, name, body, file });
      }
    }
    for (const block of json.locals ?? []) Object.assign(module.locals, block);
    for (const [name, bodies] of Object.entries(json.variable ?? {})) {
      module.variables[name] = bodies[0] ?? {};
    }
    for (const [name, bodies] of Object.entries(json.output ?? {})) {
      module.outputs[name] = bodies[0] ?? {};
    }
    for (const [name, bodies] of Object.entries(json.module ?? {})) {
      module.modules[name] = bodies[0] ?? {};
    }
  }
  return module;
}

/** The first body of a nested block (`service_config`, `push_config`, …), if present. */
export function block(body: HclBody | undefined, name: string): HclBody | undefined {
  const value = body?.[name];
  return Array.isArray(value) ? (value[0] as HclBody | undefined) : undefined;
}

/**
 * Bodies of a nested block, static or `dynamic` (the dynamic block's
 * `content`), so a check sees the block however it is written.
 */
export function blocks(body: HclBody | undefined, name: string): HclBody[] {
  const found: HclBody[] = [];
  const value = body?.[name];
  if (Array.isArray(value)) found.push(...(value as HclBody[]));
  const dynamic = body?.dynamic as Record<string, HclBody[]> | undefined;
  for (const generator of dynamic?.[name] ?? []) {
    const content = generator.content;
    if (Array.isArray(content)) found.push(...(content as HclBody[]));
  }
  return found;
}

/** `${local.name}` → name; anything else → undefined. */
export function localReference(value: unknown): string | undefined {
  return typeof value === 'string' ? /^\$\{local\.([A-Za-z0-9_]+)\}$/.exec(value)?.[1] : undefined;
}

/** The resource (type.name) an expression's first reference points to, e.g. google_service_account.push. */
export function resourceReference(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^\$\{(google_[a-z0-9_]+\.[a-z0-9_]+)/.exec(value)?.[1];
}
