import type { FastifyInstance } from 'fastify';
import { KINDS } from '../../src/domain/catalog/kinds.ts';
import { sampleRecord } from '../../src/domain/rules/samples.ts';
import { signRequest } from '../../src/services/clients/authenticate-client.ts';
import { createClient } from '../../src/services/clients/create-client.ts';
import type { TestApp } from './app.ts';

export interface TestClient {
  clientId: string;
  secret: string;
  regionCode: string;
}

export async function registerClient(
  t: TestApp,
  regionCode = '210000',
  name = '辽宁省运政系统',
): Promise<TestClient> {
  const c = await createClient(t.ctx, t.cliActor, { name, regionCode });
  return { clientId: c.clientId, secret: c.secret, regionCode };
}

let tick = 0;

/**
 * POSTs a batch the way a source system does: raw body signed with HMAC-SM3. Each call moves the
 * timestamp on by a millisecond (inside the ±5 minute window), so equal bodies are not replays.
 */
export async function push(
  t: { app: FastifyInstance; clock: { now(): Date } },
  client: TestClient,
  records: unknown[],
  opts: { timestamp?: string; signature?: string; body?: string } = {},
) {
  const body = opts.body ?? JSON.stringify({ records });
  const timestamp = opts.timestamp ?? new Date(t.clock.now().getTime() + (tick++ % 60_000)).toISOString();
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/intake/records',
    headers: {
      'content-type': 'application/json',
      'x-client-id': client.clientId,
      'x-timestamp': timestamp,
      'x-signature': opts.signature ?? signRequest(client.secret, timestamp, body),
    },
    payload: body,
  });
}

export const kindCodes = KINDS.map((k) => k.code);

/** A valid intake record of a kind, with the envelope fields. */
export function intakeRecord(
  kind: string,
  sourceRecordId: string,
  sourceVersion: number,
  event: string,
  overrides: Record<string, unknown> = {},
  index = 0,
) {
  return { ...sampleRecord(kind, overrides, { index }), sourceRecordId, sourceVersion, event };
}
