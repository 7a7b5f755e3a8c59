// A login token for this user. Your backend mints it (POST /api/v1/apps/{app}/tokens
// with the app key, which never reaches a page) and hands it to the signed-in user;
// this example asks the demo server's stand-in for such a backend instead.
export interface TokenReply {
  err: number;
  msg: string;
  token?: string;
  expireAt?: number;
}

export type Role = 'customer' | 'agent' | 'supervisor';

export async function token(UID: string, nickName: string, role: Role): Promise<string> {
  const r = await fetch('/api/v1/demo/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ UID, nickName, roles: [role] }),
  });
  const reply = (await r.json()) as TokenReply;
  if (reply.err !== 0 || !reply.token) throw new Error(`no token: ${reply.err} ${reply.msg}`);
  return reply.token;
}
