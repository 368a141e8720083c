import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { mod112CheckChar } from '../../src/domain/checkdigits.ts';
import { maskIdNumber } from '../../src/domain/masking.ts';
import { type RecordOverrides, sampleRecord } from '../../src/domain/rules/index.ts';
import { openIntakeContext } from '../../src/services/intake/context.ts';
import { processRecord } from '../../src/services/intake/process-record.ts';
import type { IntakeResult, IntakeSource } from '../../src/services/intake/types.ts';
import { certificates, intakeRecords, nonstandardItems } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

const VEHICLE = '11100000000019713D013'; // 道路运输证
const PRACTITIONER = '11100000000019713D071'; // 从业资格证 (certificate number = holder ID)

// A natural person holding a 道路运输证 (individual operator): a real ID number, and the same
// number with a wrong GB 11643 check digit.
const ID_BODY = '21010219850312123';
const GOOD_ID = ID_BODY + mod112CheckChar(ID_BODY);
const BAD_ID = ID_BODY + (GOOD_ID.endsWith('1') ? '2' : '1');
const PHONE = '13912345678';

/** A 道路运输证 with the typical errors: bad ID check digit, bad plate, missing face field, bad date order. */
const flawedVehicle = (sourceRecordId: string, extra: RecordOverrides = {}, regionCode = '210102') =>
  ({
    ...sampleRecord(
      VEHICLE,
      {
        holder: { idType: '111', id: BAD_ID, name: '张伟', phone: PHONE },
        face: {
          ownerName: '张伟',
          plateNumber: '辽A1234',
          vehicleType: undefined,
          firstIssueDate: '2025-06-01',
          ...((extra.face as object) ?? {}),
        },
      },
      { regionCode },
    ),
    sourceRecordId,
    sourceVersion: 1,
    event: 'issue',
  }) as Record<string, unknown>;

const codesOf = (issues: { code: string; field: string }[]) =>
  issues.map((i) => `${i.code} ${i.field}`).sort();

for (const engine of await engines()) {
  describe(`non-standard data queue [${engine}]`, () => {
    let t: TestApp;
    let sy: { id: string; token: string };
    let dl: { id: string; token: string };
    let admin: { token: string };
    let enforcer: { token: string };
    const source: IntakeSource = {
      clientId: 'yunzheng-test',
      regionCode: '210000',
      actor: { type: 'system', id: 'client:yunzheng-test', regionCode: '210000' },
    };
    // Item ids by role in the story below.
    let vehicleItem: string;
    let practitionerItem: string;
    let dalianItem: string;

    const push = async (record: unknown): Promise<IntakeResult> => {
      t.clock.advance(1000);
      return processRecord(await openIntakeContext(t.ctx, t.keyring), source, record);
    };
    const api = (token: string, method: 'GET' | 'PATCH' | 'POST', url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url: `/api/v1/nonstandard${url}`,
        headers: bearer(token),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    const itemRow = async (id: string) =>
      (await t.db.store.db.select().from(nonstandardItems).where(eq(nonstandardItems.id, id)))[0]!;
    const itemOf = async (sourceRecordId: string, sourceVersion: number) =>
      (
        await t.db.store.query<{ id: string }>(
          sql`select id from nonstandard_items where source_record_id = ${sourceRecordId} and source_version = ${sourceVersion}`,
        )
      )[0]!.id;
    const auditOf = (action: string, targetId: string) =>
      t.db.store.query<{ actor_id: string; details: Record<string, unknown>; outcome: string }>(
        sql`select actor_id, details, outcome from audit_log where action = ${action} and target_id = ${targetId} order by id`,
      );
    const stats = async (token: string, query = '') => (await api(token, 'GET', `/stats${query}`)).json();
    const group = (s: { groups: { regionCode: string; kind: string }[] }, regionCode: string, kind: string) =>
      s.groups.find((g) => g.regionCode === regionCode && g.kind === kind) as
        | { open: number; resolved: number; replaced: number; correctionRate: number | null }
        | undefined;

    before(async () => {
      t = await createTestApp(engine);
      sy = await t.staff('sy-officer', 'issuing-officer', '210100');
      dl = await t.staff('dl-officer', 'issuing-officer', '210200');
      admin = await t.staff('admin', 'province-admin', '210000');
      enforcer = await t.staff('sy-enforcer', 'enforcement-officer', '210100');
    });
    after(() => t.close());

    test('a record with typical errors becomes an open item with those issue codes, listed masked', async () => {
      const vehicle = await push(flawedVehicle('SY-013-1'));
      assert.equal(vehicle.status, 'nonstandard');
      assert.deepEqual(codesOf(vehicle.errors!), [
        'DATE_ORDER face.firstIssueDate',
        'ID_CHECK_DIGIT holder.id',
        'PLATE_FORMAT face.plateNumber',
        'REQUIRED face.vehicleType',
      ]);
      const practitioner = await push({
        ...sampleRecord(
          PRACTITIONER,
          { face: { nationality: undefined } },
          { regionCode: '210102', index: 7 },
        ),
        sourceRecordId: 'SY-071-1',
        sourceVersion: 1,
        event: 'issue',
      });
      assert.deepEqual(codesOf(practitioner.errors!), ['REQUIRED face.nationality']);
      assert.equal((await push(flawedVehicle('DL-013-1', {}, '210202'))).status, 'nonstandard');
      vehicleItem = await itemOf('SY-013-1', 1);
      practitionerItem = await itemOf('SY-071-1', 1);
      dalianItem = await itemOf('DL-013-1', 1);

      const res = await api(sy.token, 'GET', '?status=open');
      assert.equal(res.statusCode, 200, res.body);
      const { items, nextBefore } = res.json();
      assert.deepEqual(
        items.map((i: { id: string }) => i.id),
        [practitionerItem, vehicleItem],
        'newest first, only the 沈阳 subtree',
      );
      assert.equal(nextBefore, null);
      const v = items[1];
      assert.equal(v.kind, VEHICLE);
      assert.equal(v.kindName, '道路运输证');
      assert.equal(v.regionCode, '210102');
      assert.equal(v.regionName, '辽宁省沈阳市和平区');
      assert.equal(v.event, 'issue');
      assert.equal(v.status, 'open');
      assert.equal(v.corrections, 0);
      assert.equal(v.sourceRecordId, 'SY-013-1');
      assert.equal(v.holderName, '张*');
      assert.equal(v.holderId, maskIdNumber(BAD_ID));
      assert.equal(v.issues.length, 4);
      const p = items[0];
      const practitionerId = (
        sampleRecord(PRACTITIONER, {}, { regionCode: '210102', index: 7 }) as { holder: { id: string } }
      ).holder.id;
      assert.equal(
        p.certificateNumber,
        maskIdNumber(practitionerId),
        'an ID-number certificate number is masked',
      );
      for (const raw of [BAD_ID, practitionerId, '张伟', PHONE]) {
        assert.ok(!res.body.includes(raw), `list must not carry ${raw}`);
      }
    });

    test('the list filters by rule code, kind, region and status, and pages by keyset', async () => {
      const byCode = (await api(sy.token, 'GET', '?code=PLATE_FORMAT')).json();
      assert.deepEqual(
        byCode.items.map((i: { id: string }) => i.id),
        [vehicleItem],
      );
      const byKind = (await api(sy.token, 'GET', `?kind=${PRACTITIONER}`)).json();
      assert.deepEqual(
        byKind.items.map((i: { id: string }) => i.id),
        [practitionerItem],
      );
      const province = (await api(admin.token, 'GET', '?regionCode=210200')).json();
      assert.deepEqual(
        province.items.map((i: { id: string }) => i.id),
        [dalianItem],
      );
      assert.equal((await api(sy.token, 'GET', '?status=resolved')).json().items.length, 0);

      const page1 = (await api(admin.token, 'GET', '?limit=2')).json();
      assert.equal(page1.items.length, 2);
      assert.equal(page1.nextBefore, page1.items[1].id);
      const page2 = (await api(admin.token, 'GET', `?limit=2&before=${page1.nextBefore}`)).json();
      assert.deepEqual(
        page2.items.map((i: { id: string }) => i.id),
        [vehicleItem],
      );
      assert.equal(page2.nextBefore, null);

      const bad = await api(sy.token, 'GET', '?status=pending');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().code, 'VALIDATION_FAILED');
      assert.equal((await api(sy.token, 'GET', '?before=not-a-uuid')).statusCode, 400);
      assert.equal((await api(enforcer.token, 'GET', '')).statusCode, 403, 'no certificates.read');
    });

    test('staff of 大连 cannot list, see, correct or resubmit a 沈阳 item, and nothing changes', async () => {
      const rowBefore = await itemRow(vehicleItem);
      const list = (await api(dl.token, 'GET', '')).json();
      assert.deepEqual(
        list.items.map((i: { id: string }) => i.id),
        [dalianItem],
      );
      assert.equal((await api(dl.token, 'GET', `?regionCode=210100`)).json().items.length, 0);
      const seen = await api(dl.token, 'GET', `/${vehicleItem}`);
      assert.equal(seen.statusCode, 404);
      assert.equal(seen.json().code, 'NOT_FOUND');
      const corrected = await api(dl.token, 'PATCH', `/${vehicleItem}`, {
        changes: { 'face.plateNumber': '辽A12345' },
      });
      assert.equal(corrected.statusCode, 404);
      assert.equal((await api(dl.token, 'POST', `/${vehicleItem}/resubmit`)).statusCode, 404);
      // Even a malformed correction learns nothing about an item outside the subtree.
      assert.equal(
        (await api(dl.token, 'PATCH', `/${vehicleItem}`, { changes: { kind: 'x' } })).statusCode,
        404,
      );
      assert.equal((await api(dl.token, 'GET', '/00000000-0000-4000-8000-000000000000')).statusCode, 404);

      assert.deepEqual(await itemRow(vehicleItem), rowBefore);
      const logged = await t.db.store.query<{ n: number }>(
        sql`select count(*)::int as n from audit_log where action like 'nonstandard.%' and actor_id = ${dl.id}`,
      );
      assert.equal(logged[0]!.n, 0, 'nothing logged as read or changed');
      assert.equal(await t.db.store.query(sql`select 1 from certificates`).then((r) => r.length), 0);
    });

    test('the detail shows the full record with the issues on their fields, and the read is audited', async () => {
      const res = await api(sy.token, 'GET', `/${vehicleItem}`);
      assert.equal(res.statusCode, 200, res.body);
      const d = res.json();
      assert.equal(d.item.id, vehicleItem);
      assert.equal(d.catalogVersion, 1);
      assert.equal(d.record.holder.id, BAD_ID, 'staff of the region see the record in clear');
      const field = (path: string) => d.fields.find((f: { path: string }) => f.path === path);
      assert.deepEqual(
        field('face.plateNumber').issues.map((i: { code: string }) => i.code),
        ['PLATE_FORMAT'],
      );
      assert.equal(field('face.plateNumber').value, '辽A1234');
      assert.equal(field('face.plateNumber').label, '车辆号牌');
      assert.equal(field('face.vehicleType').value, null);
      assert.equal(field('face.vehicleType').required, true);
      assert.deepEqual(
        field('holder.id').issues.map((i: { code: string }) => i.code),
        ['ID_CHECK_DIGIT'],
      );
      assert.equal(field('holder.phone').required, false);
      assert.equal(field('sourceRecordId'), undefined, 'identity of the record is not correctable');
      assert.equal(field('regionCode'), undefined);
      assert.deepEqual(d.otherIssues, []);
      const reads = await auditOf('nonstandard.read', vehicleItem);
      assert.equal(reads.length, 1);
      assert.equal(reads[0]!.actor_id, sy.id);
      assert.ok(!JSON.stringify(reads[0]!.details).includes(BAD_ID));
    });

    test('bad correction paths and values are refused with 400 naming them, and nothing changes', async () => {
      const rowBefore = await itemRow(vehicleItem);
      const unknown = await api(sy.token, 'PATCH', `/${vehicleItem}`, {
        changes: { 'face.plateNumber': '辽A12345', 'face.colour': '红', sourceVersion: 2, kind: VEHICLE },
      });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().code, 'VALIDATION_FAILED');
      assert.deepEqual(
        unknown.json().errors.map((e: { field: string; code: string }) => `${e.code} ${e.field}`),
        ['PATH_UNKNOWN face.colour', 'PATH_UNKNOWN sourceVersion', 'PATH_UNKNOWN kind'],
      );
      assert.match(unknown.json().detail, /face\.colour/);
      for (const [changes, code] of [
        [{ regionCode: '210103' }, 'PATH_UNKNOWN'],
        [{ event: 'change' }, 'PATH_UNKNOWN'],
        [{ 'holder.id.x': '1' }, 'PATH_UNKNOWN'],
        [{ face: {} }, 'PATH_UNKNOWN'],
        [{ 'face.businessLicenseNumber': { a: 1 } }, 'VALUE_TYPE'],
        [{ 'face.plateNumber': null }, 'PATH_REQUIRED'],
      ] as const) {
        const r = await api(sy.token, 'PATCH', `/${vehicleItem}`, { changes });
        assert.equal(r.statusCode, 400, JSON.stringify(changes));
        assert.equal(r.json().errors[0].code, code, JSON.stringify(changes));
      }
      assert.equal((await api(sy.token, 'PATCH', `/${vehicleItem}`, { changes: {} })).statusCode, 400);
      assert.equal((await api(sy.token, 'PATCH', `/${vehicleItem}`, { face: {} })).statusCode, 400);
      assert.deepEqual(await itemRow(vehicleItem), rowBefore);
      assert.equal((await auditOf('nonstandard.correct', vehicleItem)).length, 0);
    });

    test('correcting some fields re-validates at once and leaves the remaining issues', async () => {
      const res = await api(sy.token, 'PATCH', `/${vehicleItem}`, {
        changes: { 'face.plateNumber': '辽A12345', 'face.vehicleType': '重型半挂牵引车' },
      });
      assert.equal(res.statusCode, 200, res.body);
      const d = res.json();
      assert.deepEqual(codesOf(d.item.issues), [
        'DATE_ORDER face.firstIssueDate',
        'ID_CHECK_DIGIT holder.id',
      ]);
      assert.equal(d.item.corrections, 1);
      assert.equal(d.item.status, 'open');
      assert.equal(d.record.face.plateNumber, '辽A12345');
      const row = await itemRow(vehicleItem);
      assert.equal(row.corrections, 1);
      assert.deepEqual(codesOf(row.errors as { code: string; field: string }[]), codesOf(d.item.issues));
      const stored = JSON.parse(t.vault.open('nonstandard.record', row.recordEnc));
      assert.equal(stored.face.vehicleType, '重型半挂牵引车');
      assert.equal(stored.sourceRecordId, 'SY-013-1');
    });

    test('a full correction and resubmission issues the certificate, resolves the item, and moves the rate', async () => {
      const before = await stats(sy.token);
      assert.deepEqual(group(before, '210102', VEHICLE), {
        ...group(before, '210102', VEHICLE),
        open: 1,
        resolved: 0,
        replaced: 0,
        correctionRate: 0,
      });

      const fixed = await api(sy.token, 'PATCH', `/${vehicleItem}`, {
        changes: { 'holder.id': GOOD_ID, 'face.firstIssueDate': '2019-06-18', 'holder.phone': null },
      });
      assert.equal(fixed.statusCode, 200, fixed.body);
      assert.deepEqual(fixed.json().item.issues, []);
      assert.equal(fixed.json().item.status, 'open', 'open until resubmitted');
      assert.equal(fixed.json().record.holder.phone, undefined, 'null deletes an optional field');

      const res = await api(sy.token, 'POST', `/${vehicleItem}/resubmit`);
      assert.equal(res.statusCode, 200, res.body);
      const r = res.json();
      assert.equal(r.status, 'issued');
      assert.equal(r.itemStatus, 'resolved');
      assert.equal(r.itemId, vehicleItem);
      assert.match(r.identifier, /^1\.2\.156\.3005\.2\.11100000000019713D013\./);

      const [cert] = await t.db.store.db
        .select()
        .from(certificates)
        .where(eq(certificates.identifier, r.identifier));
      assert.equal(cert!.sourceRecordId, 'SY-013-1');
      assert.equal(cert!.regionCode, '210102');
      assert.equal(cert!.status, 'valid');
      const row = await itemRow(vehicleItem);
      assert.equal(row.status, 'resolved');
      assert.equal(row.identifier, r.identifier);
      assert.equal(row.resolvedBy, sy.id);
      const [intake] = await t.db.store.db
        .select()
        .from(intakeRecords)
        .where(eq(intakeRecords.sourceRecordId, 'SY-013-1'));
      assert.equal(intake!.status, 'issued');
      const resubmits = await auditOf('nonstandard.resubmit', vehicleItem);
      assert.equal(resubmits.length, 1);
      assert.equal(resubmits[0]!.outcome, 'success');
      assert.equal(resubmits[0]!.details.identifier, r.identifier);

      const after = await stats(sy.token);
      const g = group(after, '210102', VEHICLE)!;
      assert.equal(g.open, 0);
      assert.equal(g.resolved, 1);
      assert.equal(g.correctionRate, 1);
      assert.equal(after.totals.resolved, before.totals.resolved + 1);
      assert.ok(after.totals.correctionRate > before.totals.correctionRate);
      const listed = (await api(sy.token, 'GET', '?status=resolved')).json().items;
      assert.deepEqual(
        listed.map((i: { id: string; identifier: string }) => [i.id, i.identifier]),
        [[vehicleItem, r.identifier]],
      );
    });

    test('correction audit records carry before/after per field, masked: no raw personal data in the trail', async () => {
      const corrections = await auditOf('nonstandard.correct', vehicleItem);
      assert.equal(corrections.length, 2);
      assert.ok(corrections.every((c) => c.actor_id === sy.id));
      const changes = corrections.flatMap(
        (c) => c.details.changes as { field: string; before: unknown; after: unknown }[],
      );
      assert.deepEqual(
        changes.find((c) => c.field === 'holder.id'),
        { field: 'holder.id', before: maskIdNumber(BAD_ID), after: maskIdNumber(GOOD_ID) },
      );
      assert.deepEqual(
        changes.find((c) => c.field === 'holder.phone'),
        { field: 'holder.phone', before: '139****5678', after: null },
      );
      assert.deepEqual(
        changes.find((c) => c.field === 'face.plateNumber'),
        { field: 'face.plateNumber', before: '辽A1234', after: '辽A12345' },
      );
      assert.deepEqual(corrections[0]!.details.codes, ['ID_CHECK_DIGIT', 'DATE_ORDER']);
      const trail = await t.db.store.query<{ details: string }>(
        sql`select details::text as details from audit_log`,
      );
      for (const raw of [BAD_ID, GOOD_ID, PHONE]) {
        assert.ok(!trail.some((a) => a.details.includes(raw)), `audit_log.details must not hold ${raw}`);
      }
    });

    test('a resolved item can be neither resubmitted nor corrected again (409)', async () => {
      const again = await api(sy.token, 'POST', `/${vehicleItem}/resubmit`);
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'CONFLICT');
      const patch = await api(sy.token, 'PATCH', `/${vehicleItem}`, { changes: { 'face.remarks': '补' } });
      assert.equal(patch.statusCode, 409);
      assert.equal(await t.db.store.query(sql`select 1 from certificates`).then((r) => r.length), 1);
    });

    test('a newer push from the source system replaces a still-open item', async () => {
      const v2 = await push({
        ...sampleRecord(PRACTITIONER, { face: { gender: '7' } }, { regionCode: '210102', index: 7 }),
        sourceRecordId: 'SY-071-1',
        sourceVersion: 2,
        event: 'issue',
      });
      assert.equal(v2.status, 'nonstandard');
      const v2Item = await itemOf('SY-071-1', 2);
      assert.equal((await itemRow(practitionerItem)).status, 'replaced');
      const open = (await api(sy.token, 'GET', `?kind=${PRACTITIONER}&status=open`)).json().items;
      assert.deepEqual(
        open.map((i: { id: string }) => i.id),
        [v2Item],
      );
      const replaced = (await api(sy.token, 'GET', '?status=replaced')).json().items;
      assert.deepEqual(
        replaced.map((i: { id: string }) => i.id),
        [practitionerItem],
      );
      assert.equal((await api(sy.token, 'POST', `/${practitionerItem}/resubmit`)).statusCode, 409);
      assert.equal(
        (await api(sy.token, 'PATCH', `/${practitionerItem}`, { changes: { 'face.nationality': '中国' } }))
          .statusCode,
        409,
      );

      // A standard v3 is issued directly and outdates the open v2 as well.
      const v3 = await push({
        ...sampleRecord(PRACTITIONER, {}, { regionCode: '210102', index: 7 }),
        sourceRecordId: 'SY-071-1',
        sourceVersion: 3,
        event: 'issue',
      });
      assert.equal(v3.status, 'issued');
      assert.equal((await itemRow(v2Item)).status, 'replaced');
      const g = group(await stats(sy.token), '210102', PRACTITIONER)!;
      assert.deepEqual([g.open, g.resolved, g.replaced, g.correctionRate], [0, 0, 2, null]);
    });

    test('a resubmission that is still not standard keeps the item open with the new findings', async () => {
      const pushed = await push(flawedVehicle('SY-013-2', { face: { colour: '红' } }));
      assert.ok(codesOf(pushed.errors!).includes('UNKNOWN_FIELD face.colour'));
      const id = await itemOf('SY-013-2', 1);
      // A face key the catalog does not define can be deleted, nothing more.
      const removed = await api(sy.token, 'PATCH', `/${id}`, {
        changes: { 'face.colour': null, 'face.plateNumber': '辽B54321' },
      });
      assert.equal(removed.statusCode, 200, removed.body);
      assert.equal(removed.json().record.face.colour, undefined);
      assert.equal(
        (await api(sy.token, 'PATCH', `/${id}`, { changes: { 'face.colour': '蓝' } })).json().errors[0].code,
        'PATH_UNKNOWN',
      );

      const res = await api(sy.token, 'POST', `/${id}/resubmit`);
      assert.equal(res.statusCode, 200, res.body);
      const r = res.json();
      assert.equal(r.status, 'nonstandard');
      assert.equal(r.itemStatus, 'open');
      assert.deepEqual(codesOf(r.errors), [
        'DATE_ORDER face.firstIssueDate',
        'ID_CHECK_DIGIT holder.id',
        'REQUIRED face.vehicleType',
      ]);
      const row = await itemRow(id);
      assert.equal(row.status, 'open');
      assert.equal(row.identifier, null);
      const audit = await auditOf('nonstandard.resubmit', id);
      assert.equal(audit[0]!.outcome, 'failure');
      assert.deepEqual(audit[0]!.details.codes, ['ID_CHECK_DIGIT', 'REQUIRED', 'DATE_ORDER']);
    });

    test('stats cover the actor subtree, filter by region, kind and year, and state the formula', async () => {
      const sySt = await stats(sy.token);
      assert.ok(sySt.groups.every((g: { regionCode: string }) => g.regionCode.startsWith('2101')));
      const all = await stats(admin.token);
      assert.deepEqual(group(all, '210202', VEHICLE), {
        ...group(all, '210202', VEHICLE),
        open: 1,
        resolved: 0,
        replaced: 0,
        correctionRate: 0,
      });
      assert.equal(all.totals.open, 2);
      assert.equal(all.totals.resolved, 1);
      assert.equal(all.totals.replaced, 2);
      assert.equal(all.totals.correctionRate, 0.3333);
      const dalian = await stats(admin.token, '?regionCode=210200');
      assert.deepEqual(
        dalian.groups.map((g: { regionCode: string }) => g.regionCode),
        ['210202'],
      );
      const kind = await stats(admin.token, `?kind=${PRACTITIONER}`);
      assert.deepEqual(
        kind.groups.map((g: { kind: string }) => g.kind),
        [PRACTITIONER],
      );
      assert.equal((await stats(admin.token, '?year=2026')).totals.open, 2);
      const empty = await stats(admin.token, '?year=2025');
      assert.deepEqual(empty, {
        year: 2025,
        groups: [],
        totals: { open: 0, resolved: 0, replaced: 0, correctionRate: null },
      });
      assert.equal((await api(admin.token, 'GET', '/stats?year=1999')).statusCode, 400);
      const spec = (await t.app.inject({ url: '/openapi.json' })).json();
      assert.match(spec.paths['/api/v1/nonstandard/stats'].get.description, /÷（resolved \+ open）/);
    });
  });
}
