import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { auditLog, verifications } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { intakeRecord, push, registerClient } from '../helpers/intake.ts';

const PRACTITIONER = '11100000000019713D071';

for (const engine of await engines()) {
  describe(`offline verifications uploaded later (离线查验补传) [${engine}]`, () => {
    let t: TestApp;
    let officer: { id: string; token: string };
    let otherOfficer: { token: string };
    let issuer: { token: string };
    let holderToken: string;
    let identifier: string;

    const showToken = async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/certificates/${identifier}/show`,
        headers: bearer(holderToken),
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().token as string;
    };
    const upload = (payload: Record<string, unknown>, token = officer.token) =>
      t.app.inject({ method: 'POST', url: '/api/v1/verify/offline', headers: bearer(token), payload });
    const count = async () =>
      Number(
        (await t.db.store.query<{ n: number }>(sql`select count(*)::int as n from verifications`))[0]!.n,
      );

    before(async () => {
      t = await createTestApp(engine);
      officer = await t.staff('officer', 'enforcement-officer', '210100');
      otherOfficer = await t.staff('officer2', 'enforcement-officer', '210100');
      issuer = await t.staff('issuer', 'issuing-officer', '210102');
      const client = await registerClient(t);
      const rec = intakeRecord(PRACTITIONER, 'OFF-A', 1, 'issue', {}, 501);
      const [result] = (await push(t, client, [rec])).json().results;
      assert.equal(result.status, 'issued', JSON.stringify(result));
      identifier = result.identifier;
      const h = { idType: rec.holder.idType, id: rec.holder.id, phone: rec.holder.phone! };
      const sent = await t.app.inject({ method: 'POST', url: '/api/v1/wallet/otp', payload: h });
      const login = await t.app.inject({
        method: 'POST',
        url: '/api/v1/wallet/login',
        payload: { ...h, code: sent.json().demoCode },
      });
      holderToken = login.json().token;
    });
    after(() => t.close());

    test('a token checked offline is judged as of its check time and recorded with that time and the outcome', async () => {
      const code = await showToken();
      const checkedAt = new Date(t.clock.now().getTime() + 5_000);
      // Uploaded ten minutes later: online, the token would long have lapsed.
      t.clock.advance(600_000);
      const id = randomUUID();
      const res = await upload({
        id,
        code,
        checkedAt: checkedAt.toISOString(),
        place: '沈阳绕城高速检查站',
        outcome: { recognized: false, reason: '车辆号牌与证照不符' },
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.verificationId, id);
      assert.equal(body.result, 'valid');
      assert.equal(body.duplicate, false);
      assert.equal(body.outcomeRecorded, true);
      assert.equal(body.checkedAt, checkedAt.toISOString());
      assert.equal(body.certificate.identifier, identifier);

      const [row] = await t.db.store.db.select().from(verifications).where(eq(verifications.id, id));
      assert.equal(row!.officerId, officer.id);
      assert.equal(row!.at.toISOString(), checkedAt.toISOString());
      assert.equal(row!.place, '沈阳绕城高速检查站');
      assert.equal(row!.recognized, false);
      assert.equal(row!.outcomeReason, '车辆号牌与证照不符');
      const audits = await t.db.store.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.action, 'certificate.verify'));
      const mine = audits.find((a) => (a.details as { verificationId?: string }).verificationId === id);
      assert.equal((mine!.details as { offline?: boolean }).offline, true);
      // The audit record carries when it was written, not the back-dated check time.
      assert.equal(mine!.at.toISOString(), t.clock.now().toISOString());

      // The same upload again (a retry after a lost response) records nothing new.
      const before = await count();
      const again = await upload({ id, code, checkedAt: checkedAt.toISOString() });
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().duplicate, true);
      assert.equal(again.json().result, 'valid');
      assert.equal(again.json().outcomeRecorded, true);
      assert.equal(await count(), before);

      // Under another id the token is spent; under another officer the id is taken.
      const reused = await upload({ id: randomUUID(), code, checkedAt: checkedAt.toISOString() });
      assert.equal(reused.json().reason, 'TOKEN_REUSED');
      const foreign = await upload({ id, code, checkedAt: checkedAt.toISOString() }, otherOfficer.token);
      assert.equal(foreign.statusCode, 409);
    });

    test('a check time after the token lapsed is TOKEN_EXPIRED, and the online route is unchanged', async () => {
      const code = await showToken();
      const late = new Date(t.clock.now().getTime() + 61_000);
      t.clock.advance(120_000);
      const res = await upload({ id: randomUUID(), code, checkedAt: late.toISOString() });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().result, 'invalid');
      assert.equal(res.json().reason, 'TOKEN_EXPIRED');
      assert.equal(res.json().certificate, null);
    });

    test('refused uploads say why and write nothing', async () => {
      const code = await showToken();
      const before = await count();
      const now = t.clock.now().getTime();
      const cases: [Record<string, unknown>, number, RegExp][] = [
        [{ checkedAt: new Date(now + 10 * 60_000).toISOString() }, 400, /晚于当前时间/],
        [{ checkedAt: new Date(now - 8 * 86_400_000).toISOString() }, 400, /7 天/],
        [{ checkedAt: new Date(now).toISOString(), outcome: { recognized: false } }, 400, /原因/],
        [{ checkedAt: 'yesterday' }, 400, /checkedAt|date-time/],
      ];
      for (const [extra, status, detail] of cases) {
        const res = await upload({ id: randomUUID(), code, ...extra });
        assert.equal(res.statusCode, status, res.body);
        assert.match(res.json().detail, detail);
      }
      const forbidden = await upload(
        { id: randomUUID(), code, checkedAt: new Date(now).toISOString() },
        issuer.token,
      );
      assert.equal(forbidden.statusCode, 403);
      assert.equal(await count(), before);
    });
  });
}
