// The markdown tables of docs/reliability.md, read back: a table line's cells, and how the committed
// rows differ from the measured ones (the matrix and the hostile-host sections both check this way).

/** Splits a markdown table line into cells, keeping escaped pipes inside a cell. */
export function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '\\' && inner[i + 1] === '|') {
      cur += '\\|';
      i++;
    } else if (c === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

/** The differences between the doc's rows `have` and the measured rows `want`, one line each; empty when they agree. */
export function rowDiff(have: string[][], want: string[][]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const h = have[i];
    const w = want[i];
    if (!h) out.push(`missing row ${i + 1}: | ${w!.join(' | ')} |`);
    else if (!w) out.push(`extra row ${i + 1}: | ${h.join(' | ')} |`);
    else if (h.join('\u0000') !== w.join('\u0000')) out.push(`row ${i + 1}: the doc says | ${h.join(' | ')} |, measured | ${w.join(' | ')} |`);
  }
  return out;
}
