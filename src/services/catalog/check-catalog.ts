import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { TEMPLATES } from '../../documents/layout/templates.ts';
import { checkCatalog } from '../../domain/catalog/check.ts';
import type { CatalogContent } from '../../domain/catalog/types.ts';
import { AppError } from '../../errors.ts';

const FieldSchema = Type.Object({
  key: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9.]*$', maxLength: 64 }),
  label: Type.String({ minLength: 1, maxLength: 40 }),
  type: Type.Union(
    [
      'string',
      'date',
      'code',
      'codeSequence',
      'integer',
      'capacity',
      'stringList',
      'plate',
      'citizenId',
      'uscc',
      'holderId',
      'region',
      'phone',
    ].map((t) => Type.Literal(t)),
  ),
  required: Type.Boolean(),
  maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  codeTable: Type.Optional(Type.String()),
  codeMatch: Type.Optional(
    Type.Union([Type.Literal('code'), Type.Literal('name'), Type.Literal('codeOrName')]),
  ),
  pattern: Type.Optional(Type.String({ maxLength: 500 })),
  patternDescription: Type.Optional(Type.String()),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  notFuture: Type.Optional(Type.Boolean()),
});

const KindSchema = Type.Object({
  code: Type.String({ pattern: '^[0-9A-Z]{21}$' }),
  name: Type.String({ minLength: 2, maxLength: 60 }),
  shortName: Type.String({ minLength: 1, maxLength: 30 }),
  family: Type.Union([Type.Literal('practitioner'), Type.Literal('business'), Type.Literal('vehicle')]),
  standard: Type.String(),
  fields: Type.Array(FieldSchema, { minItems: 1, maxItems: 100 }),
  numberPattern: Type.String({ minLength: 1, maxLength: 500 }),
  numberDescription: Type.String(),
  validity: Type.Union([
    Type.Object({ years: Type.Integer({ minimum: 1, maximum: 100 }) }),
    Type.Object({ none: Type.Literal(true) }),
  ]),
  review: Type.Object({
    kind: Type.Union([Type.Literal('annual'), Type.Literal('renewal'), Type.Literal('none')]),
  }),
  collectionStartDate: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  templateId: Type.String({ minLength: 1, maxLength: 64 }),
  holderIdTypes: Type.Array(Type.String({ pattern: '^\\d{3}$' }), { minItems: 1 }),
  crossChecks: Type.Array(Type.Object({ type: Type.String() })),
});

const CatalogSchema = Type.Object({
  kinds: Type.Array(KindSchema, { minItems: 1, maxItems: 200 }),
  codeTables: Type.Record(
    Type.String(),
    Type.Object({
      name: Type.String(),
      source: Type.String(),
      entries: Type.Array(
        Type.Object({ code: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }) }),
        { minItems: 1 },
      ),
    }),
  ),
});

/**
 * Every kind must name a shipped document template (src/documents/layout/templates.ts) whose
 * cells print only fields the kind has: otherwise the first download of a certificate issued
 * under this version would fail with TEMPLATE_UNKNOWN, long after the version was accepted.
 */
function checkTemplates(content: CatalogContent): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  content.kinds.forEach((kind, i) => {
    const template = TEMPLATES.get(kind.templateId);
    if (!template) {
      errors.push({
        field: `kinds.${i}.templateId`,
        message: `证照类型“${kind.name}”的模板“${kind.templateId}”不存在（可用：${[...TEMPLATES.keys()].join('、')}）`,
      });
      return;
    }
    const keys = new Set(kind.fields.map((f) => f.key));
    const missing = template.cells.flatMap((c) => c.keys).filter((k) => !keys.has(k));
    if (missing.length > 0) {
      errors.push({
        field: `kinds.${i}.templateId`,
        message: `模板“${kind.templateId}”要打印的照面字段在证照类型“${kind.name}”中不存在：${missing.join('、')}`,
      });
    }
  });
  return errors;
}

/**
 * Checks a proposed catalog before it becomes a version: its shape here (it arrives as untrusted
 * JSON), then the domain's consistency rules (unique codes and keys, code tables that exist,
 * patterns that compile, cross-checks that name real fields). All problems at once.
 */
export function checkCatalogContent(content: unknown): CatalogContent {
  const errors: { field: string; message: string }[] = [];
  for (const e of Value.Errors(CatalogSchema, content)) {
    errors.push({
      field: e.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'content',
      message: `目录内容格式不符：${e.message}`,
    });
    if (errors.length >= 50) break;
  }
  if (errors.length === 0) {
    for (const message of checkCatalog(content as CatalogContent)) errors.push({ field: 'content', message });
    errors.push(...checkTemplates(content as CatalogContent));
  }
  if (errors.length) {
    throw new AppError('VALIDATION_FAILED', `证照目录内容有 ${errors.length} 处问题：${errors[0]!.message}`, {
      details: { errors },
    });
  }
  return content as CatalogContent;
}
