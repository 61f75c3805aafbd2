import { describe, expect, it } from 'vitest';
import { generatePassword, passwordLength, passwordStrength, serverMessage } from './password';

describe('password helpers', () => {
  it.each([
    ['', 0, 'Too short'],
    ['abc', 0, 'Too short'],
    ['ab12ab12a', 0, 'Too short'],
    ['abcdefghij', 1, 'Weak'], // a plain run of letters
    ['aaaaaaaaaaaa', 1, 'Weak'],
    ['Password1234!', 1, 'Weak'], // a well-known word
    ['kettle-bean', 1, 'Weak'],
    ['kettle-bean-ferry', 2, 'Fair'],
    ['Kettle-bean7', 3, 'Good'], // 12 chars, all four classes
    ['Kettle-bean-ferry-7', 4, 'Strong'],
    ['Correct-Horse-42', 4, 'Strong'],
  ])('rates %j as %i (%s)', (pw, score, label) => {
    const s = passwordStrength(pw);
    expect(s.score).toBe(score);
    expect(s.label).toBe(label);
  });

  it('says how many characters are missing', () => {
    expect(passwordStrength('abcd').hint).toBe('At least 10 characters (6 more).');
    expect(passwordStrength('Kettle-bean-ferry-7').hint).toBe('');
  });

  it('counts characters, not bytes, like the server', () => {
    expect(passwordLength('ünïcödé')).toBe(7);
    expect(passwordLength('🔑🔑')).toBe(2);
    expect(passwordStrength('ünïcödé-ok').score).toBeGreaterThan(0);
  });

  it('generates passwords of the requested length from the alphabet', () => {
    const fixed = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);
    expect(generatePassword(5, fixed)).toBe('ABCDE');
    const pw = generatePassword(16);
    expect(pw).toHaveLength(16);
    expect(pw).toMatch(/^[A-HJ-NP-Za-km-z2-9\-_!?]+$/);
    expect(generatePassword(16)).not.toBe(pw);
  });

  it('drops Go package prefixes from server messages', () => {
    expect(serverMessage('tenancy: password must have at least 10 characters')).toBe('Password must have at least 10 characters');
    expect(serverMessage('api: tenancy: invalid email address')).toBe('Invalid email address');
    expect(serverMessage('Already fine: keep')).toBe('Already fine: keep');
  });
});
