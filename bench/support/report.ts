// Shared benchmark output (see shared/BENCHMARKS.md): every benchmark prints a
// table AND writes the same rows to bench/results/<name>.json in one shape.
//
// @example
//   import { type BenchRow, writeReport } from './support/report.ts';
//   const rows: BenchRow[] = [{ case: 'fs/put-1KiB', metric: 'ops_per_s', value: 950, baseline: 4100, unit: 'ops/s' }];
//   await writeReport('store', rows); // prints the table, writes bench/results/store.json
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  /** `<backend>/<shape>`, backend `fs`, `gcs` or `gcs+40ms`. */
  case: string;
  /** One of the metric names BENCHMARKS.md fixes (e.g. `ops_per_s`), or a new one. */
  metric: string;
  value: number;
  /** Measured in the same run by the benchmark itself. */
  baseline?: number;
  /** value / baseline; filled in when a baseline is given and ratio is not. */
  ratio?: number;
  unit: string;
}

export interface BenchReport {
  name: string;
  startedAt: string;
  machine: { cpus: number; node: string };
  rows: BenchRow[];
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where reports go: bench/results/ (git-ignored). */
export const resultsDir = join(repoRoot, 'bench', 'results');

/** Builds the report object (ratios filled in, numbers rounded for reading). */
export function buildReport(
  name: string,
  rows: BenchRow[],
  startedAt = new Date(performance.timeOrigin),
): BenchReport {
  return {
    name,
    startedAt: startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    machine: { cpus: availableParallelism(), node: process.version },
    rows: rows.map((row) => {
      const ratio = row.ratio ?? (row.baseline ? row.value / row.baseline : undefined);
      return {
        case: row.case,
        metric: row.metric,
        value: round(row.value),
        ...(row.baseline !== undefined ? { baseline: round(row.baseline) } : {}),
        ...(ratio !== undefined ? { ratio: round(ratio) } : {}),
        unit: row.unit,
      };
    }),
  };
}

/** A fixed-width text table of the rows. */
export function formatTable(rows: BenchRow[]): string {
  const header = ['case', 'metric', 'value', 'baseline', 'ratio', 'unit'];
  const body = rows.map((row) => {
    const ratio = row.ratio ?? (row.baseline ? row.value / row.baseline : undefined);
    return [
      row.case,
      row.metric,
      show(row.value),
      row.baseline === undefined ? '' : show(row.baseline),
      ratio === undefined ? '' : ratio.toFixed(ratio < 0.1 ? 4 : 2),
      row.unit,
    ];
  });
  const widths = header.map((_, i) =>
    Math.max(header[i]!.length, ...body.map((r) => r[i]!.length)),
  );
  const numeric = new Set([2, 3, 4]);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/**
 * Prints the table and writes bench/results/<name>.json. Returns the path.
 * `startedAt` defaults to when the process started.
 */
export async function writeReport(
  name: string,
  rows: BenchRow[],
  options: { startedAt?: Date; dir?: string; print?: (text: string) => void } = {},
): Promise<string> {
  const report = buildReport(name, rows, options.startedAt);
  (options.print ?? console.log)(`\n${name}\n${formatTable(report.rows)}\n`);
  const dir = options.dir ?? resultsDir;
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  (options.print ?? console.log)(`wrote ${path}`);
  return path;
}

function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 1 : magnitude >= 1 ? 3 : 5;
  return Number(value.toFixed(digits));
}

function show(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(magnitude >= 0.01 || value === 0 ? 3 : 5);
}
