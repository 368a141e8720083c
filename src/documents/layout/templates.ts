import { sm3Hex } from '../../crypto/sm3.ts';
import { canonicalJson } from '../../domain/catalog/canonical.ts';
import { AppError } from '../../errors.ts';

/**
 * Certificate templates (证照模板, R-5.1): the layout of each kind's document, as data keyed by
 * the `templateId` that a catalog version names for the kind. A published template is never
 * edited: a change is a new template id (tpl-013-v2) named by a new catalog version, so every
 * certificate keeps rendering with the template of the catalog version it was made under
 * (test/unit/documents/layout.test.ts pins each template's digest).
 *
 * All templates are A4 portrait (see docs/documents.md): the page model places the emblem
 * frame, the title, the face-field table in `cells` order, the validity row, and the fixed
 * issuer / seal / QR / identifier block; `layout/certificate-page.ts` does the geometry.
 */

export interface TemplateCell {
  /** Face field keys (`face.*`); several keys print as one value joined by `separator`. */
  readonly keys: readonly string[];
  /** Label printed in the cell; the catalog field's label when omitted. */
  readonly label?: string;
  readonly separator?: string;
  /** Whole row width (long text); otherwise half a row, paired with the next narrow cell. */
  readonly wide?: boolean;
}

export interface CertificateTemplate {
  readonly id: string;
  /**
   * The geometry (layout/certificate-page.ts) this template is drawn with. Moving anything on
   * the page is a new layout id, used only by new templates; old ids keep their geometry.
   */
  readonly layout: typeof A4_PORTRAIT_V1;
  /** The certificate's printed title, under 中华人民共和国. */
  readonly title: string;
  readonly colors: {
    /** Page frame and emblem frame. */
    readonly frame: string;
    readonly title: string;
    /** Background of the label cells. */
    readonly labelFill: string;
  };
  readonly cells: readonly TemplateCell[];
}

export const A4_PORTRAIT_V1 = 'a4-portrait-v1';

const wide = (key: string): TemplateCell => ({ keys: [key], wide: true });
const narrow = (...keys: string[]): TemplateCell[] => keys.map((key) => ({ keys: [key] }));

/** Practitioner cards are blue-framed, business permits red-framed, vehicle certificates green. */
const PRACTITIONER = { frame: '#1f4e8c', title: '#1a1a1a', labelFill: '#eef3fa' } as const;
const BUSINESS = { frame: '#a3231f', title: '#1a1a1a', labelFill: '#fbf0ef' } as const;
const VEHICLE = { frame: '#2b6b3f', title: '#1a1a1a', labelFill: '#eef6f0' } as const;

const TEMPLATE_LIST: readonly CertificateTemplate[] = [
  {
    id: 'tpl-071-v1',
    title: '道路运输从业人员从业资格证',
    layout: A4_PORTRAIT_V1,
    colors: PRACTITIONER,
    cells: [
      ...narrow('name', 'gender', 'nationality', 'birthDate'),
      wide('address'),
      ...narrow('drivingClass', 'firstIssueDate'),
      wide('qualificationCategories'),
      wide('employer'),
      ...narrow('archiveNumber'),
    ],
  },
  {
    id: 'tpl-072-v1',
    title: '网络预约出租汽车驾驶员证',
    layout: A4_PORTRAIT_V1,
    colors: PRACTITIONER,
    cells: [
      ...narrow('name', 'gender', 'birthDate', 'drivingClass', 'firstIssueDate'),
      wide('operatingArea'),
      wide('employer'),
    ],
  },
  {
    id: 'tpl-075-v1',
    title: '巡游出租汽车驾驶员证',
    layout: A4_PORTRAIT_V1,
    colors: PRACTITIONER,
    cells: [
      ...narrow('name', 'gender', 'birthDate', 'drivingClass', 'firstIssueDate', 'archiveNumber'),
      wide('employer'),
    ],
  },
  {
    id: 'tpl-008-v1',
    title: '道路运输经营许可证',
    layout: A4_PORTRAIT_V1,
    colors: BUSINESS,
    cells: [
      wide('ownerName'),
      wide('address'),
      ...narrow('economicType', 'legalRepresentative'),
      wide('businessScope'),
    ],
  },
  {
    id: 'tpl-016-v1',
    title: '道路危险货物运输许可证',
    layout: A4_PORTRAIT_V1,
    colors: BUSINESS,
    cells: [
      wide('ownerName'),
      wide('address'),
      ...narrow('legalRepresentative', 'vehicleCount'),
      wide('businessScope'),
    ],
  },
  {
    id: 'tpl-079-v1',
    title: '放射性物品道路运输许可证',
    layout: A4_PORTRAIT_V1,
    colors: BUSINESS,
    cells: [wide('ownerName'), wide('address'), wide('legalRepresentative'), wide('businessScope')],
  },
  {
    id: 'tpl-074-v1',
    title: '网络预约出租汽车经营许可证',
    layout: A4_PORTRAIT_V1,
    colors: BUSINESS,
    cells: [
      wide('ownerName'),
      wide('address'),
      wide('legalRepresentative'),
      wide('operatingArea'),
      wide('businessScope'),
    ],
  },
  {
    id: 'tpl-013-v1',
    title: '道路运输证',
    layout: A4_PORTRAIT_V1,
    colors: VEHICLE,
    cells: [
      wide('ownerName'),
      wide('address'),
      ...narrow(
        'plateNumber',
        'plateColor',
        'businessLicenseNumber',
        'economicType',
        'vehicleType',
        'capacity',
      ),
      { keys: ['lengthMm', 'widthMm', 'heightMm'], label: '车辆尺寸（毫米）', separator: '×' },
      ...narrow('firstIssueDate'),
      wide('businessScope'),
      wide('remarks'),
    ],
  },
  {
    id: 'tpl-073-v1',
    title: '网络预约出租汽车运输证',
    layout: A4_PORTRAIT_V1,
    colors: VEHICLE,
    cells: [
      wide('ownerName'),
      ...narrow('plateNumber', 'plateColor', 'vehicleType', 'firstIssueDate'),
      wide('operatingArea'),
    ],
  },
];

export const TEMPLATES: ReadonlyMap<string, CertificateTemplate> = new Map(
  TEMPLATE_LIST.map((t) => [t.id, deepFreeze(t)]),
);

export function getTemplate(templateId: string): CertificateTemplate {
  const template = TEMPLATES.get(templateId);
  if (!template) {
    throw new AppError('TEMPLATE_UNKNOWN', `证照模板“${String(templateId)}”不存在，无法生成证照文档`, {
      details: { templateId: String(templateId) },
    });
  }
  return template;
}

/** SM3 of the template's canonical JSON: published templates are pinned to it. */
export function templateDigest(template: CertificateTemplate): string {
  return sm3Hex(canonicalJson(template));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
