/**
 * The lifecycle of a licence and its e-certificate as one transition table:
 * state × event → what happens. Every service asks `planTransition`; no status checks are
 * scattered elsewhere.
 *
 * States of a licence:
 * - `none`      not known to the platform yet;
 * - `paper`     a valid paper certificate (baseline), counted as existing, no e-certificate yet;
 * - `valid`     有效: an e-certificate is in force;
 * - `suspended` 暂停: in force again after `resume`;
 * - `revoked`   已注销 (terminal);
 * - `expired`   已过期 (terminal).
 */

export const intakeEvents = [
  'issue',
  'baseline',
  'annual_review',
  'change',
  'reissue',
  'suspend',
  'resume',
  'revoke',
  'expire',
] as const;
export type IntakeEvent = (typeof intakeEvents)[number];

export const licenceStates = ['none', 'paper', 'valid', 'suspended', 'revoked', 'expired'] as const;
export type LicenceState = (typeof licenceStates)[number];

/** Status of one certificate version. */
export type CertificateStatus = 'valid' | 'suspended' | 'superseded' | 'revoked' | 'expired';

/**
 * What a transition does:
 * - `record_paper`: keep the paper certificate's data (baseline);
 * - `issue`:       seal the first e-certificate of the licence (version 1);
 * - `new_version`: seal the next version and supersede the current one (状态 01 已换发);
 * - `status`:      change the current version's status, no new signature.
 */
export type TransitionAction = 'record_paper' | 'issue' | 'new_version' | 'status';

export interface Transition {
  action: TransitionAction;
  to: Exclude<LicenceState, 'none'>;
}

/** Events that carry full certificate data (and so go through the standard checks). */
export const dataEvents: ReadonlySet<IntakeEvent> = new Set([
  'issue',
  'baseline',
  'annual_review',
  'change',
  'reissue',
]);

export const eventNames: Record<IntakeEvent, string> = {
  issue: '新申领发证',
  baseline: '存量纸质证照归集',
  annual_review: '年度审验',
  change: '变更',
  reissue: '补发/换发',
  suspend: '暂停',
  resume: '恢复',
  revoke: '注销',
  expire: '过期',
};

export const stateNames: Record<LicenceState, string> = {
  none: '未归集',
  paper: '纸质证照（未电子化）',
  valid: '有效',
  suspended: '暂停',
  revoked: '已注销',
  expired: '已过期',
};

const T = (action: TransitionAction, to: Transition['to']): Transition => ({ action, to });

/**
 * The table. A missing entry is a refused transition. A paper certificate becomes electronic at
 * its next annual review, change or reissue, and a licence first seen through such an
 * event (never reported as baseline) is converted the same way.
 */
export const transitionTable: Record<LicenceState, Partial<Record<IntakeEvent, Transition>>> = {
  none: {
    issue: T('issue', 'valid'),
    baseline: T('record_paper', 'paper'),
    annual_review: T('issue', 'valid'),
    change: T('issue', 'valid'),
    reissue: T('issue', 'valid'),
  },
  paper: {
    baseline: T('record_paper', 'paper'),
    annual_review: T('issue', 'valid'),
    change: T('issue', 'valid'),
    reissue: T('issue', 'valid'),
    revoke: T('status', 'revoked'),
    expire: T('status', 'expired'),
  },
  valid: {
    annual_review: T('new_version', 'valid'),
    change: T('new_version', 'valid'),
    reissue: T('new_version', 'valid'),
    suspend: T('status', 'suspended'),
    revoke: T('status', 'revoked'),
    expire: T('status', 'expired'),
  },
  suspended: {
    resume: T('status', 'valid'),
    revoke: T('status', 'revoked'),
    expire: T('status', 'expired'),
  },
  revoked: {},
  expired: {},
};

export type TransitionResult = { ok: true; transition: Transition } | { ok: false; message: string };

export function planTransition(state: LicenceState, event: IntakeEvent): TransitionResult {
  const transition = transitionTable[state][event];
  if (transition) return { ok: true, transition };
  return {
    ok: false,
    message: `证照当前状态为“${stateNames[state]}”，不能执行“${eventNames[event]}”`,
  };
}

/** Status the current certificate version takes in a licence state. */
export function certificateStatusOf(state: LicenceState): CertificateStatus {
  switch (state) {
    case 'valid':
      return 'valid';
    case 'suspended':
      return 'suspended';
    case 'revoked':
      return 'revoked';
    case 'expired':
      return 'expired';
    default:
      throw new Error(`licence state ${state} has no certificate`);
  }
}

/** GB code of 证照状态 (REFERENCE §3) for a certificate status. */
export const certificateStatusCodes: Record<CertificateStatus, { code: string; name: string }> = {
  valid: { code: '10', name: '有效' },
  superseded: { code: '01', name: '无效（已换发）' },
  expired: { code: '02', name: '无效（已过期）' },
  revoked: { code: '03', name: '已注销' },
  suspended: { code: '09', name: '无效（暂停）' },
};
