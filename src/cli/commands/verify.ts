import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { AppError } from '../../errors.ts';
import {
  type DocumentOutcome,
  type DocumentVerdict,
  detectDocumentFormat,
  MAX_DOCUMENT_BYTES,
  type StatusAnswer,
  type StatusLookup,
  verifyCertificateDocument,
  verifyDocument,
} from '../../services/documents/verify-document.ts';
import type { TrustMaterial } from '../../services/keys/keyring.ts';
import type { WithRuntime } from './command-kit.ts';

/**
 * Exit codes of `roadcert verify`, one per outcome so scripts can tell them apart. 1 and 2 keep
 * their meaning across the CLI (could not run; bad usage or input).
 */
export const verifyExitCodes: Record<DocumentOutcome, number> = {
  valid: 0,
  tampered: 3,
  unknown_issuer: 4,
  signature_valid_status_revoked: 5,
  signature_valid_status_superseded: 6,
  signature_valid_status_expired: 7,
  signature_valid_status_suspended: 8,
  status_unknown: 9,
};

const outcomeNames: Record<DocumentOutcome, string> = {
  valid: '有效：签章有效，证照当前有效',
  tampered: '无效：文档已被篡改或签章无效',
  unknown_issuer: '无效：签章不是由受信任的省级根证书签发',
  signature_valid_status_revoked: '签章有效，但证照已注销',
  signature_valid_status_superseded: '签章有效，但证照已换发（不是最新版本）',
  signature_valid_status_expired: '签章有效，但证照已过期',
  signature_valid_status_suspended: '签章有效，但证照已暂停使用',
  status_unknown: '签章有效，证照当前状态未知',
};

const stateNames = {
  valid: '有效',
  superseded: '已换发',
  revoked: '已注销',
  expired: '已过期',
  suspended: '已暂停',
};

const HELP = `
核验内容：文档内每个文件的 SM3 摘要（OFD References）或 PDF ByteRange、签名描述文件摘要、
GB/T 38540 电子签章（SM2）、印章与签章证书链至省级根证书、印章有效期、文档元数据与内嵌证照数据，
以及（联机时）证照当前状态。按文件头识别格式（OFD 或 PDF），与文件扩展名无关。

信任材料与状态来源：
  默认            使用本机配置的数据库（与其他命令相同）中的信任材料与证照状态
  --server URL    从运行中的平台获取 URL/api/v1/trust，并经 URL/api/v1/documents/verify 查询状态
  --offline       只核验文档本身，不查询证照状态

退出码：
  0  有效（--offline 时：签章有效，状态未查验）
  1  无法完成核验（数据库或平台不可达、信任材料缺失等）
  2  用法错误，或文件不可读、不是 OFD/PDF 文档、超过 ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB
  3  已被篡改或签章无效（tampered）
  4  签发方不受信任（unknown_issuer）
  5  签章有效，证照已注销
  6  签章有效，证照已换发（输出新版本标识）
  7  签章有效，证照已过期
  8  签章有效，证照已暂停
  9  签章有效，状态未知（联机查询无结果：平台无此证照或无法查询）`;

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

/** `roadcert verify FILE` (issue #4 item 6). `exit` makes main.ts end with that code. */
export function registerVerifyCommand(
  program: Command,
  withRuntime: WithRuntime,
  exit: (code: number) => Error,
): void {
  program
    .command('verify')
    .description('核验电子证照文档（OFD/PDF）：签章、证书链、有效期与证照当前状态')
    .argument('<file>', 'OFD 或 PDF 文件')
    .option('--json', '以 JSON 输出核验结论', false)
    .option('--offline', '离线核验：只核验文档本身，不查询证照状态', false)
    .option('--server <url>', '从运行中的平台获取信任材料与证照状态，例如 https://ecert.example.cn')
    .addHelpText('after', HELP)
    .action(async (file: string, opts: { json: boolean; offline: boolean; server?: string }) => {
      const bytes = await readDocumentFile(file);
      if (detectDocumentFormat(bytes) === null) {
        err(`错误：${file} 不是 OFD 或 PDF 文档（按文件头识别）`);
        throw exit(2);
      }
      const verdict = opts.server
        ? await verifyAgainstServer(bytes, parseServer(opts.server), opts.offline)
        : await withRuntime((rt, ctx, actor) =>
            verifyCertificateDocument(ctx, rt.keyring, actor, bytes, { offline: opts.offline }),
          );
      if (opts.json) out(JSON.stringify(verdict));
      else printVerdict(file, verdict, opts.offline);
      const code = exitCodeOf(verdict, opts.offline);
      if (code !== 0) throw exit(code);
    });
}

/** Offline, a document whose seal holds passes: its status was not asked for, and says so. */
export function exitCodeOf(verdict: DocumentVerdict, offline: boolean): number {
  if (
    offline &&
    verdict.outcome === 'status_unknown' &&
    verdict.reasons.length === 1 &&
    verdict.reasons[0]!.code === 'STATUS_NOT_CHECKED'
  ) {
    return 0;
  }
  return verifyExitCodes[verdict.outcome];
}

async function readDocumentFile(file: string): Promise<Buffer> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new AppError('VALIDATION_FAILED', `${file} 不是文件`);
    if (info.size > MAX_DOCUMENT_BYTES) {
      throw new AppError('VALIDATION_FAILED', `${file} 超过 ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB 的上限`);
    }
    return await readFile(file);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError(
      'VALIDATION_FAILED',
      `无法读取文件 ${file}：${(e as NodeJS.ErrnoException).code ?? e}`,
    );
  }
}

function parseServer(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('VALIDATION_FAILED', `--server 不是有效的网址：${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('VALIDATION_FAILED', '--server 应为 http(s) 网址');
  }
  return url;
}

function endpoint(server: URL, path: string): string {
  return new URL(path, server.href.endsWith('/') ? server.href : `${server.href}/`).href;
}

/** Trust from the platform's published material; the document itself is checked here. */
async function verifyAgainstServer(bytes: Buffer, server: URL, offline: boolean): Promise<DocumentVerdict> {
  const trustUrl = endpoint(server, 'api/v1/trust');
  let trust: TrustMaterial;
  try {
    const res = await fetch(trustUrl, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    trust = (await res.json()) as TrustMaterial;
    if (typeof trust?.rootCertificate !== 'string') throw new Error('缺少 rootCertificate');
  } catch (e) {
    throw new AppError('NOT_READY', `无法从 ${trustUrl} 获取信任材料：${(e as Error).message}`);
  }
  return verifyDocument(bytes, { trust, status: offline ? 'offline' : serverStatus(bytes, server) });
}

/** The platform's public verify endpoint answers the status; only an answer for this document counts. */
function serverStatus(bytes: Buffer, server: URL): StatusLookup {
  return async ({ identifier }): Promise<StatusAnswer> => {
    const url = endpoint(server, 'api/v1/documents/verify');
    let remote: DocumentVerdict;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
        signal: AbortSignal.timeout(60_000),
      });
      if (!res.ok) {
        return {
          known: false,
          code: 'STATUS_UNAVAILABLE',
          message: `平台状态查询失败（HTTP ${res.status}）`,
        };
      }
      remote = (await res.json()) as DocumentVerdict;
    } catch (e) {
      return {
        known: false,
        code: 'STATUS_UNAVAILABLE',
        message: `无法连接平台查询状态：${(e as Error).message}`,
      };
    }
    if (remote.status && remote.document?.identifier === identifier) {
      return { known: true, state: remote.status.state, supersededBy: remote.status.supersededBy ?? null };
    }
    const reason = remote.reasons?.[0];
    if (reason && (reason.code === 'CERTIFICATE_UNKNOWN' || reason.code === 'DIGEST_MISMATCH')) {
      return { known: false, code: reason.code, message: reason.message };
    }
    return {
      known: false,
      code: 'STATUS_UNAVAILABLE',
      message: `平台未给出该证照的状态（平台核验结论：${remote.outcome}）`,
    };
  };
}

function printVerdict(file: string, v: DocumentVerdict, offline: boolean): void {
  const passed = exitCodeOf(v, offline) === 0;
  out(`文件：${file}（${v.format.toUpperCase()}）`);
  out(
    `结论：${passed ? '✓' : '✗'} ${offline && passed ? '签章有效（离线核验，未查询证照状态）' : outcomeNames[v.outcome]}`,
  );
  const d = v.document;
  if (d) {
    out(`  电子证照标识  ${d.identifier}`);
    if (d.certificateNumber) out(`  证照编号      ${d.certificateNumber}`);
    if (d.issuerName) out(`  颁发机构      ${d.issuerName}`);
    if (d.issuedAt) out(`  签发时间      ${d.issuedAt}`);
    out(`  电子印章      ${d.seal.name}（签章时间 ${d.seal.signedAt}）`);
  }
  if (v.status) {
    out(
      `  当前状态      ${stateNames[v.status.state]}${v.status.supersededBy ? `，最新版本 ${v.status.supersededBy}` : ''}（查询于 ${v.status.at}）`,
    );
  } else if (d) out(`  当前状态      ${offline ? '未查验（离线核验）' : '未能确定'}`);
  for (const r of v.reasons) out(`  · ${r.message}${r.path ? `（${r.path}）` : ''} [${r.code}]`);
}
