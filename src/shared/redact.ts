/** Removes passwords (and usernames' secrets) from connection URLs before they are logged or shown. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
  }
}
