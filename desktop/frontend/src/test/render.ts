import { render } from '@testing-library/svelte'
import { vi } from 'vitest'
import App from '../App.svelte'
import type { State } from '../lib/state'
import { installFake, type Fake } from './fake'

/** renderApp renders the whole app on a fake Go side whose Init answers `s`. */
export async function renderApp(s: State): Promise<Fake> {
  const fake = installFake(s)
  render(App)
  await vi.waitFor(() => {
    if (!fake.app.Init.mock.calls.length) throw new Error('Init not called yet')
    if (s.step !== 'loading' && document.querySelector('[data-step="loading"]')) throw new Error('still loading')
    // the Tasks page is a lazily loaded chunk
    if (s.step === 'tasks' && !document.querySelector('.tasks-page')) throw new Error('Tasks page not loaded yet')
  })
  return fake
}
