import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.ts';
import { calendarOverview, loadHolidayYear } from '../../services/calendar/holiday-years.ts';
import { problems } from '../problem.ts';

const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });

const Period = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 20, description: '节日名称，如 春节' }),
    from: DateString,
    to: DateString,
    makeUpDays: Type.Array(DateString, { maxItems: 4, description: '调休上班的周六、周日' }),
  },
  { additionalProperties: false },
);

const HolidayYearSchema = Type.Object(
  {
    year: Type.Integer(),
    source: Type.String({ description: '依据的国务院办公厅通知' }),
    periods: Type.Array(Period),
    builtIn: Type.Boolean({ description: '系统内置（不可替换）' }),
    loadedBy: Type.Union([Type.String(), Type.Null()]),
    loadedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'HolidayYear', title: 'HolidayYear' },
);

// The body is checked field by field by the calendar itself (every problem named with its path),
// so the schema only bounds its size and shape.
const LoadBody = Type.Object(
  {
    year: Type.Optional(Type.Integer()),
    source: Type.String({ maxLength: 200 }),
    periods: Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 12 }),
  },
  { additionalProperties: false },
);

const security = [{ bearer: [] }];
const tags = ['calendar'];

/** R-5.3's working-day calendar: the years it knows, and loading next year's notice. */
const routes: FastifyPluginAsync = async (app) => {
  app.addSchema(HolidayYearSchema);

  app.get(
    '',
    {
      preHandler: app.requireStaff(),
      schema: {
        tags,
        summary: '工作日历：已收录的年度节假日安排，及下一年度是否已录入',
        security,
        response: {
          200: Type.Object({
            years: Type.Array(HolidayYearSchema),
            nextYear: Type.Integer(),
            nextYearKnown: Type.Boolean(),
            warning: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problems(401),
        },
      },
    },
    async (request) => calendarOverview(app.services.context(request)),
  );

  app.put<{
    Params: { year: number };
    Querystring: { replace?: boolean };
    Body: { year?: number; source: string; periods: unknown[] };
  }>(
    '/years/:year',
    {
      preHandler: app.requireStaff('calendar.manage'),
      schema: {
        tags,
        summary: '录入（或以 replace=true 更正）某年度节假日安排',
        security,
        params: Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2099 }) }),
        querystring: Type.Object(
          { replace: Type.Optional(Type.Boolean({ default: false })) },
          { additionalProperties: false },
        ),
        body: LoadBody,
        response: { 200: HolidayYearSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request) => {
      const { year } = request.params;
      const body = request.body;
      if (body.year !== undefined && body.year !== year) {
        throw new AppError('VALIDATION_FAILED', `请求体中的年度 ${body.year} 与路径中的年度 ${year} 不一致`);
      }
      return loadHolidayYear(
        app.services.context(request),
        request.staff!,
        { ...body, year },
        { replace: request.query.replace === true },
      );
    },
  );
};

export default routes;
