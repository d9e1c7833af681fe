// The view contract, mirrored from desktop/internal/view/view.go. The Go side
// owns every transition; the frontend renders the State it gets back from each
// bound method call and from the "view" event. Keep this file in step with
// view.go: field names are the JSON names there.

export const Steps = {
  loading: 'loading',
  server: 'server',
  email: 'email',
  password: 'password',
  microsoft: 'microsoft', // reserved (Entra ID issue)
  teamsSignIn: 'teams_signin', // reserved (Entra ID issue)
  forgotEmail: 'forgot_email',
  forgotCode: 'forgot_code',
  forgotDone: 'forgot_done',
  station: 'station',
  team: 'team',
  takeover: 'takeover',
  tasks: 'tasks',
} as const
export type Step = (typeof Steps)[keyof typeof Steps]

export const Modals = {
  none: '',
  takenOver: 'taken_over',
  inactivity: 'inactivity',
} as const
export type Modal = (typeof Modals)[keyof typeof Modals]

export const Notices = {
  none: '',
  credentialsNotSaved: 'credentials_not_saved',
  credentialsSaved: 'credentials_saved',
  codeSent: 'code_sent',
  signedOut: 'signed_out',
  sessionExpired: 'session_expired',
} as const
export type Notice = (typeof Notices)[keyof typeof Notices]

export type StationMode = 'dial_number' | 'extension' | 'desktop'
export const StationModes: readonly StationMode[] = ['dial_number', 'extension', 'desktop']

export type Language = 'en' | 'fr' | 'pt-BR'
export type Platform = 'windows' | 'darwin' | 'linux'

/** Go time.Time as JSON: RFC 3339; the zero time means "not set". */
export type GoTime = string

export interface Details {
  what: string
  status?: number
  code?: string
  message?: string
  request_id?: string
  time: GoTime
  app_version: string
  server: string
}

export interface ViewError {
  code: string
  field?: string
  retry_after?: number
  reason?: string
  details?: Details
}

export interface Station {
  modes: StationMode[] | null
  mode: StationMode | ''
  dial_number: string
  extension: string
  default_dial_number: string
  locked: boolean
  remember: boolean
}

export interface Team {
  id: string
  name: string
}

export interface Holder {
  device_name: string
  platform: string
  since: GoTime
  on_call: boolean
}

export interface Queue {
  name: string
  kind: string // voice | chat
  channels: string[] | null // webchat | whatsapp
}

export interface Banner {
  id: string
  severity: string
  message: string
  features_unavailable: boolean
}

export interface Tasks {
  agent_name: string
  tenant_name: string
  illustration: string
  agent_state: string // available | idle
  idle_reason: string // break | lunch | meeting | training
  station: Station
  team_name: string
  queues: Queue[] | null
  omnichannel_enabled: boolean
  omnichannel_available: boolean
  banners: Banner[] | null
}

export interface ConnectivityState {
  reconnecting: boolean
  retry_at?: GoTime
}

/** The softphone's registration (view.Phone*). */
export type Registration = 'registering' | 'registered' | 'reconnecting' | 'failed'
/** Why the registration failed. */
export type RegistrationReason = 'auth' | 'unreachable' | 'not_configured' | 'error'
export type CallState = 'ringing' | 'calling' | 'in_call' | 'held' | 'remote_held'

export interface CallStats {
  rtt_ms: number
  jitter_ms: number
  loss_pct: number
  /** 1..4.5; 0 = not known yet */
  mos: number
  codec: string
}

export interface PhoneCall {
  id: string
  direction: 'incoming' | 'outgoing' | string
  remote: string
  state: CallState | string
  muted: boolean
  /** zero until in_call: the call timer counts from here */
  answered_at?: GoTime
  stats?: CallStats | null
}

/** A failed call action: dial | answer | decline | hangup | hold | resume | mute | dtmf | transfer | devices */
export interface PhoneError {
  action: string
  detail?: string
}

export interface AudioDevice {
  id: string
  name: string
  default: boolean
}

export interface AudioChoice {
  microphone: string
  speaker: string
  ringtone: string
}

export interface AudioDevices {
  microphones: AudioDevice[] | null
  speakers: AudioDevice[] | null
  choice: AudioChoice
}

/** The Desktop station's softphone (absent on the other stations). */
export interface Phone {
  registration: Registration | string
  reason?: RegistrationReason | string
  detail?: string
  extension?: string
  call?: PhoneCall | null
  error?: PhoneError | null
  devices: AudioDevices
}

export interface State {
  /** Grows with every change on the Go side: a lower one is stale. */
  seq?: number
  step: Step | string
  busy: boolean
  error?: ViewError | null
  notice?: Notice | string
  reason?: string
  server: string
  email: string
  language: Language | string
  platform: Platform | string
  version: string
  station?: Station | null
  teams?: Team[] | null
  team_id?: string
  holder?: Holder | null
  tasks?: Tasks | null
  modal?: Modal | string
  deadline?: GoTime
  link: ConnectivityState
  phone?: Phone | null
}

/** The state shown before Init has answered (and while bindings are missing). */
export function loadingState(language: string = 'en'): State {
  return {
    step: Steps.loading,
    busy: true,
    server: '',
    email: '',
    language,
    platform: '',
    version: '',
    link: { reconnecting: false },
  }
}

/**
 * parseTime reads a Go time.Time. Go's omitempty does not omit a zero
 * time.Time, so "0001-01-01T00:00:00Z" (and anything unparsable) is null.
 */
export function parseTime(s: GoTime | undefined | null): Date | null {
  if (!s) return null
  const d = new Date(s)
  const ms = d.getTime()
  if (Number.isNaN(ms) || d.getUTCFullYear() <= 1) return null
  return d
}

/** normalize fills in what Go leaves null (nil slices) so the views need no guards. */
export function normalize(s: State): State {
  const out: State = { ...s, link: s.link ?? { reconnecting: false } }
  if (out.station) out.station = normalizeStation(out.station)
  out.teams = out.teams ?? []
  if (out.tasks) {
    out.tasks = {
      ...out.tasks,
      station: normalizeStation(out.tasks.station),
      queues: (out.tasks.queues ?? []).map((q) => ({ ...q, channels: q.channels ?? [] })),
      banners: out.tasks.banners ?? [],
    }
  }
  if (out.phone) {
    const d = out.phone.devices
    out.phone = {
      ...out.phone,
      devices: {
        microphones: d?.microphones ?? [],
        speakers: d?.speakers ?? [],
        choice: d?.choice ?? { microphone: '', speaker: '', ringtone: '' },
      },
    }
  }
  return out
}

function normalizeStation(st: Station | null | undefined): Station {
  return {
    modes: st?.modes ?? [],
    mode: st?.mode ?? '',
    dial_number: st?.dial_number ?? '',
    extension: st?.extension ?? '',
    default_dial_number: st?.default_dial_number ?? '',
    locked: st?.locked ?? false,
    remember: st?.remember ?? false,
  }
}
