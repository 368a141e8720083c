/**
 * Masks personal identifiers for lists, logs and audit details: enough to recognise a record,
 * not enough to identify a person. 210102199001011234 → 210102********1234.
 */
export function maskIdNumber(id: string): string {
  if (id.length <= 4) return '*'.repeat(id.length);
  if (id.length <= 10) return `${id.slice(0, 2)}${'*'.repeat(id.length - 4)}${id.slice(-2)}`;
  return `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`;
}

/** 13812345678 → 138****5678. */
export function maskPhone(phone: string): string {
  if (phone.length < 7) return '*'.repeat(phone.length);
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
}

/** 张三丰 → 张**; organisations keep their name (it is public), persons keep the surname. */
export function maskPersonName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return name;
  return chars[0] + '*'.repeat(chars.length - 1);
}

/** Organisations (USCC 001, other organisation codes 099) are public; other holders are persons. */
export function isOrganisationIdType(idType: unknown): boolean {
  return idType === '001' || idType === '099';
}

const ID_SHAPED = /^(\d{15}|\d{17}[\dXx])$/;

/** A certificate number that is an ID number (从业资格证号 = the holder's ID) is personal data. */
export function maskIfIdNumber(value: string): string {
  return ID_SHAPED.test(value) ? maskIdNumber(value) : value;
}
