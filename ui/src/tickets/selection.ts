// Which tickets of the list are picked for a bulk action: click and x toggle one, shift-click
// takes the run from the last one toggled, "select all" the whole view. Immutable sets, so a
// new value is what tells the window to redraw.

export type Picked = ReadonlySet<number>;

/** Picks `n`, or lets it go when it was picked. */
export function toggle(picked: Picked, n: number): Picked {
  const next = new Set(picked);
  if (!next.delete(n)) next.add(n);
  return next;
}

/** Adds every row from `anchor` to `n` (either way round), as shift-click does; without an
 * anchor in the rows it picks `n` alone. */
export function extend(picked: Picked, rows: readonly number[], anchor: number | null, n: number): Picked {
  const to = rows.indexOf(n);
  const from = anchor === null ? -1 : rows.indexOf(anchor);
  if (to < 0) return picked;
  const [a, b] = from < 0 ? [to, to] : [Math.min(from, to), Math.max(from, to)];
  const next = new Set(picked);
  for (let i = a; i <= b; i++) next.add(rows[i]);
  return next;
}
