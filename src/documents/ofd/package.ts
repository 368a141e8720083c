import { unzipSync, type Zippable, zipSync } from 'fflate';
import { AppError } from '../../errors.ts';

/**
 * The OFD container (GB/T 33190): a ZIP of XML and resource files. Inside roadcert a package
 * is handled as a map of path → bytes, paths relative to the package root without a leading
 * slash (`Doc_0/Document.xml`); OFD XML refers to them as `/Doc_0/Document.xml`.
 */
export type OfdFiles = ReadonlyMap<string, Uint8Array>;

export const OFD_ENTRY = 'OFD.xml';
export const DOC_ROOT = 'Doc_0/Document.xml';
export const SIGNS_DIR = 'Doc_0/Signs/';
export const SIGNATURES_XML = 'Doc_0/Signs/Signatures.xml';
export const SIGN_DIR = 'Doc_0/Signs/Sign_0/';
export const SIGNATURE_XML = `${SIGN_DIR}Signature.xml`;
export const SIGNED_VALUE = `${SIGN_DIR}SignedValue.dat`;
export const SEAL_FILE = `${SIGN_DIR}Seal.esl`;

/** The OID of SM3 (CheckMethod) and of SM2-with-SM3 (SignatureMethod). */
export const SM3_OID = '1.2.156.10197.1.401';
export const SM2_SM3_OID = '1.2.156.10197.1.501';

/**
 * A fixed ZIP timestamp. fflate writes DOS time from the *local* calendar fields of a Date;
 * building the Date from local fields makes the stored bytes the same in every time zone.
 */
const FIXED_ZIP_TIME = new Date(2000, 0, 1, 0, 0, 0);

/** Already-compressed or bulky binaries are stored; XML is deflated. */
const STORE = /\.(png|jpe?g|esl|dat|ttf|otf|ttc)$/i;

/** OFD.xml first (the entry point a reader looks for), then the rest in code-unit order. */
export function canonicalOrder(paths: Iterable<string>): string[] {
  return [...paths].sort((a, b) => (a === OFD_ENTRY ? -1 : b === OFD_ENTRY ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

/** A package path we are willing to write or read: relative, no `.`/`..`, no backslash. */
export function isSafePath(path: string): boolean {
  if (path.length === 0 || path.length > 512 || path.startsWith('/') || path.includes('\\')) return false;
  return path.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..' && !/\p{Cc}/u.test(seg));
}

/** Zips a package deterministically: fixed timestamp, fixed order, fixed compression level. */
export function packOfd(files: OfdFiles): Buffer {
  const zippable: Zippable = {};
  for (const path of canonicalOrder(files.keys())) {
    if (!isSafePath(path)) throw new AppError('VALIDATION_FAILED', `OFD 包内路径不合法：${path}`);
    zippable[path] = [files.get(path)!, { level: STORE.test(path) ? 0 : 6, mtime: FIXED_ZIP_TIME }];
  }
  return Buffer.from(zipSync(zippable, { mtime: FIXED_ZIP_TIME }));
}

/** Why a ZIP was not accepted; the verifier turns this into `PACKAGE_MALFORMED`. */
export class PackageError extends Error {
  override readonly name = 'PackageError';
}

/** Upper bound on the declared unpacked size (a whole CJK font collection fits easily). */
export const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

/**
 * Unzips a package, refusing what could make two readers see different documents:
 * duplicate entry names (one reader takes the first, another the last), unsafe paths,
 * and a declared size beyond `maxBytes` (a ZIP bomb). Directory entries are skipped.
 */
export function unpackOfd(bytes: Uint8Array, maxBytes = MAX_UNPACKED_BYTES): Map<string, Uint8Array> {
  const seen = new Set<string>();
  let total = 0;
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(bytes, {
      filter: (entry) => {
        if (seen.has(entry.name)) throw new PackageError(`压缩包内有重复的条目 ${entry.name}`);
        seen.add(entry.name);
        if (entry.name.endsWith('/') && entry.originalSize === 0) return false;
        if (!isSafePath(entry.name)) throw new PackageError(`压缩包内路径不合法：${entry.name}`);
        total += entry.originalSize;
        if (total > maxBytes) throw new PackageError(`解压后超过 ${maxBytes} 字节的上限`);
        return true;
      },
    });
  } catch (cause) {
    if (cause instanceof PackageError) throw cause;
    throw new PackageError(
      `不是可读取的 ZIP 压缩包（${cause instanceof Error ? cause.message : String(cause)}）`,
    );
  }
  return new Map(canonicalOrder(Object.keys(raw)).map((p) => [p, raw[p]!]));
}

/**
 * Resolves an OFD location (ST_Loc) to a package path: absolute from the package root when
 * it starts with `/`, otherwise relative to the directory of `baseFile`. Returns undefined
 * for a location that leaves the package.
 */
export function resolveLoc(loc: string, baseFile: string): string | undefined {
  const trimmed = loc.trim();
  const base = trimmed.startsWith('/') ? [] : baseFile.split('/').slice(0, -1);
  const parts = [...base];
  for (const seg of trimmed.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  const path = parts.join('/');
  return isSafePath(path) ? path : undefined;
}
