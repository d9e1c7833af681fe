import { describe, expect, it } from 'vitest'
import { cssUrl, filterTeams, isBackShortcut, onlyDigits } from './util'
import { causeKey, errorKey, noticeKey, policyKey } from './messages'
import { normalize, parseTime } from './state'
import { base, teams } from '../test/fixtures'

const key = (init: KeyboardEventInit) => new KeyboardEvent('keydown', { key: 'ArrowLeft', ...init })

describe('isBackShortcut', () => {
  it('is Alt+Left on Windows and Linux', () => {
    for (const p of ['windows', 'linux']) {
      expect(isBackShortcut(key({ altKey: true }), p)).toBe(true)
      expect(isBackShortcut(key({ metaKey: true }), p)).toBe(false)
      expect(isBackShortcut(key({}), p)).toBe(false)
      expect(isBackShortcut(key({ altKey: true, shiftKey: true }), p)).toBe(false)
    }
  })
  it('is Cmd+Left on macOS', () => {
    expect(isBackShortcut(key({ metaKey: true }), 'darwin')).toBe(true)
    expect(isBackShortcut(key({ altKey: true }), 'darwin')).toBe(false)
    expect(isBackShortcut(key({ metaKey: true, ctrlKey: true }), 'darwin')).toBe(false)
  })
  it('needs the left arrow', () => {
    expect(isBackShortcut(new KeyboardEvent('keydown', { key: 'ArrowRight', altKey: true }), 'linux')).toBe(false)
  })
})

describe('filterTeams', () => {
  it('matches any part of the name, ignoring case and accents', () => {
    expect(filterTeams(teams, 'sales').map((x) => x.id)).toEqual(['t2', 't3'])
    expect(filterTeams(teams, 'EUR').map((x) => x.id)).toEqual(['t2'])
    expect(filterTeams(teams, 'equipe').map((x) => x.id)).toEqual(['t5'])
    expect(filterTeams(teams, 'réclam').map((x) => x.id)).toEqual(['t5'])
    expect(filterTeams(teams, 'americas sales').map((x) => x.id)).toEqual(['t3'])
    expect(filterTeams(teams, '  ')).toHaveLength(teams.length)
    expect(filterTeams(teams, 'zzz')).toEqual([])
  })
})

describe('helpers', () => {
  it('keeps the digits of a code', () => {
    expect(onlyDigits('123 456')).toBe('123456')
    expect(onlyDigits('12-34-56-78')).toBe('123456')
    expect(onlyDigits('abc')).toBe('')
  })

  it('makes a safe CSS url', () => {
    expect(cssUrl('')).toBe('none')
    expect(cssUrl('javascript:alert(1)')).toBe('none')
    expect(cssUrl('https://x.example/a.png')).toBe('url("https://x.example/a.png")')
    expect(cssUrl('https://x.example/a".png')).toBe('url("https://x.example/a%22.png")')
  })

  it('reads Go times, the zero time being unset', () => {
    expect(parseTime('0001-01-01T00:00:00Z')).toBeNull()
    expect(parseTime('')).toBeNull()
    expect(parseTime('garbage')).toBeNull()
    expect(parseTime('2026-11-21T10:00:00Z')?.toISOString()).toBe('2026-11-21T10:00:00.000Z')
  })

  it('normalizes nil slices', () => {
    const s = normalize(base({ step: 'tasks', teams: null, tasks: { queues: null, banners: null, station: null } as never }))
    expect(s.teams).toEqual([])
    expect(s.tasks?.queues).toEqual([])
    expect(s.tasks?.banners).toEqual([])
    expect(s.tasks?.station.modes).toEqual([])
  })
})

describe('messages', () => {
  it('knows every error code of the contract', () => {
    const codes = [
      'invalid_url', 'server_unreachable', 'not_agentdesk', 'network_error', 'keyring_unavailable',
      'invalid_credentials', 'too_many_attempts', 'account_disabled', 'password_reset_required',
      'invalid_code', 'code_expired', 'weak_password', 'self_managed',
      'dial_number_in_use', 'invalid_dial_number', 'dial_number_locked', 'station_mode_not_allowed', 'invalid_extension',
    ]
    expect(codes.filter((c) => errorKey(c) === null)).toEqual([])
    expect(errorKey('something_new')).toBeNull()
  })

  it('names the likely cause of sign-in problems', () => {
    expect(causeKey({ code: 'dial_number_in_use' })).toBe('cause.dial_number')
    expect(causeKey({ code: 'invalid_dial_number' })).toBe('cause.dial_number')
    expect(causeKey({ code: 'station_mode_not_allowed' })).toBe('cause.permissions')
    expect(causeKey({ code: 'network_error' })).toBe('cause.network')
    expect(causeKey({ code: 'whatever', details: { what: 'x', status: 502, time: '', app_version: '', server: '' } })).toBe('cause.network')
    expect(causeKey({ code: 'invalid_code' })).toBeNull()
  })

  it('explains every password policy reason', () => {
    for (const r of ['too_short', 'too_long', 'common', 'repetitive', 'personal']) expect(policyKey(r)).toBe(`policy.${r}`)
    expect(policyKey('')).toBeNull()
    expect(policyKey('new_reason')).toBe('policy.unknown')
  })

  it('explains every sign-out reason', () => {
    for (const r of ['admin_edit', 'admin_logout', 'account_disabled', 'password_reset', 'password_changed', 'inactivity', 'expired', 'signed_out'])
      expect(noticeKey('signed_out', r, '')).toBe(`notice.signed_out.${r}`)
    expect(noticeKey('signed_out', 'later', '')).toBe('notice.signed_out.other')
    expect(noticeKey('code_sent', '', 'a@b.c')).toBe('notice.code_sent')
    expect(noticeKey('', '', '')).toBeNull()
  })
})
