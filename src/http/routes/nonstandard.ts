import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { openIntakeContext } from '../../services/intake/context.ts';
import {
  correctNonstandardItem,
  type RecordChanges,
} from '../../services/nonstandard/correct-nonstandard.ts';
import { getNonstandardItem } from '../../services/nonstandard/get-nonstandard.ts';
import { type ListNonstandardQuery, listNonstandard } from '../../services/nonstandard/list-nonstandard.ts';
import {
  type NonstandardStatsQuery,
  nonstandardStats,
} from '../../services/nonstandard/nonstandard-stats.ts';
import { resubmitNonstandardItem } from '../../services/nonstandard/resubmit-nonstandard.ts';
import { problems } from '../problem.ts';

const Issue = Type.Object({
  field: Type.String({ description: '记录字段路径，如 face.plateNumber、holder.id' }),
  code: Type.String({ description: '规则代码（见 docs/catalog.md）' }),
  message: Type.String(),
});
const Status = Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('replaced')], {
  description: 'open 待补正；resolved 已补正并签发；replaced 已被运政系统的新推送替换',
});
const Nullable = (s: ReturnType<typeof Type.String>) => Type.Union([s, Type.Null()]);

export const NonstandardItemSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    sourceRecordId: Type.String(),
    sourceVersion: Type.Integer(),
    kind: Type.String(),
    kindName: Type.String(),
    regionCode: Type.String(),
    regionName: Type.String(),
    event: Type.String(),
    eventName: Type.String(),
    status: Status,
    statusName: Type.String(),
    certificateNumber: Nullable(Type.String({ description: '证照编号；为身份证号时脱敏' })),
    holderName: Nullable(Type.String({ description: '持证主体名称；自然人脱敏，单位名称公开' })),
    holderId: Nullable(Type.String({ description: '持证主体代码（脱敏）' })),
    issues: Type.Array(Issue),
    corrections: Type.Integer({ description: '已补正次数' }),
    identifier: Nullable(Type.String({ description: '补正后签发的电子证照标识' })),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    resolvedAt: Nullable(Type.String()),
  },
  { $id: 'NonstandardItem', title: 'NonstandardItem' },
);

const Field = Type.Object({
  path: Type.String(),
  label: Type.String(),
  required: Type.Boolean(),
  catalogField: Type.Boolean({ description: 'false：目录未定义的照面字段，只能删除（置 null）' }),
  value: Type.Unknown(),
  issues: Type.Array(Issue),
});

const Detail = Type.Object({
  item: NonstandardItemSchema,
  catalogVersion: Type.Integer(),
  record: Type.Unknown({ description: '完整证照数据（含个人信息，查看行为记入审计日志）' }),
  fields: Type.Array(Field, { description: '可补正字段及其问题' }),
  otherIssues: Type.Array(Issue, { description: '不能通过补正解决的问题（须运政系统重新推送）' }),
});

const KindCode = Type.String({ pattern: '^[0-9A-Z]{21}$', description: '21 位证照类型代码' });
const RegionCode = Type.String({ pattern: '^\\d{6}$', description: 'GB/T 2260 行政区划代码（含下级）' });
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const ListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    kind: Type.Optional(KindCode),
    regionCode: Type.Optional(RegionCode),
    code: Type.Optional(Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,39}$', description: '问题的规则代码' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(Type.String({ format: 'uuid', description: '上一页返回的 nextBefore' })),
  },
  { additionalProperties: false },
);

const CorrectBody = Type.Object(
  {
    changes: Type.Record(Type.String(), Type.Unknown(), {
      minProperties: 1,
      maxProperties: 100,
      description:
        '字段路径 → 新值。可补正：certificateNumber、issuer.name、issuer.code、issueDate、holder.name、holder.idType、holder.id、holder.phone、validFrom、validTo，以及该证照类型目录定义的照面字段 face.*（列表字段整体替换）。null 删除非必填字段，或删除目录未定义的照面字段。',
      examples: [{ 'face.plateNumber': '辽A12345', 'holder.phone': null }],
    }),
  },
  { additionalProperties: false },
);

const ResubmitResult = Type.Object({
  itemId: Type.String({ format: 'uuid' }),
  itemStatus: Status,
  sourceRecordId: Nullable(Type.String()),
  sourceVersion: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.String({ description: 'issued、updated、recorded，或 nonstandard（仍不规范）、rejected' }),
  identifier: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Issue)),
  originalStatus: Type.Optional(Type.String()),
});

const Counts = {
  open: Type.Integer({ description: '待补正（积压）' }),
  resolved: Type.Integer({ description: '已补正并签发' }),
  replaced: Type.Integer({ description: '被新推送替换' }),
  correctionRate: Type.Union([Type.Number(), Type.Null()], {
    description: 'resolved ÷ (resolved + open)，无数据时为 null',
  }),
};

const StatsQuery = Type.Object(
  {
    regionCode: Type.Optional(RegionCode),
    kind: Type.Optional(KindCode),
    year: Type.Optional(
      Type.Integer({ minimum: 2000, maximum: 2100, description: '按创建年份（北京时间）统计' }),
    ),
  },
  { additionalProperties: false },
);

const Stats = Type.Object({
  year: Type.Union([Type.Integer(), Type.Null()]),
  groups: Type.Array(
    Type.Object({
      regionCode: Type.String(),
      regionName: Type.String(),
      kind: Type.String(),
      kindName: Type.String(),
      ...Counts,
    }),
  ),
  totals: Type.Object(Counts),
});

const security = [{ bearer: [] }];
const tags = ['nonstandard'];

/** The non-standard data queue (不规范数据补正, R-3.3 / R-7.5). */
const routes: FastifyPluginAsync = async (app) => {
  app.addSchema(NonstandardItemSchema);

  app.get<{ Querystring: ListNonstandardQuery }>(
    '',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags,
        summary: '本辖区不规范数据列表（个人信息脱敏）',
        description: '按创建时间倒序；翻页时把上一页的 nextBefore 作为 before 传入。',
        security,
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(NonstandardItemSchema),
            nextBefore: Nullable(Type.String()),
          }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => listNonstandard(app.services.context(request), request.staff!, request.query),
  );

  app.get<{ Querystring: NonstandardStatsQuery }>(
    '/stats',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags,
        summary: '不规范数据积压与补正率（按区划、证照类型）',
        description:
          '统计对象为统计期内（year，北京时间自然年；缺省为全部）进入补正队列的不规范数据，按行政区划代码和证照类型分组，只含本账户辖区。积压 = 状态为待补正（open）的条数；补正率 = 已补正并签发（resolved）÷（resolved + open），分母为 0 时为 null；被运政系统新推送替换（replaced）的条数单独列出，不计入补正率。',
        security,
        querystring: StatsQuery,
        response: { 200: Stats, ...problems(400, 401, 403) },
      },
    },
    async (request) => nonstandardStats(app.services.context(request), request.staff!, request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/:id',
    {
      preHandler: app.requireStaff('certificates.manage'),
      schema: {
        tags,
        summary: '不规范数据详情（完整数据与逐字段问题，供补正）',
        description: '返回未脱敏的完整数据，查看行为记入审计日志（nonstandard.read）。',
        security,
        params: IdParams,
        response: { 200: Detail, ...problems(401, 403, 404) },
      },
    },
    async (request) => getNonstandardItem(app.services.context(request), request.staff!, request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: { changes: RecordChanges } }>(
    '/:id',
    {
      preHandler: app.requireStaff('certificates.manage'),
      schema: {
        tags,
        summary: '补正不规范数据（立即重新校验）',
        description:
          '按字段路径修改记录并立即按目录规则重新校验，保存补正后的数据与剩余问题；只有待补正（open）的数据可以补正。每次补正记入审计日志，个人信息前后值均脱敏。',
        security,
        params: IdParams,
        body: CorrectBody,
        response: { 200: Detail, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      correctNonstandardItem(
        app.services.context(request),
        request.staff!,
        request.params.id,
        request.body.changes,
      ),
  );

  app.post<{ Params: { id: string } }>(
    '/:id/resubmit',
    {
      preHandler: app.requireStaff('certificates.manage'),
      schema: {
        tags,
        summary: '补正后重新提交（合格即签发电子证照）',
        description:
          '以补正后的数据重新走归集流程：合格则签章签发（或更新）电子证照并将该条标记为已补正；仍不合格则保持待补正并返回新的问题。已补正或已被替换的数据不能重新提交（409）。',
        security,
        params: IdParams,
        response: { 200: ResubmitResult, ...problems(401, 403, 404, 409, 503) },
      },
    },
    async (request) => {
      const ctx = await openIntakeContext(app.services.context(request), app.services.keyring);
      return resubmitNonstandardItem(ctx, request.staff!, request.params.id);
    },
  );
};

export default routes;
