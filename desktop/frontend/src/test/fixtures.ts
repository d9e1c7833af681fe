// State fixtures, one per step, as the Go side would send them.
import type { Phone, State } from '../lib/state'

export const ZERO_TIME = '0001-01-01T00:00:00Z'

export function base(over: Partial<State> = {}): State {
  return {
    step: 'server',
    busy: false,
    server: 'https://agentdesk.example.com',
    email: 'ana@example.com',
    language: 'en',
    platform: 'linux',
    version: '1.2.3',
    deadline: ZERO_TIME,
    link: { reconnecting: false, retry_at: ZERO_TIME },
    ...over,
  }
}

export const station = {
  modes: ['dial_number', 'extension', 'desktop'] as ('dial_number' | 'extension' | 'desktop')[],
  mode: '' as const,
  dial_number: '',
  extension: '',
  default_dial_number: '+14155550123',
  locked: false,
  remember: false,
}

export const teams = [
  { id: 't1', name: 'Billing' },
  { id: 't2', name: 'Sales – Europe' },
  { id: 't3', name: 'Sales – Americas' },
  { id: 't4', name: 'Support' },
  { id: 't5', name: 'Équipe Réclamations' },
]

export const tasks = {
  agent_name: 'Ana Souza',
  tenant_name: 'Acme Corp',
  illustration: 'https://cdn.example.com/bg.png',
  agent_state: 'available',
  idle_reason: '',
  station: { ...station, mode: 'dial_number' as const, dial_number: '+14155550123' },
  team_name: 'Billing',
  queues: [
    { name: 'Billing voice', kind: 'voice', channels: null },
    { name: 'Web help', kind: 'chat', channels: ['webchat', 'whatsapp'] },
  ],
  omnichannel_enabled: true,
  omnichannel_available: true,
  banners: [],
}

export const holder = {
  device_name: 'DESK-42',
  platform: 'windows',
  since: new Date(Date.now() - 5 * 60_000).toISOString(),
  on_call: true,
}

export const desktopTasks = { ...tasks, station: { ...tasks.station, mode: 'desktop' as const, dial_number: '' } }

/** phoneFixture is the Desktop station's phone, registered, with devices. */
export function phoneFixture(over: Partial<Phone> = {}): Phone {
  return {
    registration: 'registered',
    extension: '1001',
    devices: {
      microphones: [{ id: 'mic-1', name: 'USB headset', default: true }],
      speakers: [{ id: 'spk-1', name: 'USB headset', default: true }],
      choice: { microphone: '', speaker: '', ringtone: '' },
    },
    ...over,
  }
}

/** One fixture for every step of the contract (and the modals). */
export function everyStep(): Record<string, State> {
  return {
    loading: base({ step: 'loading', busy: true }),
    server: base({ step: 'server', server: '' }),
    server_error: base({
      step: 'server',
      error: {
        code: 'not_agentdesk',
        details: {
          what: 'GET /v1/health',
          status: 404,
          time: new Date().toISOString(),
          app_version: '1.2.3',
          server: 'https://agentdesk.example.com',
        },
      },
    }),
    email: base({ step: 'email', notice: 'signed_out', reason: 'admin_edit' }),
    password: base({ step: 'password', error: { code: 'too_many_attempts', retry_after: 90 } }),
    forgot_email: base({ step: 'forgot_email', error: { code: 'self_managed' } }),
    forgot_code: base({ step: 'forgot_code', notice: 'code_sent', error: { code: 'weak_password', reason: 'common' } }),
    forgot_done: base({ step: 'forgot_done' }),
    station: base({ step: 'station', station, notice: 'credentials_not_saved', error: { code: 'dial_number_in_use' } }),
    team: base({ step: 'team', teams, team_id: 't1', notice: 'credentials_saved' }),
    takeover: base({ step: 'takeover', holder }),
    tasks: base({
      step: 'tasks',
      tasks: {
        ...tasks,
        omnichannel_available: false,
        queues: [],
        banners: [{ id: 'b1', severity: 'warning', message: 'Chat is down', features_unavailable: true }],
      },
      link: { reconnecting: true, retry_at: new Date(Date.now() + 5000).toISOString() },
      error: {
        code: 'load_failed',
        details: {
          what: 'GET /v1/me',
          status: 503,
          code: 'internal',
          request_id: 'req-123',
          time: new Date().toISOString(),
          app_version: '1.2.3',
          server: 'https://agentdesk.example.com',
        },
      },
    }),
    taken_over: base({ step: 'tasks', tasks, modal: 'taken_over', holder }),
    inactivity: base({ step: 'tasks', tasks, modal: 'inactivity', deadline: new Date(Date.now() + 60_000).toISOString() }),
    phone_failed: base({ step: 'tasks', tasks: desktopTasks, phone: phoneFixture({ registration: 'failed', reason: 'auth', error: { action: 'dial', detail: '404' } }) }),
    phone_ringing: base({
      step: 'tasks',
      tasks: desktopTasks,
      phone: phoneFixture({ call: { id: 'c1', direction: 'incoming', remote: 'customer', state: 'ringing', muted: false, answered_at: ZERO_TIME } }),
    }),
    phone_in_call: base({
      step: 'tasks',
      tasks: desktopTasks,
      phone: phoneFixture({
        call: {
          id: 'c1',
          direction: 'incoming',
          remote: 'customer',
          state: 'held',
          muted: true,
          answered_at: new Date(Date.now() - 65_000).toISOString(),
          stats: { rtt_ms: 40, jitter_ms: 2, loss_pct: 0, mos: 4.4, codec: 'opus' },
        },
      }),
    }),
    microsoft: base({ step: 'microsoft', error: { code: 'microsoft_unavailable' } }),
    teams_signin: base({ step: 'teams_signin' }),
    load_failed: base({
      step: 'loading',
      error: {
        code: 'network_error',
        details: {
          what: 'POST /v1/auth/refresh',
          message: 'dial tcp 127.0.0.1:3000: connect: connection refused',
          time: new Date().toISOString(),
          app_version: '1.2.3',
          server: 'https://agentdesk.example.com',
        },
      },
    }),
  }
}
