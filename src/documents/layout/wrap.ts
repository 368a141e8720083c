/**
 * Line breaking for Chinese text mixed with Latin letters and digits: a break may come between
 * any two CJK characters; a run of letters, digits and `.-/` (a plate number, a code, a date in
 * digits) is kept on one line when it fits on a line of its own; closing punctuation never
 * starts a line (禁则: its previous character moves down with it) and an opening bracket never
 * ends one.
 */

const NO_LINE_START = new Set(Array.from('，。、；：？！）】》」』”’,.;:?!)]%'));
const NO_LINE_END = new Set(Array.from('（【《「『“‘(['));
const WORD = /[A-Za-z0-9.\-/_]/;

/** Splits `text` into lines no wider than `maxEm` (widths in em). Never returns an empty list. */
export function wrapText(text: string, maxEm: number, widthEm: (s: string) => number): string[] {
  const tokens: string[] = [];
  for (const ch of text.replace(/\s+/g, ' ')) {
    const last = tokens[tokens.length - 1];
    if (last !== undefined && WORD.test(ch) && WORD.test(last.slice(-1)))
      tokens[tokens.length - 1] = last + ch;
    else tokens.push(ch);
  }
  const lines: string[] = [];
  let line = '';
  const push = () => {
    if (line.trim() !== '') lines.push(line.trim());
    line = '';
  };
  for (const token of tokens) {
    if (widthEm(line + token) <= maxEm) {
      line += token;
      continue;
    }
    if (NO_LINE_START.has(token) && line.length > 0) {
      // Take the last character down with the punctuation.
      const chars = Array.from(line);
      const carried = chars.pop()!;
      line = chars.join('');
      push();
      line = carried + token;
      continue;
    }
    const last = Array.from(line).at(-1);
    if (last !== undefined && NO_LINE_END.has(last) && widthEm(last + token) <= maxEm) {
      // An opening bracket goes down with what it opens.
      line = line.slice(0, line.length - last.length);
      push();
      line = last + token;
      continue;
    }
    push();
    if (widthEm(token) <= maxEm) {
      line = token === ' ' ? '' : token;
      continue;
    }
    // A word longer than a whole line is broken by character.
    for (const ch of token) {
      if (widthEm(line + ch) > maxEm && line !== '') push();
      line += ch;
    }
  }
  push();
  return lines.length > 0 ? lines : [''];
}
