/**
 * Code tables (代码表) referenced by catalog fields and by the record envelope. The
 * JT/T 1290–1292 code tables are not public; these are taken from a provincial system's
 * public code and from the national standards named in each `source`.
 */
import type { CodeTable } from './types.ts';

const SEEN_IN_PROVINCIAL_CODE = '省级运政系统公开代码所见（非JT/T标准原文）';

export const CODE_TABLES = {
  holderIdType: {
    name: '持证主体代码类型',
    source: SEEN_IN_PROVINCIAL_CODE,
    entries: [
      { code: '001', name: '统一社会信用代码' },
      { code: '099', name: '其它法人与其它组织有效证件代码' },
      { code: '111', name: '公民身份证号码' },
      { code: '114', name: '军官证' },
      { code: '115', name: '武警警官证' },
      { code: '118', name: '士兵证' },
      { code: '119', name: '武警士兵证' },
      { code: '120', name: '解放军文职人员证' },
      { code: '122', name: '武警文职人员证' },
      { code: '411', name: '外交护照' },
      { code: '412', name: '公务护照' },
      { code: '413', name: '公务普通护照' },
      { code: '414', name: '普通护照' },
      { code: '511', name: '台湾居民来往大陆通行证' },
      { code: '516', name: '港澳居民来往内地通行证' },
      { code: '999', name: '其它自然人有效证件' },
    ],
  },
  certificateStatus: {
    name: '证照状态',
    source: `${SEEN_IN_PROVINCIAL_CODE}；03–05取自同一系统的另一代码表`,
    entries: [
      { code: '10', name: '有效' },
      { code: '01', name: '无效（已换发）' },
      { code: '02', name: '无效（已过期）' },
      { code: '03', name: '已注销' },
      { code: '04', name: '已撤销' },
      { code: '05', name: '已吊销' },
      { code: '09', name: '无效（其他）' },
    ],
  },
  plateColor: {
    name: '车牌颜色',
    source: SEEN_IN_PROVINCIAL_CODE,
    entries: [
      { code: '1', name: '蓝色' },
      { code: '2', name: '黄色' },
      { code: '3', name: '黑色' },
      { code: '4', name: '白色' },
      { code: '5', name: '绿色' },
      { code: '9', name: '其他' },
      { code: '91', name: '农黄色' },
      { code: '92', name: '农绿色' },
      { code: '93', name: '黄绿色' },
      { code: '94', name: '渐变绿' },
    ],
  },
  gender: {
    name: '性别',
    source: 'GB/T 2261.1—2003 人的性别代码',
    entries: [
      { code: '0', name: '未知的性别' },
      { code: '1', name: '男' },
      { code: '2', name: '女' },
      { code: '9', name: '未说明的性别' },
    ],
  },
  qualificationCategory: {
    // Official codes are not public, so the wire carries the category name; code = name.
    name: '从业资格类别',
    source: '实际使用的类别名称（官方代码未公开，以名称作代码）',
    entries: [
      '经营性道路旅客运输驾驶员',
      '经营性道路货物运输驾驶员',
      '道路危险货物运输驾驶员',
      '道路危险货物运输押运人员',
      '道路危险货物运输装卸管理人员',
      '放射性物品道路运输驾驶员',
      '放射性物品道路运输押运人员',
      '放射性物品道路运输装卸管理人员',
    ].map((name) => ({ code: name, name })),
  },
  drivingClass: {
    name: '准驾车型',
    source: '机动车驾驶证申领和使用规定（公安部令第162号）准驾车型代号',
    entries: [
      { code: 'A1', name: '大型客车' },
      { code: 'A2', name: '重型牵引挂车' },
      { code: 'A3', name: '城市公交车' },
      { code: 'B1', name: '中型客车' },
      { code: 'B2', name: '大型货车' },
      { code: 'C1', name: '小型汽车' },
      { code: 'C2', name: '小型自动挡汽车' },
      { code: 'C3', name: '低速载货汽车' },
      { code: 'C4', name: '三轮汽车' },
      { code: 'C5', name: '残疾人专用小型自动挡载客汽车' },
      { code: 'C6', name: '轻型牵引挂车' },
      { code: 'D', name: '普通三轮摩托车' },
      { code: 'E', name: '普通二轮摩托车' },
      { code: 'F', name: '轻便摩托车' },
      { code: 'M', name: '轮式专用机械车' },
      { code: 'N', name: '无轨电车' },
      { code: 'P', name: '有轨电车' },
    ],
  },
  economicType: {
    // The wire form is not documented: printed certificates show names, so both the
    // GB/T 12402 code and the name are accepted (codeMatch 'codeOrName').
    name: '经济类型',
    source: 'GB/T 12402—2000 经济类型分类与代码（取常用条目）',
    entries: [
      { code: '100', name: '内资' },
      { code: '110', name: '国有全资' },
      { code: '120', name: '集体全资' },
      { code: '130', name: '股份合作' },
      { code: '140', name: '联营' },
      { code: '150', name: '有限责任（公司）' },
      { code: '160', name: '股份有限（公司）' },
      { code: '170', name: '私有' },
      { code: '171', name: '私营独资' },
      { code: '172', name: '私营合伙' },
      { code: '173', name: '私营有限责任（公司）' },
      { code: '174', name: '私营股份有限（公司）' },
      { code: '175', name: '个体经营' },
      { code: '190', name: '其他内资' },
      { code: '200', name: '港澳台投资' },
      { code: '210', name: '内地和港澳台合资' },
      { code: '220', name: '内地和港澳台合作' },
      { code: '230', name: '港澳台独资' },
      { code: '240', name: '港澳台投资股份有限（公司）' },
      { code: '290', name: '其他港澳台投资' },
      { code: '300', name: '国外投资' },
      { code: '310', name: '中外合资' },
      { code: '320', name: '中外合作' },
      { code: '330', name: '外资' },
      { code: '340', name: '国外投资股份有限（公司）' },
      { code: '390', name: '其他国外投资' },
      { code: '900', name: '其他' },
    ],
  },
} satisfies Record<string, CodeTable>;

export type CodeTableName = keyof typeof CODE_TABLES;
