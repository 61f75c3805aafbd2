// The wizard's editing of a dataset model, as pure functions over the saved shape (api/datasets.ts):
// tables, columns with roles, joins and filters. The server validates the model; these keep the
// draft consistent while it is edited (a removed table takes its columns, joins and filters along;
// a column is the subject of one filter only; a key role belongs to one column).

import type { ColumnRef, ColumnRole, Dataset, DatasetView, Filter, FilterKind, Join, JoinType, RoleSuggestion, SelectedColumn, TableRef } from '../../api/datasets';

export const ROLES: { value: ColumnRole; label: string }[] = [
  { value: 'customer_id', label: 'Customer ID' },
  { value: 'product_id', label: 'Product ID' },
  { value: 'timestamp', label: 'Timestamp' },
  { value: 'revenue', label: 'Revenue' },
  { value: 'quantity', label: 'Quantity' },
  { value: 'category', label: 'Category' },
  { value: 'other', label: 'Other' },
];

/** Roles one column at most may have: giving one to a column takes it from the others. */
export const UNIQUE_ROLES: ReadonlySet<string> = new Set<ColumnRole>(['customer_id', 'product_id', 'timestamp', 'revenue', 'quantity']);

export function roleLabel(role: string | undefined): string {
  return ROLES.find((r) => r.value === role)?.label ?? '';
}

export const colKey = (c: ColumnRef) => `${c.table}.${c.column}`;
export const sameCol = (a: ColumnRef | undefined, b: ColumnRef | undefined) => !!a && !!b && a.table === b.table && a.column === b.column;
export const tableKey = (t: TableRef) => `${t.dataset}.${t.table}`;

export function emptyDataset(): Dataset {
  return {
    name: '',
    description: '',
    primary_table: { dataset: '', table: '' },
    secondary_tables: [],
    joins: [],
    columns: [],
    filters: [],
    split: { kind: 'time_holdout', holdout_days: 30 },
  };
}

/** The editable model of a saved dataset (the view's extra fields dropped). */
export function datasetOf(v: DatasetView | Dataset): Dataset {
  return {
    name: v.name,
    description: v.description ?? '',
    primary_table: v.primary_table,
    secondary_tables: v.secondary_tables ?? [],
    joins: v.joins ?? [],
    columns: v.columns ?? [],
    filters: v.filters ?? [],
    split: v.split?.kind ? v.split : { kind: 'time_holdout', holdout_days: 30 },
  };
}

/** Every table of the draft, the primary first. */
export function tablesOf(d: Dataset): TableRef[] {
  return d.primary_table.table ? [d.primary_table, ...(d.secondary_tables ?? [])] : [...(d.secondary_tables ?? [])];
}

/** Keeps only what refers to the tables named in `names`. */
function pruneTo(d: Dataset, names: Set<string>): Dataset {
  const on = (c?: ColumnRef) => !c || names.has(c.table);
  return {
    ...d,
    joins: (d.joins ?? []).filter((j) => names.has(j.left.table) && names.has(j.right.table)),
    columns: (d.columns ?? []).filter((c) => names.has(c.table)),
    filters: (d.filters ?? []).filter((f) => on(f.column)),
  };
}

/** Makes `t` the primary table; it stops being a secondary one. */
export function setPrimary(d: Dataset, t: TableRef): Dataset {
  const secondary = (d.secondary_tables ?? []).filter((s) => s.table !== t.table);
  const next = { ...d, primary_table: t, secondary_tables: secondary };
  return pruneTo(next, new Set(tablesOf(next).map((x) => x.table)));
}

/** Adds or removes a secondary table; removing it drops its columns, joins and filters. */
export function toggleSecondary(d: Dataset, t: TableRef): Dataset {
  const has = (d.secondary_tables ?? []).some((s) => s.table === t.table);
  if (!has && d.primary_table.table === t.table) return d;
  const secondary = has ? (d.secondary_tables ?? []).filter((s) => s.table !== t.table) : [...(d.secondary_tables ?? []), t];
  const next = { ...d, secondary_tables: secondary };
  return pruneTo(next, new Set(tablesOf(next).map((x) => x.table)));
}

export function isSelected(d: Dataset, c: ColumnRef): boolean {
  return (d.columns ?? []).some((s) => sameCol(s, c));
}

/** Selects or unselects a column; an unselected column loses its filters too. */
export function toggleColumn(d: Dataset, c: ColumnRef): Dataset {
  if (isSelected(d, c)) {
    return {
      ...d,
      columns: (d.columns ?? []).filter((s) => !sameCol(s, c)),
      filters: (d.filters ?? []).filter((f) => !sameCol(f.column, c)),
    };
  }
  return { ...d, columns: [...(d.columns ?? []), { table: c.table, column: c.column }] };
}

/** Gives `c` a role (selecting it); a unique role is taken from the column that had it. */
export function setRole(d: Dataset, c: ColumnRef, role: ColumnRole | ''): Dataset {
  const base = isSelected(d, c) ? d : toggleColumn(d, c);
  const columns = (base.columns ?? []).map((s): SelectedColumn => {
    if (sameCol(s, c)) return { ...s, role };
    if (role && UNIQUE_ROLES.has(role) && s.role === role) return { ...s, role: '' };
    return s;
  });
  return { ...base, columns };
}

export function roleOf(d: Dataset, c: ColumnRef): ColumnRole | '' {
  return (d.columns ?? []).find((s) => sameCol(s, c))?.role ?? '';
}

/**
 * Pre-fills roles from the server's suggestions: for each role not yet given, the best-scored
 * suggestion of a column that has no role; that column is selected. Answers the draft and the
 * suggestions applied (to show their confidence next to the pickers).
 */
export function applyRoleSuggestions(d: Dataset, suggestions: RoleSuggestion[]): { dataset: Dataset; applied: RoleSuggestion[] } {
  let next = d;
  const applied: RoleSuggestion[] = [];
  const taken = new Set((d.columns ?? []).map((c) => c.role).filter(Boolean));
  const byScore = [...suggestions].sort((a, b) => b.score - a.score);
  for (const s of byScore) {
    if (taken.has(s.role) || roleOf(next, s.column)) continue;
    next = setRole(next, s.column, s.role);
    taken.add(s.role);
    applied.push(s);
  }
  return { dataset: next, applied };
}

/** Why a join between two columns cannot be added, or null. */
export function joinProblem(d: Dataset, a: ColumnRef, b: ColumnRef): string | null {
  if (a.table === b.table) return 'A join connects two different tables.';
  const names = new Set(tablesOf(d).map((t) => t.table));
  if (!names.has(a.table) || !names.has(b.table)) return 'Both tables must be part of the dataset.';
  if ((d.joins ?? []).some((j) => (sameCol(j.left, a) && sameCol(j.right, b)) || (sameCol(j.left, b) && sameCol(j.right, a)))) {
    return 'These columns are already joined.';
  }
  return null;
}

/**
 * Adds a join of `a` and `b`. The side whose table is already reachable from the primary table
 * through the joins is the left one (the primary side), so the compiler can add the other table.
 */
export function addJoin(d: Dataset, a: ColumnRef, b: ColumnRef, type: JoinType = 'inner'): Dataset {
  if (joinProblem(d, a, b)) return d;
  const reach = reachable(d);
  const [left, right] = reach.has(b.table) && !reach.has(a.table) ? [b, a] : [a, b];
  return { ...d, joins: [...(d.joins ?? []), { left, right, type }] };
}

export function removeJoin(d: Dataset, index: number): Dataset {
  return { ...d, joins: (d.joins ?? []).filter((_, i) => i !== index) };
}

export function setJoinType(d: Dataset, index: number, type: JoinType): Dataset {
  return { ...d, joins: (d.joins ?? []).map((j, i): Join => (i === index ? { ...j, type } : j)) };
}

/** The tables the joins connect to the primary table (the primary included). */
export function reachable(d: Dataset): Set<string> {
  const seen = new Set<string>(d.primary_table.table ? [d.primary_table.table] : []);
  let grew = true;
  while (grew) {
    grew = false;
    for (const j of d.joins ?? []) {
      const l = seen.has(j.left.table);
      const r = seen.has(j.right.table);
      if (l !== r) {
        seen.add(l ? j.right.table : j.left.table);
        grew = true;
      }
    }
  }
  return seen;
}

/** Secondary tables no join connects to the primary table. */
export function unjoinedTables(d: Dataset): string[] {
  const reach = reachable(d);
  return (d.secondary_tables ?? []).map((t) => t.table).filter((t) => !reach.has(t));
}

export const ROW_FILTERS: ReadonlySet<FilterKind> = new Set<FilterKind>(['date', 'category', 'numeric']);

/** Columns other filters than the one at `except` are about (a column is the subject of one filter). */
export function usedColumns(filters: Filter[], except = -1): Set<string> {
  const used = new Set<string>();
  filters.forEach((f, i) => {
    if (i !== except && f.column && ROW_FILTERS.has(f.kind)) used.add(colKey(f.column));
  });
  return used;
}

/** The selected columns the filter at `index` may choose (those no other filter uses). */
export function filterColumnChoices(d: Dataset, index: number): SelectedColumn[] {
  const used = usedColumns(d.filters ?? [], index);
  return (d.columns ?? []).filter((c) => !used.has(colKey(c)));
}

/** A new filter of `kind` with sensible defaults, on a column the others do not use. */
export function newFilter(d: Dataset, kind: FilterKind): Filter {
  const free = filterColumnChoices(d, -1);
  const byRole = (role: ColumnRole) => free.find((c) => c.role === role);
  const pick = (c: SelectedColumn | undefined): ColumnRef | undefined => (c ? { table: c.table, column: c.column } : undefined);
  switch (kind) {
    case 'date':
      return { kind, column: pick(byRole('timestamp') ?? free[0]), last_days: 180 };
    case 'category':
      return { kind, column: pick(byRole('category') ?? free[0]), mode: 'include', values: [] };
    case 'numeric':
      return { kind, column: pick(byRole('quantity') ?? free[0]), op: 'gt', value: 0 };
    case 'top_share':
      return { kind, entity: 'product', percent: 80 };
    case 'entity_metric':
      return { kind, entity: 'customer', metric: 'transactions', min: 2 };
  }
}

export function addFilter(d: Dataset, kind: FilterKind): Dataset {
  return { ...d, filters: [...(d.filters ?? []), newFilter(d, kind)] };
}

/** Replaces the filter at `index`; a column another filter uses is refused (the draft is unchanged). */
export function updateFilter(d: Dataset, index: number, f: Filter): Dataset {
  if (f.column && ROW_FILTERS.has(f.kind) && usedColumns(d.filters ?? [], index).has(colKey(f.column))) return d;
  return { ...d, filters: (d.filters ?? []).map((x, i) => (i === index ? f : x)) };
}

export function removeFilter(d: Dataset, index: number): Dataset {
  return { ...d, filters: (d.filters ?? []).filter((_, i) => i !== index) };
}

/** The model as the API takes it: names trimmed, empty aliases and roles and empty lists left out. */
export function buildModel(d: Dataset): Dataset {
  const columns = (d.columns ?? []).map((c) => {
    const out: SelectedColumn = { table: c.table, column: c.column };
    if (c.alias?.trim()) out.alias = c.alias.trim();
    if (c.role) out.role = c.role;
    return out;
  });
  const model: Dataset = { name: d.name.trim(), primary_table: d.primary_table, split: d.split };
  if (d.description?.trim()) model.description = d.description.trim();
  if (d.secondary_tables?.length) model.secondary_tables = d.secondary_tables;
  if (d.joins?.length) model.joins = d.joins;
  if (columns.length) model.columns = columns;
  if (d.filters?.length) model.filters = d.filters;
  return model;
}

export type Step = 0 | 1 | 2 | 3;

/** What keeps the wizard from leaving `step`, or null. */
export function stepProblem(d: Dataset, step: Step): string | null {
  switch (step) {
    case 0:
      return d.name.trim() ? null : 'Give the dataset a name.';
    case 1:
      return d.primary_table.table ? null : 'Choose the primary table.';
    case 2: {
      const loose = unjoinedTables(d);
      if (loose.length) return `Join ${loose.join(', ')} to the other tables: connect two columns or accept a suggestion.`;
      return null;
    }
    default:
      return null;
  }
}

/**
 * The field of the draft an API error's field is shown next to: the whole name of a field the
 * wizard has a place for (`columns[3]` for `columns[3].alias`), or null when it has none.
 */
export function placeOfField(field: string | undefined): string | null {
  const m = /^(name|description|split|primary_table|(?:secondary_tables|columns|joins|filters)\[\d+\])(?:$|[.[])/.exec(field ?? '');
  return m ? m[1] : null;
}

/** The wizard step an API error's field belongs to (to go back to it). */
export function stepOfField(field: string | undefined): Step | null {
  if (!field) return null;
  if (field === 'name' || field === 'description') return 0;
  if (field.startsWith('primary_table') || field.startsWith('secondary_tables')) return 1;
  if (field.startsWith('joins') || field.startsWith('columns')) return 2;
  if (field.startsWith('filters') || field.startsWith('split')) return 3;
  return null;
}

/**
 * The model a Pareto curve of `entity` is computed on: the top-share filters of that entity left
 * out (the server leaves them out too), so changing their percent does not ask again.
 */
export function paretoModel(d: Dataset, entity: 'product' | 'customer'): Dataset {
  return buildModel({ ...d, filters: (d.filters ?? []).filter((f) => !(f.kind === 'top_share' && f.entity === entity)) });
}

/** How many entities a top-share filter of `percent` keeps on a Pareto curve (the crossing one included). */
export function paretoCut(points: { rank: number; share: number }[], percent: number): { rank: number; share: number } | null {
  if (points.length === 0) return null;
  const target = percent / 100;
  for (const p of points) if (p.share >= target - 1e-12) return p;
  return points[points.length - 1];
}
