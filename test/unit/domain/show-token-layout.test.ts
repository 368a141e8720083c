import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readShowToken, SHOW_TOKEN_FORMAT } from '../../../src/domain/show-token-layout.ts';

const IDENTIFIER = '1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0';

const field = (bytes: Uint8Array) => Buffer.concat([Buffer.from([bytes.length]), bytes]);

/** A token's bytes laid out by hand (the signature is 64 bytes of 0xAB: not checked here). */
function token(
  over: { lifetime?: number; version?: number; kind?: Buffer; name?: Buffer; tail?: Buffer } = {},
) {
  const head = Buffer.alloc(7);
  head.writeUInt8(SHOW_TOKEN_FORMAT, 0);
  head.writeUInt32BE(1_790_000_000, 1);
  head.writeUInt16BE(over.lifetime ?? 60, 5);
  const version = Buffer.alloc(2);
  version.writeUInt16BE(over.version ?? 2);
  return Buffer.concat([
    head,
    Buffer.alloc(16, 0x11),
    Buffer.alloc(8, 0x22),
    Buffer.from([1]),
    field(Buffer.from(IDENTIFIER)),
    version,
    field(over.kind ?? Buffer.from('11100000000013338W009')),
    field(over.name ?? Buffer.from('张*', 'utf8')),
    field(Buffer.from('210102********1234')),
    over.tail ?? Buffer.alloc(0),
    Buffer.alloc(64, 0xab),
  ]);
}

test('a well-formed token is read field by field, the signed part and the signature split', () => {
  const bytes = token();
  const t = readShowToken(bytes);
  assert.ok(t);
  assert.equal(t.issuedAtSeconds, 1_790_000_000);
  assert.equal(t.lifetimeSeconds, 60);
  assert.equal(t.nonceHex, '11'.repeat(16));
  assert.equal(t.sealFingerprintHex, '22'.repeat(8));
  assert.equal(t.status, 1);
  assert.equal(t.identifier, IDENTIFIER);
  assert.equal(t.version, 2);
  assert.equal(t.kindCode, '11100000000013338W009');
  assert.equal(t.holderName, '张*');
  assert.equal(t.certificateNumber, '210102********1234');
  assert.deepEqual(Buffer.from(t.signed), bytes.subarray(0, bytes.length - 64));
  assert.deepEqual(Buffer.from(t.signature), Buffer.alloc(64, 0xab));
});

test('anything but exactly one well-formed token reads as null', () => {
  const good = token();
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array()],
    ['another format', Buffer.concat([Buffer.from([1]), good.subarray(1)])],
    ['truncated', good.subarray(0, good.length - 70)],
    ['a byte too many', token({ tail: Buffer.from([0]) })],
    ['lifetime 0', token({ lifetime: 0 })],
    ['lifetime 61', token({ lifetime: 61 })],
    ['version not the identifier’s', token({ version: 3 })],
    ['non-ASCII kind code', token({ kind: Buffer.from('类型', 'utf8') })],
    ['invalid UTF-8 in the name', token({ name: Buffer.from([0xe5, 0xbc]) })],
  ];
  for (const [what, bytes] of cases) assert.equal(readShowToken(bytes), null, what);
});
