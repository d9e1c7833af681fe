// Controller holds the State the Go side last handed over and runs the bound
// methods. It never decides a transition: every call's answer (or a "view"
// event) replaces the whole State.

import { waitForBindings, type Backend } from './backend'
import { setLanguage } from './i18n/index.svelte'
import { loadingState, normalize, type State } from './state'

/** Activity() is reported at most this often. */
export const ACTIVITY_EVERY_MS = 15_000

export class Controller {
  /** The State being rendered. */
  view: State = $state(loadingState())
  /** When view arrived (ms since epoch): retry_after counts from here. */
  receivedAt: number = $state(Date.now())
  /** Calls in flight. */
  pending: number = $state(0)
  /** The Go bindings are in the page and Init was called. */
  ready: boolean = $state(false)
  /** The Settings dialog of the Tasks page (front-end only). */
  settingsOpen: boolean = $state(false)

  readonly backend: Backend
  private offView: (() => void) | null = null
  private lastActivity = Number.NEGATIVE_INFINITY
  private stopped = false

  constructor(backend: Backend) {
    this.backend = backend
  }

  /** busy: the Go side says it is working, or a call is in flight. */
  get busy(): boolean {
    return this.view.busy || this.pending > 0
  }

  /** start waits for the Wails bindings, subscribes to "view" and calls Init. */
  async start(signal?: AbortSignal): Promise<void> {
    await waitForBindings(signal)
    if (signal?.aborted || this.stopped) return
    this.offView = this.backend.onView((s) => this.apply(s))
    this.ready = true
    await this.run('Init', () => this.backend.Init())
  }

  stop(): void {
    this.stopped = true
    this.offView?.()
    this.offView = null
  }

  /**
   * apply renders a State from the Go side, unless it is older than the one
   * shown (State.seq): a call's answer can arrive after the "view" event of
   * what the call started.
   */
  apply(s: State): void {
    if (typeof s.seq === 'number' && typeof this.view.seq === 'number' && s.seq < this.view.seq) return
    const next = normalize(s)
    this.view = next
    this.receivedAt = Date.now()
    if (next.modal) this.settingsOpen = false
    setLanguage(next.language)
  }

  /**
   * run calls a bound method and renders the State it returns. A rejected
   * call (the Go side could not be reached, or a method is missing) is shown
   * as an app_call_failed error with details, on the current step.
   */
  async run(what: string, call: () => Promise<State>): Promise<void> {
    this.pending++
    try {
      const s = await call()
      if (!this.stopped && s && typeof s === 'object') this.apply(s)
    } catch (e) {
      if (!this.stopped) this.fail(what, e)
    } finally {
      this.pending--
    }
  }

  private fail(what: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e)
    this.view = {
      ...this.view,
      busy: false,
      error: {
        code: 'app_call_failed',
        details: {
          what,
          message,
          time: new Date().toISOString(),
          app_version: this.view.version,
          server: this.view.server,
        },
      },
    }
    this.receivedAt = Date.now()
  }

  /** activity reports the agent's activity, at most every ACTIVITY_EVERY_MS. */
  activity(now: number = Date.now()): void {
    if (!this.ready || this.stopped) return
    if (now - this.lastActivity < ACTIVITY_EVERY_MS) return
    this.lastActivity = now
    this.backend.Activity().catch(() => {
      // best effort: the next activity retries
    })
  }
}
