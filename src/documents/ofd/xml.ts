import { AppError } from '../../errors.ts';

/**
 * The XML used in OFD packages, written and read here without a third-party library.
 *
 * Writing: `element()` builds compact XML (no indentation, attributes in the given order),
 * so the same input always gives the same bytes — the package signature covers those bytes.
 *
 * Reading: `parseXml()` is a small strict parser for the subset OFD needs: elements,
 * attributes, namespaces, text, CDATA, comments and processing instructions. A DOCTYPE is
 * refused outright, and only the five predefined entities and character references are
 * expanded, so entity expansion attacks (XXE, billion laughs) have nothing to work with.
 */

export const OFD_NS = 'http://www.ofdspec.org/2016';
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

// XML 1.0 `Char`: refuses C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE/FFFF.
const INVALID_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Escapes text or an attribute value; refuses characters XML 1.0 cannot carry at all. */
export function escapeXml(value: string): string {
  if (INVALID_CHAR.test(value)) {
    throw new AppError('VALIDATION_FAILED', 'XML 中不能包含控制字符或无效的 Unicode 字符');
  }
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
}

export type Attributes = Readonly<Record<string, string | number | undefined>>;

/**
 * `<name a="…">content</name>`, or self-closing without content. `content` is already XML
 * (from `element` or `text`); attribute values are escaped here.
 */
export function element(name: string, attributes: Attributes = {}, ...content: string[]): string {
  let attrs = '';
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) attrs += ` ${key}="${escapeXml(String(value))}"`;
  }
  const inner = content.join('');
  return inner === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${inner}</${name}>`;
}

/** Escaped character data. */
export const text = (value: string): string => escapeXml(value);

/** An OFD XML file: declaration plus root element, UTF-8 encoded. */
export function xmlFile(root: string): Buffer {
  return Buffer.from(XML_DECLARATION + root, 'utf8');
}

// ---------------------------------------------------------------- reading

export interface XmlElement {
  /** The qualified name as written, e.g. `ofd:Page`. */
  readonly name: string;
  /** Namespace URI after prefix resolution; '' for none. */
  readonly ns: string;
  readonly local: string;
  /** Attributes by qualified name (`xmlns` declarations excluded). */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** The element's own character data (children's text excluded), entities expanded. */
  readonly text: string;
}

function bad(message: string): AppError {
  return new AppError('VALIDATION_FAILED', `XML 格式不正确：${message}`);
}

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  return raw.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw bad('出现未转义的 &');
    if (ref in PREDEFINED) return PREDEFINED[ref]!;
    const m = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (!m) throw bad(`不支持的实体 ${whole}`);
    const cp = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number.parseInt(m[2]!, 10);
    if (cp > 0x10ffff) throw bad(`字符引用超出范围 ${whole}`);
    const ch = String.fromCodePoint(cp);
    if (INVALID_CHAR.test(ch)) throw bad(`字符引用指向无效字符 ${whole}`);
    return ch;
  });
}

interface Building {
  name: string;
  attributes: Map<string, string>;
  scope: Map<string, string>;
  children: XmlElement[];
  text: string;
}

function resolve(qname: string, scope: ReadonlyMap<string, string>, isElement: boolean) {
  const colon = qname.indexOf(':');
  if (colon < 0) return { ns: isElement ? (scope.get('') ?? '') : '', local: qname };
  const prefix = qname.slice(0, colon);
  const ns = scope.get(prefix);
  if (ns === undefined) throw bad(`未声明的命名空间前缀 ${prefix}`);
  return { ns, local: qname.slice(colon + 1) };
}

/**
 * Parses one XML document from UTF-8 bytes (or a string). Throws `VALIDATION_FAILED` on
 * anything it does not accept, including invalid UTF-8.
 */
export function parseXml(input: Uint8Array | string): XmlElement {
  let src: string;
  try {
    src = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw bad('不是有效的 UTF-8');
  }
  if (src.charCodeAt(0) === 0xfeff) src = src.slice(1);
  if (INVALID_CHAR.test(src)) throw bad('含有无效字符');

  const stack: Building[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const expect = (token: string, at: number) => {
    const end = src.indexOf(token, at);
    if (end < 0) throw bad(`缺少 ${token}`);
    return end;
  };

  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const chunk = src.slice(i, lt < 0 ? src.length : lt);
    if (chunk.length > 0) {
      const top = stack.at(-1);
      if (top) top.text += decodeEntities(chunk);
      else if (chunk.trim() !== '') throw bad('根元素之外有文本');
    }
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<?', i)) {
      i = expect('?>', i) + 2;
    } else if (src.startsWith('<!--', i)) {
      i = expect('-->', i + 4) + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = expect(']]>', i);
      const top = stack.at(-1);
      if (!top) throw bad('根元素之外有 CDATA');
      top.text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith('<!', i)) {
      throw bad('不接受 DOCTYPE 或其他声明');
    } else if (src.startsWith('</', i)) {
      const end = expect('>', i);
      const name = src.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw bad(`结束标签 ${name} 不匹配`);
      const finished = finish(open);
      const parent = stack.at(-1);
      if (parent) parent.children.push(finished);
      else root = finished;
      i = end + 1;
    } else {
      if (root !== undefined) throw bad('有多个根元素');
      const tag = readTag(src, i + 1);
      const parentScope = stack.at(-1)?.scope ?? new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]);
      const scope = new Map(parentScope);
      const attributes = new Map<string, string>();
      for (const [key, value] of tag.attributes) {
        if (key === 'xmlns') scope.set('', value);
        else if (key.startsWith('xmlns:')) scope.set(key.slice(6), value);
        else attributes.set(key, value);
      }
      const building: Building = { name: tag.name, attributes, scope, children: [], text: '' };
      i = tag.end;
      if (tag.selfClosing) {
        const finished = finish(building);
        const parent = stack.at(-1);
        if (parent) parent.children.push(finished);
        else root = finished;
      } else {
        stack.push(building);
      }
    }
  }
  if (stack.length > 0) throw bad(`元素 ${stack.at(-1)!.name} 未结束`);
  if (!root) throw bad('没有根元素');
  return root;
}

function finish(b: Building): XmlElement {
  const { ns, local } = resolve(b.name, b.scope, true);
  for (const key of b.attributes.keys()) resolve(key, b.scope, false);
  return { name: b.name, ns, local, attributes: b.attributes, children: b.children, text: b.text };
}

function readTag(src: string, start: number) {
  const nameMatch = /^[^\s/>]+/.exec(src.slice(start, start + 200));
  if (!nameMatch || !NAME.test(nameMatch[0])) throw bad('元素名不正确');
  const name = nameMatch[0];
  let i = start + name.length;
  const attributes = new Map<string, string>();
  for (;;) {
    const ws = /^\s*/.exec(src.slice(i, i + 100))![0].length;
    i += ws;
    if (src.startsWith('/>', i)) return { name, attributes, selfClosing: true, end: i + 2 };
    if (src[i] === '>') return { name, attributes, selfClosing: false, end: i + 1 };
    if (ws === 0) throw bad(`元素 ${name} 的属性之间缺少空白`);
    const m = /^([^\s=/>]+)\s*=\s*(["'])/.exec(src.slice(i, i + 300));
    if (!m || !NAME.test(m[1]!)) throw bad(`元素 ${name} 的属性不正确`);
    const valueStart = i + m[0].length;
    const valueEnd = src.indexOf(m[2]!, valueStart);
    if (valueEnd < 0) throw bad(`元素 ${name} 的属性值未结束`);
    const raw = src.slice(valueStart, valueEnd);
    if (raw.includes('<')) throw bad(`元素 ${name} 的属性值含有 <`);
    if (attributes.has(m[1]!)) throw bad(`元素 ${name} 的属性 ${m[1]} 重复`);
    // Attribute-value normalisation: literal whitespace becomes a space, references stay.
    attributes.set(m[1]!, decodeEntities(raw.replace(/[\t\n\r]/g, ' ')));
    i = valueEnd + 1;
  }
}

/** The OFD-namespace children of `parent` with this local name. */
export function ofdChildren(parent: XmlElement, local: string): XmlElement[] {
  return parent.children.filter((c) => c.ns === OFD_NS && c.local === local);
}

/** The single OFD-namespace child with this local name, or undefined (also when repeated). */
export function ofdChild(parent: XmlElement, local: string): XmlElement | undefined {
  const found = ofdChildren(parent, local);
  return found.length === 1 ? found[0] : undefined;
}
