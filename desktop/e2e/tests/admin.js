// The demo tenant's admin, driven through the API from the tests. The harness
// only passes the agent's credentials, so the admin's password is set here
// through forgot password with the code read from the SES emulator.
const ADMIN_EMAIL = 'admin@demo.agentdesk.test';

export class Admin {
  constructor(api, ses, agentEmail) {
    this.api = api;
    this.ses = ses;
    this.agentEmail = agentEmail;
    this.email = process.env.E2E_ADMIN_EMAIL || ADMIN_EMAIL;
    this.password = process.env.E2E_ADMIN_PASSWORD || '';
    this.token = '';
  }

  async call(method, path, body, { ok = true } = {}) {
    const res = await fetch(this.api + path, {
      method,
      headers: { 'Content-Type': 'application/json', ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (ok && !res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: json };
  }

  async signIn() {
    if (this.token) return;
    if (!this.password) await this.resetPassword();
    const r = await this.call('POST', '/v1/auth/login', {
      email: this.email, password: this.password, device: { id: 'e2e-admin', name: 'e2e', platform: 'linux' },
    });
    this.token = r.body.access_token;
  }

  async resetPassword() {
    const since = Math.floor(Date.now() / 1000) - 1;
    await this.call('POST', '/v1/auth/password/forgot', { email: this.email });
    let code = '';
    for (let i = 0; i < 100 && !code; i++) {
      const store = await (await fetch(`${this.ses}/store?since=${since}`)).json();
      for (const m of (store.emails || []).reverse()) {
        if (!(m.destination?.to || []).some((to) => to.includes(this.email))) continue;
        const c = `${m.subject} ${m.body?.text || ''}`.match(/\b(\d{6})\b/);
        if (c) { code = c[1]; break; }
      }
      if (!code) await new Promise((r) => setTimeout(r, 200));
    }
    if (!code) throw new Error(`no reset code for ${this.email} in the SES emulator`);
    const pw = 'E2e-admin-password-' + Date.now();
    await this.call('POST', '/v1/auth/password/reset', { email: this.email, code, new_password: pw });
    this.password = pw;
  }

  tenant() { return this.call('GET', '/v1/admin/tenant').then((r) => r.body); }
  putTenant(t) { return this.call('PUT', '/v1/admin/tenant', t).then((r) => r.body); }

  async agent() {
    const r = await this.call('GET', `/v1/admin/users?search=${encodeURIComponent(this.agentEmail)}`);
    const u = r.body.users.find((u) => u.email === this.agentEmail);
    if (!u) throw new Error(`no user ${this.agentEmail}`);
    return u;
  }
  queues() { return this.call('GET', '/v1/admin/queues').then((r) => r.body.queues); }
  patchUser(id, req, opts) { return this.call('PATCH', `/v1/admin/users/${id}`, req, opts); }
}
