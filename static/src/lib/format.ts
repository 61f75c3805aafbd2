// Formatters shared by the screens. Pure functions: easy to test, no locale surprises.

const NBSP = '\u00a0';

/**
 * Milliseconds of an RFC 3339 timestamp, or NaN when missing, unparsable, or a zero time such as
 * Go's "0001-01-01T00:00:00Z" (anything before 1970 counts as unset).
 */
export function parseTime(iso: string | null | undefined): number {
  if (!iso) return Number.NaN;
  const t = Date.parse(iso);
  return Number.isNaN(t) || t < 0 ? Number.NaN : t;
}

/** Whole-number counts with thousands separators: 541909 → "541,909"; missing → "—". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** Short counts for tight spaces: 999 → "999", 1234 → "1.2K", 541909 → "542K", 2.5e6 → "2.5M". */
export function formatCompactCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  const units: [number, string][] = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, suffix] of units) {
    if (abs >= size) {
      const v = n / size;
      const digits = Math.abs(v) >= 100 ? 0 : 1;
      return `${trimZero(v.toFixed(digits))}${suffix}`;
    }
  }
  return String(Math.round(n));
}

/** Byte sizes in binary units with one decimal: 0 → "0 B", 1536 → "1.5 KB", 7611818 → "7.3 MB". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${Math.round(v)}${NBSP}B`;
  const digits = v >= 100 ? 0 : 1;
  return `${trimZero(v.toFixed(digits))}${NBSP}${units[i]}`;
}

/**
 * Durations for people: 0.42 → "0.4 s", 12 → "12 s", 185 → "3 min 5 s", 3725 → "1 h 2 min",
 * 90061 → "1 d 1 h". Missing or negative → "—".
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 10) {
    const v = Math.round(seconds * 10) / 10;
    return `${trimZero(v.toFixed(1))}${NBSP}s`;
  }
  const total = Math.round(seconds);
  if (total < 60) return `${total}${NBSP}s`;
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return h > 0 ? `${d}${NBSP}d ${h}${NBSP}h` : `${d}${NBSP}d`;
  if (h > 0) return m > 0 ? `${h}${NBSP}h ${m}${NBSP}min` : `${h}${NBSP}h`;
  return s > 0 ? `${m}${NBSP}min ${s}${NBSP}s` : `${m}${NBSP}min`;
}

/** Seconds between two RFC 3339 timestamps (end defaults to now), or null when unknown. */
export function secondsBetween(start: string | null | undefined, end?: string | null, now = Date.now()): number | null {
  const a = parseTime(start);
  const b = end ? parseTime(end) : now;
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return Math.max(0, (b - a) / 1000);
}

export interface DateFormatOptions {
  timeZone?: string;
}

/** "26 Nov 2026, 16:31:20" in the viewer's (or the given) time zone; missing → "—". */
export function formatDateTime(iso: string | null | undefined, opts: DateFormatOptions = {}): string {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return '—';
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone: opts.timeZone,
  }).format(new Date(t));
}

/** "16:31:20" (time of day only). */
export function formatTime(iso: string | null | undefined, opts: DateFormatOptions = {}): string {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return '—';
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone: opts.timeZone,
  }).format(new Date(t));
}

/** "just now", "5 s ago", "3 min ago", "2 h ago", "4 d ago", then the date. */
export function formatRelative(iso: string | null | undefined, now = Date.now(), opts: DateFormatOptions = {}): string {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return '—';
  const diff = Math.round((now - t) / 1000);
  if (diff < -60) return formatDateTime(iso, opts); // in the future: clocks disagree
  if (diff < 5) return 'just now';
  if (diff < 60) return `${diff}${NBSP}s ago`;
  if (diff < 3600) return `${Math.floor(diff / 60)}${NBSP}min ago`;
  if (diff < 86400) return `${Math.floor(diff / 3600)}${NBSP}h ago`;
  if (diff < 30 * 86400) return `${Math.floor(diff / 86400)}${NBSP}d ago`;
  return formatDateTime(iso, opts);
}

/** A preview cell as text: null → "NULL" (shown dimmed by the caller), objects as JSON. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function trimZero(s: string): string {
  return s.includes('.') ? s.replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1') : s;
}
