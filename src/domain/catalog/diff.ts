/**
 * What changed between two catalog versions, for the admin's review before publishing
 * and for the audit record. Kinds are matched by code, fields by key, code-table entries
 * by code, so a reordering alone shows as a change of the list order, not as churn.
 */
import { canonicalJson } from './canonical.ts';
import type { CatalogContent, CodeTable, KindDefinition } from './types.ts';

export interface CatalogChange {
  /** e.g. `kinds[11100000000019713D013].fields[plateNumber].maxLength`. */
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export function diffCatalog(a: CatalogContent, b: CatalogContent): CatalogChange[] {
  const out: CatalogChange[] = [];
  diffKeyed(
    'kinds',
    a.kinds,
    b.kinds,
    (k) => k.code,
    (path, x, y) => diffKind(path, x, y, out),
    out,
  );
  const tableNames = [...new Set([...Object.keys(a.codeTables), ...Object.keys(b.codeTables)])].sort();
  for (const name of tableNames) {
    const path = `codeTables[${name}]`;
    const x = Object.hasOwn(a.codeTables, name) ? a.codeTables[name] : undefined;
    const y = Object.hasOwn(b.codeTables, name) ? b.codeTables[name] : undefined;
    if (!x && y) out.push({ path, change: 'added', after: y });
    else if (x && !y) out.push({ path, change: 'removed', before: x });
    else if (x && y) diffTable(path, x, y, out);
  }
  return out;
}

function diffKind(path: string, a: KindDefinition, b: KindDefinition, out: CatalogChange[]): void {
  const props = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((p) => p !== 'fields').sort();
  diffProps(
    path,
    a as unknown as Record<string, unknown>,
    b as unknown as Record<string, unknown>,
    props,
    out,
  );
  diffKeyed(
    `${path}.fields`,
    a.fields,
    b.fields,
    (f) => f.key,
    (fieldPath, x, y) => {
      const fieldProps = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      diffProps(
        fieldPath,
        x as unknown as Record<string, unknown>,
        y as unknown as Record<string, unknown>,
        fieldProps,
        out,
      );
    },
    out,
  );
  const order = (k: KindDefinition) => k.fields.map((f) => f.key);
  if (canonicalJson(order(a)) !== canonicalJson(order(b))) {
    out.push({ path: `${path}.fields`, change: 'changed', before: order(a), after: order(b) });
  }
}

function diffTable(path: string, a: CodeTable, b: CodeTable, out: CatalogChange[]): void {
  diffProps(
    path,
    { name: a.name, source: a.source },
    { name: b.name, source: b.source },
    ['name', 'source'],
    out,
  );
  diffKeyed(
    `${path}.entries`,
    a.entries,
    b.entries,
    (e) => e.code,
    (entryPath, x, y) => diffProps(entryPath, { name: x.name }, { name: y.name }, ['name'], out),
    out,
  );
}

function diffKeyed<T>(
  path: string,
  a: T[],
  b: T[],
  keyOf: (t: T) => string,
  both: (path: string, x: T, y: T) => void,
  out: CatalogChange[],
): void {
  const before = new Map(a.map((t) => [keyOf(t), t]));
  const after = new Map(b.map((t) => [keyOf(t), t]));
  for (const [key, x] of before) {
    const y = after.get(key);
    if (y === undefined) out.push({ path: `${path}[${key}]`, change: 'removed', before: x });
    else both(`${path}[${key}]`, x, y);
  }
  for (const [key, y] of after) {
    if (!before.has(key)) out.push({ path: `${path}[${key}]`, change: 'added', after: y });
  }
}

function diffProps(
  path: string,
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  props: string[],
  out: CatalogChange[],
): void {
  for (const p of props) {
    const x = a[p];
    const y = b[p];
    if (canonicalJson(x) === canonicalJson(y)) continue;
    if (x === undefined) out.push({ path: `${path}.${p}`, change: 'added', after: y });
    else if (y === undefined) out.push({ path: `${path}.${p}`, change: 'removed', before: x });
    else out.push({ path: `${path}.${p}`, change: 'changed', before: x, after: y });
  }
}
