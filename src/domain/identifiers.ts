/**
 * E-certificate identifiers (电子证照标识, GB/T 36904-2018):
 *
 *   1.2.156.3005.2.<证照类型代码 21>.<颁发机构代码>.<流水号>.<版本号 3 digits>.<校验位>
 *
 * The check character is ISO 7064 MOD 37,36 over everything after the prefix with the
 * dots removed. Identifiers minted elsewhere come in other shapes (one real identifier
 * has a 6-digit region code as issuer), so parsing accepts any alphanumeric issuer and
 * serial and trusts the check character; minting is strict (18-character USCC issuer,
 * platform serial format).
 *
 * Serial format minted by this platform: 4-digit year of first issue followed by the
 * 8-digit zero-padded value of a database sequence (`formatSerial(2025, 42)` →
 * '202500000042'). The serial stays the same across versions of one certificate; each
 * change (年审, 变更, 换发) mints version + 1 with a new check character.
 */
import { AppError } from '../errors.ts';
import { mod3736CheckChar, validateUscc } from './checkdigits.ts';

export const IDENTIFIER_PREFIX = '1.2.156.3005.2.';

export interface IdentifierParts {
  /** 21-character MOT certificate type code, e.g. 11100000000019713D013. */
  typeCode: string;
  /** Issuing body's code: a USCC when minted here. */
  issuerCode: string;
  serial: string;
  /** 1 … 999. */
  version: number;
}

export interface ParsedIdentifier extends IdentifierParts {
  check: string;
}

const TYPE_CODE = /^[0-9A-Z]{21}$/;
const ALNUM = /^[0-9A-Z]+$/;
const VERSION = /^\d{3}$/;
const MAX_PART_LENGTH = 64;

export const SERIAL_PATTERN = /^\d{12}$/;
export const MAX_SERIAL_SEQUENCE = 99_999_999;

/** The platform's serial: year of first issue + 8-digit sequence value. */
export function formatSerial(year: number, seq: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    throw new AppError('IDENTIFIER_INVALID', `流水号年份“${year}”应为四位年份`);
  }
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_SERIAL_SEQUENCE) {
    throw new AppError('IDENTIFIER_INVALID', `流水号序号应为1至${MAX_SERIAL_SEQUENCE}之间的整数`);
  }
  return `${year}${String(seq).padStart(8, '0')}`;
}

/**
 * Mints an identifier. Strict about the type code and the issuer (a valid USCC); the serial
 * may be any alphanumeric string, though this platform mints `formatSerial` values.
 */
export function formatIdentifier(parts: IdentifierParts): string {
  if (typeof parts.typeCode !== 'string' || !TYPE_CODE.test(parts.typeCode)) {
    throw invalid('证照类型代码应为21位数字或大写字母', 'typeCode');
  }
  if (!validateUscc(parts.issuerCode).ok) {
    throw invalid('颁发机构代码应为有效的18位统一社会信用代码', 'issuerCode');
  }
  if (
    typeof parts.serial !== 'string' ||
    !ALNUM.test(parts.serial) ||
    parts.serial.length > MAX_PART_LENGTH
  ) {
    throw invalid('流水号应由数字或大写字母组成', 'serial');
  }
  return build(parts);
}

/** Splits on the known prefix and the dots; throws IDENTIFIER_INVALID naming the bad part. */
export function parseIdentifier(s: string): ParsedIdentifier {
  if (typeof s !== 'string' || !s.startsWith(IDENTIFIER_PREFIX)) {
    throw invalid(`电子证照标识应以“${IDENTIFIER_PREFIX}”开头`, 'prefix');
  }
  const parts = s.slice(IDENTIFIER_PREFIX.length).split('.');
  if (parts.length !== 5) {
    throw invalid('电子证照标识应由证照类型代码、颁发机构代码、流水号、版本号、校验位五段组成', 'structure');
  }
  const [typeCode, issuerCode, serial, versionText, check] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!TYPE_CODE.test(typeCode)) throw invalid('证照类型代码应为21位数字或大写字母', 'typeCode');
  if (!ALNUM.test(issuerCode) || issuerCode.length > MAX_PART_LENGTH) {
    throw invalid('颁发机构代码应由数字或大写字母组成', 'issuerCode');
  }
  if (!ALNUM.test(serial) || serial.length > MAX_PART_LENGTH) {
    throw invalid('流水号应由数字或大写字母组成', 'serial');
  }
  const version = Number(versionText);
  if (!VERSION.test(versionText) || version < 1) throw invalid('版本号应为001至999的三位数字', 'version');
  if (!/^[0-9A-Z]$/.test(check)) throw invalid('校验位应为一位数字或大写字母', 'check');
  const expected = mod3736CheckChar(typeCode + issuerCode + serial + versionText);
  if (check !== expected) throw invalid('校验位不正确（ISO/IEC 7064 MOD 37,36）', 'check');
  return { typeCode, issuerCode, serial, version, check };
}

export function isValidIdentifier(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    parseIdentifier(s);
    return true;
  } catch {
    return false;
  }
}

/** Same type, issuer and serial; version + 1 and a new check character. */
export function nextVersion(identifier: string): string {
  const parsed = parseIdentifier(identifier);
  if (parsed.version >= 999) throw invalid('版本号已达上限999，无法再生成新版本', 'version');
  // Built without the minting checks: an identifier from elsewhere keeps its own shape.
  return build({ ...parsed, version: parsed.version + 1 });
}

function build(parts: IdentifierParts): string {
  if (!Number.isInteger(parts.version) || parts.version < 1 || parts.version > 999) {
    throw invalid('版本号应为1至999之间的整数', 'version');
  }
  const version = String(parts.version).padStart(3, '0');
  const check = mod3736CheckChar(parts.typeCode + parts.issuerCode + parts.serial + version);
  return `${IDENTIFIER_PREFIX}${parts.typeCode}.${parts.issuerCode}.${parts.serial}.${version}.${check}`;
}

function invalid(message: string, part: string): AppError {
  return new AppError('IDENTIFIER_INVALID', `电子证照标识不正确：${message}`, { details: { part } });
}
