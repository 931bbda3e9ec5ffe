// `npm run package`: writes dist/cascade-functions.zip, the source archive
// every Cascade function deploys from (infra/modules/cascade uploads it).
//
// What Cloud Functions' Node.js buildpack does with it: `npm ci` from
// package.json + package-lock.json, then (unless a `gcp-build` script says
// otherwise) `npm run build`; at run time functions-framework loads the module
// named by `main` and serves the target named by the function's entry point
// (build_config.entry_point = `ingest`, `ingestEvent`, `api` or `scheduler`).
// So the archive holds:
//   package.json       ours, with `main` naming the functions-framework entry
//                      (functions/index.ts, which registers every target), no
//                      devDependencies, and an empty `gcp-build`: there is
//                      nothing to build, Node 22.18+ strips TypeScript types
//   package-lock.json  ours minus the dev-only packages, so `npm ci` agrees
//                      with the trimmed package.json
//   functions/, src/   the sources, without tests
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeZip, type ZipEntry } from './zip.ts';

/** Where `npm run package` writes the archive, relative to the repository. */
export const ARCHIVE_PATH = join('dist', 'cascade-functions.zip');

interface PackageJson {
  main?: string;
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

interface LockEntry {
  dev?: boolean;
  [key: string]: unknown;
}

interface PackageLock {
  packages?: Record<string, LockEntry & { devDependencies?: Record<string, string> }>;
  [key: string]: unknown;
}

/** The module functions-framework loads: package.json's `main`, else functions/index.ts. */
export const DEFAULT_MAIN = 'functions/index.ts';

/** package.json as deployed: runtime dependencies only, nothing to run at build time. */
export function deployedPackageJson(source: PackageJson): PackageJson {
  const { devDependencies: _dev, scripts: _scripts, ...rest } = source;
  return { ...rest, main: source.main ?? DEFAULT_MAIN, scripts: { 'gcp-build': '' } };
}

/** package-lock.json as deployed: the dev-only packages removed, so it matches {@link deployedPackageJson}. */
export function deployedLock(source: PackageLock): PackageLock {
  const packages = Object.fromEntries(
    Object.entries(source.packages ?? {})
      .filter(([, entry]) => entry.dev !== true)
      .map(([path, entry]) => {
        if (path !== '') return [path, entry];
        const { devDependencies: _dev, ...root } = entry;
        return [path, root];
      }),
  );
  return { ...source, packages };
}

function isShipped(path: string): boolean {
  return !path.endsWith('.test.ts') && !path.split('/').includes('node_modules');
}

async function listFiles(root: string, folder: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const items = await readdir(dir, { withFileTypes: true });
    for (const item of items) {
      const path = join(dir, item.name);
      if (item.isDirectory()) await walk(path);
      else if (item.isFile()) found.push(relative(root, path).split(sep).join('/'));
    }
  };
  await walk(join(root, folder));
  return found.filter(isShipped).sort();
}

/**
 * Builds the archive's entries from a repository checkout.
 *
 * @throws Error when the entry module named by `main` is not among the shipped files.
 */
export async function archiveEntries(root: string): Promise<ZipEntry[]> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson;
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as PackageLock;
  const functionFiles = await listFiles(root, 'functions');
  const sourceFiles = await listFiles(root, 'src');
  const deployed = deployedPackageJson(pkg);
  const main = String(deployed.main).replace(/^\.\//, '');
  if (!functionFiles.includes(main) && !sourceFiles.includes(main)) {
    throw new Error(`package: the entry module ${main} (package.json "main") does not exist`);
  }
  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  const entries: ZipEntry[] = [
    { name: 'package.json', data: json(deployed) },
    { name: 'package-lock.json', data: json(deployedLock(lock)) },
  ];
  for (const file of [...functionFiles, ...sourceFiles]) {
    entries.push({ name: file, data: await readFile(join(root, file)) });
  }
  return entries;
}

/** Writes the archive for the checkout at `root` to `output`; returns its entry count. */
export async function writeArchive(root: string, output: string): Promise<number> {
  const entries = await archiveEntries(root);
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, encodeZip(entries));
  return entries.length;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const output = join(root, ARCHIVE_PATH);
  const count = await writeArchive(root, output);
  console.log(`wrote ${relative(root, output)} (${count} files)`);
}
