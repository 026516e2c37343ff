/**
 * A tiny well-formedness check for the SVG that `plots.ts` emits (used by tests and by anyone who
 * wants to check a report figure without an XML parser): balanced, properly nested tags, quoted
 * attributes, no stray '<' / '>' or unescaped '&' in text, and every geometric attribute a finite
 * number. Returns the problems found (empty when the document passes).
 */
const GEOMETRY = new Set(['x', 'y', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'r', 'width', 'height']);

export function svgProblems(svg: string): string[] {
  const problems: string[] = [];
  if (!/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(svg)) problems.push('does not start with <svg xmlns="http://www.w3.org/2000/svg"');
  const stack: string[] = [];
  const tagRe = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const checkText = (text: string) => {
    if (/[<>]/.test(text)) problems.push(`stray angle bracket in text ${JSON.stringify(text.slice(0, 60))}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) problems.push(`unescaped & in text ${JSON.stringify(text.slice(0, 60))}`);
  };
  while ((m = tagRe.exec(svg))) {
    checkText(svg.slice(last, m.index));
    last = tagRe.lastIndex;
    const [, close, name, attrs, selfClose] = m;
    for (const a of attrs!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (GEOMETRY.has(a[1]!) && !Number.isFinite(Number(a[2]))) problems.push(`<${name}> attribute ${a[1]}="${a[2]}" is not a finite number`);
    }
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else if (!selfClose) stack.push(name!);
  }
  checkText(svg.slice(last));
  if (stack.length) problems.push(`unclosed tags: ${stack.join(', ')}`);
  return problems;
}
