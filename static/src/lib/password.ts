// Password rules of the platform (shared/tenancy: at least 10 characters) and a strength hint.

export const MIN_PASSWORD_LENGTH = 10;

export interface Strength {
  /** 0 too short, 1 weak, 2 fair, 3 good, 4 strong. */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  color: string;
  /** One line on how to make it stronger, or "" when strong. */
  hint: string;
}

const LEVELS: Omit<Strength, 'hint'>[] = [
  { score: 0, label: 'Too short', color: 'red' },
  { score: 1, label: 'Weak', color: 'orange' },
  { score: 2, label: 'Fair', color: 'yellow' },
  { score: 3, label: 'Good', color: 'teal' },
  { score: 4, label: 'Strong', color: 'green' },
];

/** Length in characters (code points), as the server counts. */
export function passwordLength(pw: string): number {
  return Array.from(pw).length;
}

function characterClasses(pw: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(pw)).length;
}

/** True for passwords made of one repeated character, a run like "abcdef"/"123456", or a well-known word. */
function predictable(pw: string): boolean {
  const lower = pw.toLowerCase();
  if (/^(.)\1*$/.test(pw)) return true;
  if (/^(password|passwort|qwerty|letmein|welcome|admin|changeme)/.test(lower)) return true;
  let run = 1;
  for (let i = 1; i < lower.length; i++) {
    const step = lower.charCodeAt(i) - lower.charCodeAt(i - 1);
    run = step === 1 || step === -1 ? run + 1 : 1;
    if (run >= 6 && run >= lower.length - 2) return true;
  }
  return false;
}

/** A rough strength estimate for the hint under a password field; the server only checks the length. */
export function passwordStrength(pw: string): Strength {
  const len = passwordLength(pw);
  if (len < MIN_PASSWORD_LENGTH) {
    const left = MIN_PASSWORD_LENGTH - len;
    return { ...LEVELS[0], hint: `At least ${MIN_PASSWORD_LENGTH} characters (${left} more).` };
  }
  const classes = characterClasses(pw);
  let score = 1;
  if (len >= 14) score++;
  if (classes >= 3) score++;
  if (len >= 18 || (classes === 4 && len >= 12)) score++;
  if (predictable(pw)) score = 1;
  const s = Math.min(score, 4) as Strength['score'];
  let hint = '';
  if (s === 1 && predictable(pw)) hint = 'Easy to guess: avoid repeated characters, runs and common words.';
  else if (s < 4) hint = len < 14 ? 'Longer is stronger: 14 or more characters, or mix cases, digits and symbols.' : 'Mix upper and lower case, digits and symbols.';
  return { ...LEVELS[s], hint };
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_!?';

/** A random password of `length` characters (no look-alikes such as l/1, O/0). */
export function generatePassword(length = 16, rand: (n: number) => Uint32Array = randomWords): string {
  const words = rand(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[words[i] % ALPHABET.length];
  return out;
}

function randomWords(n: number): Uint32Array {
  return globalThis.crypto.getRandomValues(new Uint32Array(n));
}

/** Removes Go package prefixes from server messages: "tenancy: invalid email" → "Invalid email". */
export function serverMessage(msg: string): string {
  let m = msg.trim();
  while (/^[a-z][a-z0-9_]*: /.test(m)) m = m.replace(/^[a-z][a-z0-9_]*: /, '');
  return m ? m[0].toUpperCase() + m.slice(1) : msg;
}
