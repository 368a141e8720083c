/**
 * Check characters of the identifiers a road-transport record carries:
 * - ISO 7064 MOD 11-2, used by GB 11643 citizen ID numbers (公民身份号码);
 * - GB 32100 unified social credit codes (统一社会信用代码, MOD 31), with the GB 11714
 *   organisation code (组织机构代码, MOD 11) embedded in characters 9–17;
 * - ISO 7064 MOD 37,36, used by GB/T 36904 e-certificate identifiers;
 * - GA 36 plate numbers (no check character, but a fixed shape).
 *
 * Validators return a reason instead of throwing: the standard checks report every
 * problem of a record, so a bad identifier is data, not an exception.
 */
import { dateInTimeZone, isRealDate } from './dates.ts';

// ── ISO 7064 MOD 11-2 ─────────────────────────────────────────────────────────────────

/**
 * ISO 7064 MOD 11-2 check character of a digit string ('0'–'9' or 'X'). The recursive
 * form p ← 2·(p + digit) mod 11 equals GB 11643's weights 2^(n−i) mod 11 without a
 * weight table, and works for any length.
 */
export function mod112CheckChar(digits: string): string {
  if (!/^\d*$/.test(digits)) throw new RangeError('MOD 11-2 input must be digits');
  let p = 0;
  for (let i = 0; i < digits.length; i++) p = ((p + (digits.charCodeAt(i) - 48)) * 2) % 11;
  const check = (12 - p) % 11;
  return check === 10 ? 'X' : String(check);
}

// ── GB 11643 citizen ID ───────────────────────────────────────────────────────────────

export type CitizenIdFailure = 'LENGTH' | 'CHARSET' | 'CHECK_DIGIT' | 'BIRTH_DATE' | 'REGION';

export type CitizenIdResult =
  | { ok: true; birthDate: string; gender: '1' | '2' }
  | { ok: false; reason: CitizenIdFailure };

// Province-level prefixes of GB/T 2260 (plus 71 台湾, 81 香港, 82 澳门, which GB 11643
// reserves). Only the first two digits are checked: counties are renamed and merged, and
// an ID number keeps the code of the county that issued it, so the full six digits of a
// real ID often name a division that no longer exists.
const ID_PROVINCE_PREFIXES = new Set(
  '11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82'.split(
    ' ',
  ),
);

/**
 * GB 11643-1999: 6-digit address code, 8-digit birth date, 3-digit sequence (odd for men),
 * MOD 11-2 check character ('X' for ten; upper case only, as the standard writes it).
 * The check digit is tested before the birth date and region, so a typo is reported as
 * such rather than as an odd-looking date. `today` (Beijing date) bounds the birth date.
 */
export function validateCitizenId(id: unknown, opts: { today?: string } = {}): CitizenIdResult {
  if (typeof id !== 'string' || id.length !== 18) return { ok: false, reason: 'LENGTH' };
  if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, reason: 'CHARSET' };
  if (mod112CheckChar(id.slice(0, 17)) !== id[17]) return { ok: false, reason: 'CHECK_DIGIT' };
  const birthDate = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  const today = opts.today ?? dateInTimeZone(new Date());
  if (!isRealDate(birthDate) || birthDate > today || birthDate < '1800-01-01') {
    return { ok: false, reason: 'BIRTH_DATE' };
  }
  if (!ID_PROVINCE_PREFIXES.has(id.slice(0, 2))) return { ok: false, reason: 'REGION' };
  const gender = Number(id[16]) % 2 === 1 ? '1' : '2';
  return { ok: true, birthDate, gender };
}

// ── GB 32100 unified social credit code, GB 11714 organisation code ───────────────────

/** GB 32100 code alphabet: digits and capitals without I, O, S, V, Z; value = index. */
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
// 3^i mod 31 for positions 1–17, as tabulated in GB 32100.
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const USCC_SHAPE = /^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$/;

/** The 18th character of a USCC from its first 17. */
export function computeUsccCheckChar(body17: string): string {
  if (body17.length !== 17) throw new RangeError('USCC body must be 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_ALPHABET.indexOf(body17[i] ?? '');
    if (v < 0) throw new RangeError('USCC body has a character outside GB 32100');
    sum += v * (USCC_WEIGHTS[i] ?? 0);
  }
  return USCC_ALPHABET[(31 - (sum % 31)) % 31] ?? '';
}

const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/**
 * GB 11714-1997 organisation code check character from the 8-character body:
 * C9 = 11 − (Σ value·weight mod 11), with 10 → 'X' and 11 → '0'; letters count A=10 … Z=35.
 */
export function computeOrganizationCodeCheckChar(body8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(body8)) throw new RangeError('organisation code body must be 8 of 0-9 A-Z');
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number.parseInt(body8[i] ?? '0', 36) * (ORG_WEIGHTS[i] ?? 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

export type UsccFailure = 'LENGTH' | 'CHARSET' | 'CHECK_CHAR' | 'ORG_CODE_CHECK';

export type UsccResult = { ok: true } | { ok: false; reason: UsccFailure };

/**
 * GB 32100-2015. Besides the MOD 31 check character, characters 9–17 are the GB 11714
 * organisation code and carry their own check: enforced, because every real code tried
 * passes it (11100000000019713D, 11330105002500287C, 11430000006122244L,
 * 11100000MB03271699, 91230184MA1BUFLT44, 92141127MA0KD1Y64A …) while it catches
 * fabricated codes that the MOD 31 check alone lets through. Known exception outside our
 * control: some codes issued in Xiamen before 2016 fail even the MOD 31 check.
 */
export function validateUscc(code: unknown): UsccResult {
  if (typeof code !== 'string' || code.length !== 18) return { ok: false, reason: 'LENGTH' };
  if (!USCC_SHAPE.test(code)) return { ok: false, reason: 'CHARSET' };
  if (computeUsccCheckChar(code.slice(0, 17)) !== code[17]) return { ok: false, reason: 'CHECK_CHAR' };
  if (computeOrganizationCodeCheckChar(code.slice(8, 16)) !== code[16]) {
    return { ok: false, reason: 'ORG_CODE_CHECK' };
  }
  return { ok: true };
}

// ── ISO 7064 MOD 37,36 ────────────────────────────────────────────────────────────────

export const MOD3736_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** ISO/IEC 7064 MOD 37,36 (hybrid system) check character over 0-9 A-Z, as in GB/T 36904. */
export function mod3736CheckChar(s: string): string {
  let p = 36;
  for (let i = 0; i < s.length; i++) {
    const v = MOD3736_ALPHABET.indexOf(s[i] ?? '');
    if (v < 0) throw new RangeError('MOD 37,36 input must be 0-9 A-Z');
    p = (p + v) % 36;
    if (p === 0) p = 36;
    p = (2 * p) % 37;
  }
  return MOD3736_ALPHABET[(37 - p) % 36] ?? '';
}

// ── GA 36 plate numbers ───────────────────────────────────────────────────────────────

/** Province abbreviations that open a civilian plate (GA 36). */
export const PLATE_PROVINCES = '京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新';
/** Letters used on plates: I and O never appear (they read as 1 and 0). */
const L = 'A-HJ-NP-Z';
const ALNUM = `[0-9${L}]`;
const PROVINCE_CHARS = new Set(PLATE_PROVINCES);
const AUTHORITY_LETTER = new RegExp(`^[${L}]$`);

// Small new-energy plates begin with D (pure electric) or F (other new energy); large ones
// end with it. GA 36-2018 names only D and F; a later opening of more letters would be a
// change to this table.
const NEW_ENERGY_LETTERS = 'DF';

export type PlateCategory = 'ordinary' | 'newEnergySmall' | 'newEnergyLarge' | 'trailer' | 'coach';

export type PlateFailure = 'LENGTH' | 'PROVINCE' | 'AUTHORITY' | 'SERIAL';

export type PlateResult = { ok: true; category: PlateCategory } | { ok: false; reason: PlateFailure };

// The serial after province and authority, by category. Order matters: a 6-character
// serial is only valid as a new-energy plate.
const PLATE_SERIALS: ReadonlyArray<[PlateCategory, RegExp]> = [
  ['ordinary', new RegExp(`^${ALNUM}{5}$`)],
  ['newEnergySmall', new RegExp(`^[${NEW_ENERGY_LETTERS}]${ALNUM}\\d{4}$`)],
  ['newEnergyLarge', new RegExp(`^\\d{5}[${NEW_ENERGY_LETTERS}]$`)],
  // 挂 semi-trailers and trailers (freight), 学 driving-school coaches.
  ['trailer', new RegExp(`^${ALNUM}{4}挂$`)],
  ['coach', new RegExp(`^${ALNUM}{4}学$`)],
];

/**
 * A civilian plate number as written on a road transport certificate: province
 * character, issuing-authority letter, then the serial — 5 characters (ordinary),
 * 6 (new energy), or 4 plus 挂/学. No separator dot, no lower case.
 */
export function validatePlateNumber(plate: unknown): PlateResult {
  if (typeof plate !== 'string') return { ok: false, reason: 'LENGTH' };
  const chars = [...plate];
  if (chars.length < 7 || chars.length > 8) return { ok: false, reason: 'LENGTH' };
  if (!PROVINCE_CHARS.has(chars[0] ?? '')) return { ok: false, reason: 'PROVINCE' };
  if (!AUTHORITY_LETTER.test(chars[1] ?? '')) return { ok: false, reason: 'AUTHORITY' };
  const serial = chars.slice(2).join('');
  for (const [category, shape] of PLATE_SERIALS) {
    if (shape.test(serial)) return { ok: true, category };
  }
  return { ok: false, reason: 'SERIAL' };
}
