import { randomInt } from 'node:crypto';
import { AppError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';

/**
 * The sharing rules in one place, fixed in code like the wallet's: they are promises to holders
 * (how long consent can last, how strong a 用证码 is, how much probing a relying party gets).
 */
export const sharingPolicy = {
  /** A grant lasts at most a year; consent is renewed, not forgotten. */
  maxGrantMs: 366 * 24 * 3_600_000,
  minGrantMs: 60_000,
  codeLength: 10,
  /** No 0/O, 1/I/L: read aloud or typed from a phone screen without mistakes (31^10 ≈ 2^49). */
  codeAlphabet: 'ABCDEFGHJKMNPQRSTUVWXYZ23456789',
  defaultCodeTtlMinutes: 10,
  maxLiveCodesPerHolder: 20,
  /**
   * Refused reads a relying party may make in `refusalWindowMs` before every read is refused
   * (429): a party guessing identifiers, grants or codes is stopped; one using its grants is not.
   */
  maxRefusals: 20,
  refusalWindowMs: 60 * 60_000,
} as const;

/** A new 用证码, e.g. "K7MX3PQ9TA" (shown to the holder once). */
export function newShareCode(): string {
  const a = sharingPolicy.codeAlphabet;
  let code = '';
  for (let i = 0; i < sharingPolicy.codeLength; i++) code += a[randomInt(a.length)];
  return code;
}

/** Codes are typed by people: case, spaces and dashes do not matter. */
export function normalizeShareCode(input: string): string {
  return input.replace(/[\s-]/g, '').toUpperCase();
}

/** Keyed SM3 of a normalized code: equality lookup without keeping the code. */
export function shareCodeHash(ctx: ServiceContext, code: string): string {
  return ctx.vault.index('share.code', normalizeShareCode(code));
}

/** Parses and bounds a grant's expiry: in the future, at most a year ahead. */
export function grantExpiry(now: Date, expiresAt: string): Date {
  const at = new Date(expiresAt);
  const ms = at.getTime() - now.getTime();
  if (Number.isNaN(ms) || ms < sharingPolicy.minGrantMs || ms > sharingPolicy.maxGrantMs) {
    throw new AppError('VALIDATION_FAILED', '授权到期时间应晚于当前时间，且不超过一年', {
      details: { errors: [{ field: 'expiresAt', code: 'OUT_OF_RANGE', message: '到期时间应在一年之内' }] },
    });
  }
  return at;
}
