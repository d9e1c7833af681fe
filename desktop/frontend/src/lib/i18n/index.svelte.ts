// Localisation: t(key, params) reads the current language, which follows
// State.language (the Go side picks it from the OS or the agent's choice).
// The language is reactive state, so every t() in a template re-renders when
// it changes.

import { en, type Key } from './en'
import { fr } from './fr'
import { ptBR } from './pt-BR'

export type { Key }
export type Lang = 'en' | 'fr' | 'pt-BR'
export const languages: readonly Lang[] = ['en', 'fr', 'pt-BR']
export const dictionaries: Record<Lang, Record<Key, string>> = { en, fr, 'pt-BR': ptBR }

let current = $state<Lang>('en')

/** resolveLang maps a language tag (en-GB, fr_CA, pt, pt-BR ...) to one we have. */
export function resolveLang(tag: string | null | undefined): Lang {
  const t = (tag ?? '').replace('_', '-').toLowerCase()
  if (t === 'pt' || t.startsWith('pt-')) return 'pt-BR'
  if (t === 'fr' || t.startsWith('fr-')) return 'fr'
  return 'en'
}

export function setLanguage(tag: string | null | undefined): void {
  const next = resolveLang(tag)
  if (next !== current) current = next
  if (typeof document !== 'undefined') document.documentElement.lang = next
}

export function language(): Lang {
  return current
}

export type Params = Record<string, string | number>

function interpolate(s: string, params?: Params): string {
  if (!params) return s
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m))
}

/** t translates a key; a key missing in the language falls back to English. */
export function t(key: Key, params?: Params): string {
  const s = dictionaries[current][key] ?? en[key] ?? key
  return interpolate(s, params)
}

/** has tells whether a string is a key (for codes that come from the server). */
export function has(key: string): key is Key {
  return Object.prototype.hasOwnProperty.call(en, key)
}

/** tn picks key_one / key_other by the language's plural rules. */
export function tn(base: 'team.count', count: number, params?: Params): string {
  const rule = new Intl.PluralRules(current).select(count)
  const key = (rule === 'one' ? `${base}_one` : `${base}_other`) as Key
  return t(key, { count, ...params })
}

/** duration formats a number of seconds as "4 min 05 s" in the language. */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.ceil(totalSeconds))
  if (s < 60) return t('time.seconds', { s })
  if (s < 3600) {
    const m = Math.floor(s / 60)
    return t('time.minutes_seconds', { m, s: String(s % 60).padStart(2, '0') })
  }
  const h = Math.floor(s / 3600)
  return t('time.hours_minutes', { h, m: String(Math.floor((s % 3600) / 60)).padStart(2, '0') })
}

/** relative formats a past or future date as "5 minutes ago" in the language. */
export function relative(date: Date, now: number = Date.now()): string {
  const diff = (date.getTime() - now) / 1000
  const abs = Math.abs(diff)
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: 'auto' })
  if (abs < 60) return rtf.format(Math.round(diff), 'second')
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute')
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), 'hour')
  return rtf.format(Math.round(diff / 86400), 'day')
}

/** dateTime formats a date with the time, in the language. */
export function dateTime(date: Date): string {
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'medium' }).format(date)
}

/** stationModeName localises dial_number / extension / desktop (a new mode shows as sent). */
export function stationModeName(mode: string): string {
  return mode === 'dial_number' || mode === 'extension' || mode === 'desktop' ? t(`station.mode.${mode}`) : mode
}

/** platformName localises windows / darwin / linux. */
export function platformName(p: string): string {
  switch (p) {
    case 'windows':
      return t('platform.windows')
    case 'darwin':
      return t('platform.darwin')
    case 'linux':
      return t('platform.linux')
    default:
      return t('platform.other', { platform: p })
  }
}
