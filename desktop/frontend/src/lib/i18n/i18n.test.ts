import { afterEach, describe, expect, it } from 'vitest'
import { StationModes } from '../state'
import { en } from './en'
import { dictionaries, duration, has, languages, resolveLang, setLanguage, t, tn } from './index.svelte'

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

afterEach(() => setLanguage('en'))

describe('dictionaries', () => {
  const enKeys = Object.keys(en).sort()

  for (const lang of languages) {
    describe(lang, () => {
      const dict = dictionaries[lang] as Record<string, string>

      it('has every English key', () => {
        const missing = enKeys.filter((k) => !(k in dict))
        expect(missing, `missing in ${lang}`).toEqual([])
      })

      it('has no key English lacks', () => {
        const extra = Object.keys(dict).filter((k) => !(k in en))
        expect(extra, `extra in ${lang}`).toEqual([])
      })

      it('has no empty string', () => {
        const empty = Object.entries(dict).filter(([, v]) => !v.trim())
        expect(empty.map(([k]) => k)).toEqual([])
      })

      it('uses the same {placeholders} as English', () => {
        const differ = enKeys.filter((k) => placeholders(dict[k] ?? '').join() !== placeholders(en[k as keyof typeof en]).join())
        expect(differ, `placeholders differ in ${lang}`).toEqual([])
      })
    })
  }

  it('has the keys built from codes at run time', () => {
    const built = [
      ...StationModes.flatMap((m) => [`station.mode.${m}`, `station.mode_hint.${m}`]),
      ...languages.map((l) => `language.${l}`),
      ...['break', 'lunch', 'meeting', 'training'].map((r) => `idle_reason.${r}`),
      ...['voice', 'chat'].map((k) => `queue.kind.${k}`),
      ...['webchat', 'whatsapp'].map((c) => `channel.${c}`),
      'team.count_one',
      'team.count_other',
    ]
    expect(built.filter((k) => !has(k))).toEqual([])
  })

  it('French says vous, not tu; Brazilian Portuguese says você, not tu', () => {
    // words, with accented letters counted as letters
    const words = (d: Record<string, string>) => new Set(Object.values(d).join(' ').toLowerCase().split(/[^\p{L}]+/u))
    const fr = words(dictionaries.fr)
    expect(fr.has('vous')).toBe(true)
    expect(['tu', 'ton', 'ta', 'tes', 'toi'].filter((w) => fr.has(w))).toEqual([])
    const pt = words(dictionaries['pt-BR'])
    expect(pt.has('você')).toBe(true)
    expect(['tu', 'teu', 'tua', 'vós'].filter((w) => pt.has(w))).toEqual([])
  })
})

describe('t', () => {
  it('interpolates and follows the language', () => {
    expect(t('email.server', { server: 'https://x.example' })).toBe('Server: https://x.example')
    setLanguage('fr-FR')
    expect(t('email.server', { server: 'https://x.example' })).toBe('Serveur : https://x.example')
    setLanguage('pt_BR')
    expect(t('email.submit')).toBe('Entrar')
    expect(document.documentElement.lang).toBe('pt-BR')
  })

  it('leaves an unknown placeholder visible rather than empty', () => {
    expect(t('email.server')).toBe('Server: {server}')
  })

  it('resolves language tags to en, fr or pt-BR', () => {
    expect(resolveLang('fr')).toBe('fr')
    expect(resolveLang('fr-CA')).toBe('fr')
    expect(resolveLang('pt')).toBe('pt-BR')
    expect(resolveLang('pt-PT')).toBe('pt-BR')
    expect(resolveLang('de-DE')).toBe('en')
    expect(resolveLang('')).toBe('en')
    expect(resolveLang(undefined)).toBe('en')
  })

  it('plurals by the language rules', () => {
    expect(tn('team.count', 1)).toBe('1 team')
    expect(tn('team.count', 3)).toBe('3 teams')
    setLanguage('fr')
    expect(tn('team.count', 0)).toBe('0 équipe')
    expect(tn('team.count', 2)).toBe('2 équipes')
  })

  it('formats durations', () => {
    expect(duration(9)).toBe('9 s')
    expect(duration(0.2)).toBe('1 s')
    expect(duration(-3)).toBe('0 s')
    expect(duration(125)).toBe('2 min 05 s')
    expect(duration(3 * 3600 + 7 * 60)).toBe('3 h 07 min')
  })
})
