/** Cookie names of the approvals page; `__Host-` (Secure, Path=/, no Domain) whenever the cookie is Secure. */
export function cookieNames(secure: boolean) {
  return secure ? { session: '__Host-keyward_session', login: '__Host-keyward_login' } : { session: 'keyward_session', login: 'keyward_login' };
}

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return part.slice(i + 1).trim() || null;
  }
  return null;
}

export interface CookieOptions {
  readonly secure: boolean;
  readonly sameSite: 'Strict' | 'Lax';
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge: number;
}

/** An HttpOnly cookie on Path=/ (values are base64url: nothing to escape). */
export function setCookie(name: string, value: string, o: CookieOptions): string {
  return [`${name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${o.sameSite}`, `Max-Age=${Math.max(0, Math.floor(o.maxAge))}`, ...(o.secure ? ['Secure'] : [])].join('; ');
}
