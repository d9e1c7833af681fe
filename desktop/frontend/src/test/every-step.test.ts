// Every step of the contract in each language: no raw dictionary key, no
// unfilled {placeholder}, every field labelled, and no serious axe-core
// violation (rules jsdom can judge; colour contrast is left to the e2e run
// in Chromium).
import { screen } from '@testing-library/svelte'
import userEvent from '@testing-library/user-event'
import axe from 'axe-core'
import { describe, expect, it, vi } from 'vitest'
import { en } from '../lib/i18n/en'
import { languages } from '../lib/i18n/index.svelte'
import { everyStep } from './fixtures'
import { renderApp } from './render'

const keys = Object.keys(en)
// anything shaped like a key of ours (namespace.rest), known or not: a key
// built at run time from an unexpected code would not be in `keys`
const namespaces = [...new Set(keys.map((k) => k.split('.')[0]))]
const keyLike = new RegExp(`(?<![\\w@/.-])(?:${namespaces.join('|')})\\.[A-Za-z_][\\w.-]*`, 'g')

/** Everything a person could see or hear: text and the accessible attributes. */
function shown(): string {
  const parts = [document.body.textContent ?? '']
  for (const el of document.body.querySelectorAll('*')) {
    for (const a of ['aria-label', 'title', 'placeholder', 'alt', 'aria-roledescription', 'aria-valuetext']) {
      const v = el.getAttribute(a)
      if (v) parts.push(v)
    }
  }
  return parts.join('\n')
}

function unlabelled(): string[] {
  const bad: string[] = []
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select, textarea')) {
    if (el.type === 'hidden') continue
    const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
    if (!named) bad.push(el.outerHTML)
  }
  return bad
}

async function seriousViolations(): Promise<string[]> {
  const result = await axe.run(document.body, {
    resultTypes: ['violations'],
    rules: { 'color-contrast': { enabled: false } },
  })
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

function check(where: string) {
  const text = shown()
  const raw = keys.filter((k) => text.includes(k))
  expect(raw, `raw keys on ${where}`).toEqual([])
  expect(text.match(keyLike) ?? [], `key-like text on ${where}`).toEqual([])
  const unfilled = text.match(/\{[a-z_]+\}/g) ?? []
  expect(unfilled, `unfilled placeholders on ${where}`).toEqual([])
  expect(unlabelled(), `unlabelled fields on ${where}`).toEqual([])
}

describe.each(languages)('in %s', (lang) => {
  const steps = everyStep()
  it.each(Object.keys(steps))('%s renders with no raw key', async (name) => {
    await renderApp({ ...steps[name], language: lang })
    expect(document.documentElement.lang).toBe(lang)
    check(`${name} (${lang})`)
    expect(await seriousViolations(), `axe on ${name} (${lang})`).toEqual([])
  })

  it('the profile menu and Settings render with no raw key', async () => {
    const user = userEvent.setup()
    await renderApp({ ...steps.tasks, error: null, language: lang })
    await user.click(document.getElementById('profile-button')!)
    check(`profile menu (${lang})`)
    expect(await seriousViolations(), `axe on the profile menu (${lang})`).toEqual([])
    await user.click(screen.getAllByRole('menuitem')[0])
    expect(screen.getByRole('dialog')).toBeInTheDocument()
    check(`settings (${lang})`)
  })

  it('the team search and list render with no raw key', async () => {
    const user = userEvent.setup()
    await renderApp({ ...steps.team, language: lang })
    const team = document.getElementById('team-input') as HTMLInputElement
    await user.type(team, 'zz')
    check(`team search (${lang})`)
    await user.clear(team)
    await user.keyboard('{ArrowDown}')
    check(`team list (${lang})`)
    expect(await seriousViolations(), `axe on the team list (${lang})`).toEqual([])
  })

  it('the password policy renders with no raw key as you type', async () => {
    const user = userEvent.setup()
    const fake = await renderApp({ ...steps.forgot_code, error: null, language: lang })
    for (const reason of ['too_short', 'too_long', 'common', 'repetitive', 'personal', 'unheard_of']) {
      fake.app.PasswordProblem.mockResolvedValue(reason)
      await user.type(document.getElementById('new-password')!, 'x')
      await vi.waitFor(() => expect(document.getElementById('policy-live')!.textContent!.trim()).not.toBe(''))
      check(`password policy ${reason} (${lang})`)
    }
  })
})
