// A small typed wrapper over the bound Go methods (desktop/app.go) and the
// Wails runtime. It does not use the bindings the Wails CLI generates: Wails
// exposes every bound method as window.go.main.App.<Method>(...args) returning
// a Promise, and the runtime as window.runtime. Neither exists when this
// module is imported in a plain browser, or before the Wails scripts ran, so
// nothing here touches them at import time.

import type { State } from './state'

type Call<A extends unknown[], R> = (...args: A) => Promise<R>

/** The bound methods, as listed at the end of desktop/internal/view/view.go. */
export interface AppBindings {
  Init: Call<[], State>
  SetServer: Call<[url: string], State>
  ChangeServer: Call<[], State>
  SubmitEmail: Call<[email: string], State>
  Back: Call<[], State>
  SubmitPassword: Call<[password: string], State>
  StartForgot: Call<[], State>
  RequestCode: Call<[email: string], State>
  ResetPassword: Call<[code: string, password: string], State>
  PasswordProblem: Call<[password: string], string>
  ChooseStation: Call<[mode: string, dialNumber: string, extension: string, remember: boolean], State>
  NormalizeDialNumber: Call<[s: string], string>
  SubmitTeam: Call<[teamID: string], State>
  Continue: Call<[], State>
  Cancel: Call<[], State>
  SetAgentState: Call<[state: string, reason: string], State>
  StaySignedIn: Call<[], State>
  Activity: Call<[], void>
  SignOut: Call<[], State>
  SetLanguage: Call<[lang: string], State>
  Reload: Call<[], State>
  DetailsText: Call<[], string>
  // the softphone (desktop/phone.go), on the Desktop station
  Dial: Call<[to: string], State>
  Answer: Call<[], State>
  Decline: Call<[], State>
  Hangup: Call<[], State>
  SetMuted: Call<[muted: boolean], State>
  Hold: Call<[], State>
  Resume: Call<[], State>
  SendDTMF: Call<[digits: string], State>
  Transfer: Call<[to: string], State>
  AudioDevices: Call<[], State>
  SetAudioDevices: Call<[microphone: string, speaker: string, ringtone: string], State>
}

/** The parts of the Wails runtime (window.runtime) the frontend uses. */
export interface WailsRuntime {
  EventsOn(event: string, cb: (...data: unknown[]) => void): (() => void) | void
  EventsOff?(event: string, ...more: string[]): void
  ClipboardSetText?(text: string): Promise<boolean>
}

declare global {
  interface Window {
    go?: { main?: { App?: Partial<AppBindings> } }
    runtime?: WailsRuntime
  }
}

function bindings(): Partial<AppBindings> | undefined {
  return typeof window === 'undefined' ? undefined : window.go?.main?.App
}

/** bindingsReady is true once the Go methods and the runtime are in the page. */
export function bindingsReady(): boolean {
  const app = bindings()
  return typeof app?.Init === 'function' && typeof window.runtime?.EventsOn === 'function'
}

/**
 * waitForBindings resolves once bindingsReady(); it polls, since Wails gives
 * no event for it. The signal stops the wait (the promise then never settles).
 */
export function waitForBindings(signal?: AbortSignal, everyMs = 50): Promise<void> {
  return new Promise((resolve) => {
    if (bindingsReady()) return resolve()
    const id = setInterval(() => {
      if (signal?.aborted) return clearInterval(id)
      if (bindingsReady()) {
        clearInterval(id)
        resolve()
      }
    }, everyMs)
  })
}

export class BindingMissingError extends Error {
  constructor(method: string) {
    super(`the Go method ${method} is not bound`)
    this.name = 'BindingMissingError'
  }
}

function call<K extends keyof AppBindings>(
  method: K,
  ...args: Parameters<AppBindings[K]>
): ReturnType<AppBindings[K]> {
  const fn = bindings()?.[method] as ((...a: unknown[]) => ReturnType<AppBindings[K]>) | undefined
  if (typeof fn !== 'function') {
    return Promise.reject(new BindingMissingError(method)) as ReturnType<AppBindings[K]>
  }
  return fn(...args)
}

/** Backend is what the views call: one method per bound Go method. */
export type Backend = AppBindings & {
  /** onView subscribes to the "view" event; the returned function unsubscribes. */
  onView(cb: (s: State) => void): () => void
  /** copyText puts text on the clipboard (Wails runtime first, then the browser). */
  copyText(text: string): Promise<boolean>
}

export const backend: Backend = {
  Init: () => call('Init'),
  SetServer: (url) => call('SetServer', url),
  ChangeServer: () => call('ChangeServer'),
  SubmitEmail: (email) => call('SubmitEmail', email),
  Back: () => call('Back'),
  SubmitPassword: (pw) => call('SubmitPassword', pw),
  StartForgot: () => call('StartForgot'),
  RequestCode: (email) => call('RequestCode', email),
  ResetPassword: (code, pw) => call('ResetPassword', code, pw),
  PasswordProblem: (pw) => call('PasswordProblem', pw),
  ChooseStation: (mode, dial, ext, remember) => call('ChooseStation', mode, dial, ext, remember),
  NormalizeDialNumber: (s) => call('NormalizeDialNumber', s),
  SubmitTeam: (id) => call('SubmitTeam', id),
  Continue: () => call('Continue'),
  Cancel: () => call('Cancel'),
  SetAgentState: (state, reason) => call('SetAgentState', state, reason),
  StaySignedIn: () => call('StaySignedIn'),
  Activity: () => call('Activity'),
  SignOut: () => call('SignOut'),
  SetLanguage: (lang) => call('SetLanguage', lang),
  Reload: () => call('Reload'),
  DetailsText: () => call('DetailsText'),
  Dial: (to) => call('Dial', to),
  Answer: () => call('Answer'),
  Decline: () => call('Decline'),
  Hangup: () => call('Hangup'),
  SetMuted: (muted) => call('SetMuted', muted),
  Hold: () => call('Hold'),
  Resume: () => call('Resume'),
  SendDTMF: (digits) => call('SendDTMF', digits),
  Transfer: (to) => call('Transfer', to),
  AudioDevices: () => call('AudioDevices'),
  SetAudioDevices: (mic, speaker, ringtone) => call('SetAudioDevices', mic, speaker, ringtone),

  onView(cb) {
    const rt = window.runtime
    if (!rt?.EventsOn) return () => {}
    const off = rt.EventsOn('view', (...data: unknown[]) => {
      const s = data[0]
      if (s && typeof s === 'object') cb(s as State)
    })
    return () => {
      if (typeof off === 'function') off()
      else rt.EventsOff?.('view')
    }
  },

  async copyText(text) {
    try {
      if (window.runtime?.ClipboardSetText) {
        if (await window.runtime.ClipboardSetText(text)) return true
      }
    } catch {
      // fall through to the browser's clipboard
    }
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(text)
        return true
      }
    } catch {
      // not allowed here
    }
    return false
  },
}
