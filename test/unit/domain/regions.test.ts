import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  childrenOf,
  getRegion,
  isWithinRegion,
  listRegions,
  regionScopePrefix,
  requireRegion,
} from '../../../src/domain/regions.ts';
import { isAppError } from '../../../src/errors.ts';

describe('GB/T 2260 regions', () => {
  test('Liaoning has its 14 prefecture-level cities', () => {
    const cities = childrenOf('210000');
    assert.deepEqual(
      cities.map((c) => c.name),
      [
        '沈阳市',
        '大连市',
        '鞍山市',
        '抚顺市',
        '本溪市',
        '丹东市',
        '锦州市',
        '营口市',
        '阜新市',
        '辽阳市',
        '盘锦市',
        '铁岭市',
        '朝阳市',
        '葫芦岛市',
      ],
    );
    assert.ok(cities.every((c) => c.level === 'city' && c.parentCode === '210000'));
  });

  test('沈阳市 has 和平区 210102, with its full name', () => {
    assert.deepEqual(getRegion('210102'), {
      code: '210102',
      name: '和平区',
      level: 'county',
      parentCode: '210100',
      fullName: '辽宁省沈阳市和平区',
    });
    assert.ok(childrenOf('210100').some((c) => c.code === '210102'));
    assert.equal(getRegion('210000')?.fullName, '辽宁省');
    assert.equal(getRegion('210000')?.parentCode, null);
  });

  test('placeholders and statistics-only rows are not regions', () => {
    assert.equal(getRegion('210101'), undefined, '市辖区 placeholder');
    assert.equal(getRegion('429000'), undefined, '省直辖县级行政区划 wrapper');
    assert.equal(getRegion('130171'), undefined, '开发区 (统计用区划 only)');
    assert.equal(getRegion('999999'), undefined);
    assert.equal(getRegion(''), undefined);
  });

  test('quirks of the data are resolved by shape', () => {
    // A municipality's districts have no city row: they hang under the province.
    assert.deepEqual(getRegion('110101'), {
      code: '110101',
      name: '东城区',
      level: 'county',
      parentCode: '110000',
      fullName: '北京市东城区',
    });
    // A county-level city directly under the province (省直辖).
    assert.equal(getRegion('429004')?.parentCode, '420000');
    assert.equal(getRegion('429004')?.fullName, '湖北省仙桃市');
    assert.ok(childrenOf('420000').some((c) => c.code === '429004'));
  });

  test('listRegions is the province, its cities and their counties in pre-order', () => {
    const all = listRegions('210000');
    assert.equal(all[0]?.code, '210000');
    assert.equal(all.filter((r) => r.level === 'city').length, 14);
    assert.ok(all.length > 100);
    for (let i = 1; i < all.length; i++) assert.ok((all[i - 1]?.code ?? '') < (all[i]?.code ?? ''));
    assert.ok(all.every((r) => r.code.startsWith('21')));
    const index = new Map(all.map((r, i) => [r.code, i]));
    for (const r of all) {
      if (r.parentCode) assert.ok((index.get(r.parentCode) ?? Infinity) < (index.get(r.code) ?? -1));
    }
  });

  test('listRegions refuses a code that is not a province', () => {
    assert.throws(
      () => listRegions('210100'),
      (e) => isAppError(e) && e.code === 'REGION_UNKNOWN',
    );
  });

  test('requireRegion throws REGION_UNKNOWN naming the code', () => {
    assert.equal(requireRegion('210102').name, '和平区');
    assert.throws(
      () => requireRegion('219999'),
      (e) => isAppError(e) && e.code === 'REGION_UNKNOWN' && e.message.includes('219999'),
    );
  });

  test('isWithinRegion truth table', () => {
    const table: [string, string, boolean][] = [
      ['210102', '210102', true],
      ['210102', '210100', true],
      ['210102', '210000', true],
      ['210100', '210000', true],
      ['210000', '210000', true],
      ['210100', '210100', true],
      ['210000', '210100', false],
      ['210100', '210102', false],
      ['210000', '210102', false],
      ['210102', '210200', false],
      ['210202', '210100', false],
      ['210102', '220000', false],
      ['110101', '110000', true],
      ['429004', '420000', true],
      ['999999', '210000', false],
      ['210102', '999999', false],
    ];
    for (const [code, ancestor, expected] of table) {
      assert.equal(isWithinRegion(code, ancestor), expected, `${code} within ${ancestor}`);
    }
  });

  test('regionScopePrefix selects exactly the subtree', () => {
    assert.equal(regionScopePrefix('210000'), '21');
    assert.equal(regionScopePrefix('210200'), '2102');
    assert.equal(regionScopePrefix('210102'), '210102');
    assert.throws(
      () => regionScopePrefix('210101'),
      (e) => isAppError(e) && e.code === 'REGION_UNKNOWN',
    );
    for (const scope of ['210000', '210100', '210200', '210102']) {
      const prefix = regionScopePrefix(scope);
      for (const r of listRegions('210000')) {
        assert.equal(r.code.startsWith(prefix), isWithinRegion(r.code, scope), `${r.code} in ${scope}`);
      }
    }
  });
});
