import { errorField } from './messages'
import type { Platform, Team, ViewError } from './state'

/** The id of the current error message; inputs it concerns point at it. */
export const ERROR_ID = 'step-error'

/** describedBy joins the ids that are set, or gives undefined (no attribute). */
export function describedBy(...ids: (string | false | null | undefined)[]): string | undefined {
  const s = ids.filter((x): x is string => !!x).join(' ')
  return s || undefined
}

/**
 * hasError tells whether the error concerns the input `field`; an error the
 * Go side did not tie to a field goes to the step's primary input.
 */
export function hasError(err: ViewError | null | undefined, field: string, primary = false): boolean {
  if (!err) return false
  const f = errorField(err)
  return f === field || (f === '' && primary)
}

/**
 * isBackShortcut: Alt+Left on Windows and Linux, Cmd+Left on macOS (as in
 * the Webex Agent Desktop), with no other modifier.
 */
export function isBackShortcut(e: KeyboardEvent, platform: Platform | string): boolean {
  if (e.key !== 'ArrowLeft' || e.shiftKey || e.ctrlKey) return false
  if (platform === 'darwin') return e.metaKey && !e.altKey
  return e.altKey && !e.metaKey
}

/** fold lower-cases and strips accents, for searching. */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .trim()
}

/** filterTeams keeps the teams whose name contains every word typed (any order, accents ignored). */
export function filterTeams(teams: readonly Team[], query: string): Team[] {
  const words = fold(query).split(/\s+/).filter(Boolean)
  if (words.length === 0) return [...teams]
  return teams.filter((team) => {
    const name = fold(team.name)
    return words.every((w) => name.includes(w))
  })
}

/** cssUrl makes a CSS url() of a URL, or 'none' for an empty or unsafe one. */
export function cssUrl(url: string): string {
  const u = url.trim()
  if (!u) return 'none'
  if (!/^(https?:|data:image\/|blob:|\/|\.\/)/i.test(u)) return 'none'
  return `url("${u.replace(/["\\\n\r\f]/g, (c) => encodeURIComponent(c))}")`
}

/** How long typing must pause before the password policy is asked about. */
export const POLICY_DEBOUNCE_MS = 300

/** onlyDigits keeps the digits of a pasted or typed one-time code. */
export function onlyDigits(s: string, max = 6): string {
  return s.replace(/\D/g, '').slice(0, max)
}

/** debounce calls fn once the calls stop for ms. */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): ((...a: A) => void) & { cancel(): void } {
  let id: ReturnType<typeof setTimeout> | undefined
  const d = (...a: A) => {
    if (id !== undefined) clearTimeout(id)
    id = setTimeout(() => {
      id = undefined
      fn(...a)
    }, ms)
  }
  d.cancel = () => {
    if (id !== undefined) clearTimeout(id)
    id = undefined
  }
  return d
}

/** focusables lists the elements in root that Tab reaches. */
export function focusables(root: HTMLElement): HTMLElement[] {
  const sel =
    'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])'
  return Array.from(root.querySelectorAll<HTMLElement>(sel)).filter(
    (el) => !el.closest('[inert]') && !el.hasAttribute('hidden') && el.getAttribute('aria-hidden') !== 'true',
  )
}
