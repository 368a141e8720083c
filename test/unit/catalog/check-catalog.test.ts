import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CATALOG } from '../../../src/domain/catalog/index.ts';
import { isAppError } from '../../../src/errors.ts';
import { checkCatalogContent } from '../../../src/services/catalog/check-catalog.ts';

const problems = (content: unknown): { field: string; message: string }[] => {
  try {
    checkCatalogContent(content);
  } catch (e) {
    assert.ok(isAppError(e) && e.code === 'VALIDATION_FAILED', String(e));
    return (e.details?.errors ?? []) as { field: string; message: string }[];
  }
  return [];
};

test('the shipped catalog names shipped templates whose cells are its fields', () => {
  assert.deepEqual(problems(structuredClone(DEFAULT_CATALOG)), []);
});

test('a new version naming a template that does not exist is refused before it is used', () => {
  const content = structuredClone(DEFAULT_CATALOG);
  content.kinds[2]!.templateId = 'tpl-999-v1';
  const found = problems(content);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.field, 'kinds.2.templateId');
  assert.match(found[0]!.message, /模板“tpl-999-v1”不存在（可用：tpl-/);
});

test('a new version dropping a field its template prints is refused, naming the field', () => {
  const content = structuredClone(DEFAULT_CATALOG);
  const kind = content.kinds[0]!;
  const dropped = kind.fields.at(-1)!.key;
  kind.fields = kind.fields.filter((f) => f.key !== dropped);
  const found = problems(content).filter((p) => p.field === 'kinds.0.templateId');
  assert.equal(found.length, 1, JSON.stringify(problems(content)));
  assert.match(found[0]!.message, new RegExp(`照面字段在证照类型“${kind.name}”中不存在：.*${dropped}`));
});
