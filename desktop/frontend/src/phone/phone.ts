// Helpers of the softphone panel: what to show for a view.Phone.
import { has, t, type Key } from '../lib/i18n/index.svelte'
import { parseTime, type CallStats, type Phone, type State } from '../lib/state'

/** The keypad's keys, in order. */
export const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const

/** isDesktop: the agent is on the Tasks page with the Desktop station's phone. */
export function phoneOf(s: State): Phone | null {
  return s.step === 'tasks' && s.phone ? s.phone : null
}

/** voiceDisconnected: the profile icon's mark (anything but registered). */
export function voiceDisconnected(s: State): boolean {
  const p = phoneOf(s)
  return !!p && p.registration !== 'registered'
}

/** statusText is the registration's line. */
export function statusText(p: Phone): string {
  switch (p.registration) {
    case 'registering':
      return t('phone.status.registering')
    case 'registered':
      return t('phone.status.registered', { extension: p.extension ?? '' })
    case 'reconnecting':
      return t('phone.status.reconnecting')
  }
  const key = `phone.status.failed.${p.reason ?? 'error'}`
  return t(has(key) ? key : 'phone.status.failed.error')
}

/** errorText is a failed call action's message. */
export function errorText(action: string): string {
  const key = `phone.error.${action}`
  return t(has(key) ? (key as Key) : 'phone.error.other')
}

/** elapsed formats the time since answered as m:ss (h:mm:ss past an hour). */
export function elapsed(answeredAt: string | undefined, now: number): string {
  const at = parseTime(answeredAt)
  if (!at) return '0:00'
  const s = Math.max(0, Math.floor((now - at.getTime()) / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

export type Quality = 'good' | 'fair' | 'poor' | 'unknown'

/**
 * quality buckets the MOS estimate: good from 4.0 (toll quality), fair
 * from 3.6, poor below; unknown before the first RTCP report.
 */
export function quality(st: CallStats | null | undefined): Quality {
  if (!st || !(st.mos > 0)) return 'unknown'
  if (st.mos >= 4.0) return 'good'
  if (st.mos >= 3.6) return 'fair'
  return 'poor'
}

/** cleanNumber keeps what a number may hold (typed or pasted). */
export function cleanNumber(s: string): string {
  const v = s.trim()
  if (v.includes('@') || v.startsWith('sip:')) return v
  return v.replace(/[\s\u00a0().\-/]/g, '')
}
