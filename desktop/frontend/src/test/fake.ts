// A fake Go side: window.go.main.App with every bound method as a mock, and
// window.runtime with EventsOn, so App.svelte runs as it does in Wails.
import { vi, type Mock } from 'vitest'
import type { AppBindings } from '../lib/backend'
import type { State } from '../lib/state'

export type FakeApp = { [K in keyof AppBindings]: Mock<AppBindings[K]> }

export interface Fake {
  app: FakeApp
  /** emit sends a "view" event as runtime.EventsEmit(ctx, "view", s) would. */
  emit(s: State): void
  clipboard: Mock<(text: string) => Promise<boolean>>
  listeners: number
}

export function installFake(initial: State): Fake {
  let current = initial
  const answer = () => Promise.resolve(current)
  const app: FakeApp = {
    Init: vi.fn(answer),
    SetServer: vi.fn(answer),
    ChangeServer: vi.fn(answer),
    SubmitEmail: vi.fn(answer),
    Back: vi.fn(answer),
    SubmitPassword: vi.fn(answer),
    StartForgot: vi.fn(answer),
    RequestCode: vi.fn(answer),
    ResetPassword: vi.fn(answer),
    PasswordProblem: vi.fn((pw: string) => Promise.resolve(pw.length < 8 ? 'too_short' : '')),
    ChooseStation: vi.fn(answer),
    NormalizeDialNumber: vi.fn((s: string) => Promise.resolve(s.replace(/[^\d+]/g, ''))),
    SubmitTeam: vi.fn(answer),
    Continue: vi.fn(answer),
    Cancel: vi.fn(answer),
    SetAgentState: vi.fn(answer),
    StaySignedIn: vi.fn(answer),
    Activity: vi.fn(() => Promise.resolve()),
    SignOut: vi.fn(answer),
    SetLanguage: vi.fn((lang: string) => {
      current = { ...current, language: lang }
      return Promise.resolve(current)
    }),
    Reload: vi.fn(answer),
    DetailsText: vi.fn(() => Promise.resolve('What failed: GET /v1/me')),
    Dial: vi.fn(answer),
    Answer: vi.fn(answer),
    Decline: vi.fn(answer),
    Hangup: vi.fn(answer),
    SetMuted: vi.fn(answer),
    Hold: vi.fn(answer),
    Resume: vi.fn(answer),
    SendDTMF: vi.fn(answer),
    Transfer: vi.fn(answer),
    AudioDevices: vi.fn(answer),
    SetAudioDevices: vi.fn(answer),
  }
  const callbacks = new Set<(...d: unknown[]) => void>()
  const clipboard = vi.fn((_text: string) => Promise.resolve(true))
  window.go = { main: { App: app } }
  window.runtime = {
    EventsOn: (event: string, cb: (...d: unknown[]) => void) => {
      if (event !== 'view') return () => {}
      callbacks.add(cb)
      return () => callbacks.delete(cb)
    },
    ClipboardSetText: clipboard,
  }
  const fake: Fake = {
    app,
    emit(s: State) {
      current = s
      for (const cb of callbacks) cb(s)
    },
    clipboard,
    get listeners() {
      return callbacks.size
    },
  }
  return fake
}

export function removeFake(): void {
  delete window.go
  delete window.runtime
}
