import { afterEach, describe, expect, it, vi } from 'vitest'
import { backend, BindingMissingError, bindingsReady, waitForBindings } from './backend'
import { Controller } from './controller.svelte'
import { base } from '../test/fixtures'
import { installFake, removeFake } from '../test/fake'

afterEach(() => {
  removeFake()
  vi.useRealTimers()
})

describe('backend', () => {
  it('does not need window.go at import time', () => {
    removeFake()
    expect(bindingsReady()).toBe(false)
  })

  it('rejects a call when the method is not bound', async () => {
    removeFake()
    await expect(backend.Init()).rejects.toBeInstanceOf(BindingMissingError)
  })

  it('waits for the bindings to appear', async () => {
    vi.useFakeTimers()
    let done = false
    void waitForBindings().then(() => (done = true))
    await vi.advanceTimersByTimeAsync(500)
    expect(done).toBe(false)
    installFake(base())
    await vi.advanceTimersByTimeAsync(60)
    expect(done).toBe(true)
  })

  it('calls window.go.main.App with the arguments', async () => {
    const fake = installFake(base())
    await backend.ChooseStation('dial_number', '+14155550123', '', true)
    expect(fake.app.ChooseStation).toHaveBeenCalledWith('dial_number', '+14155550123', '', true)
    await backend.ResetPassword('123456', 'a long passphrase')
    expect(fake.app.ResetPassword).toHaveBeenCalledWith('123456', 'a long passphrase')
  })

  it('subscribes to the "view" event and unsubscribes', () => {
    const fake = installFake(base())
    const seen: string[] = []
    const off = backend.onView((s) => seen.push(s.step))
    expect(fake.listeners).toBe(1)
    fake.emit(base({ step: 'email' }))
    off()
    expect(fake.listeners).toBe(0)
    fake.emit(base({ step: 'password' }))
    expect(seen).toEqual(['email'])
  })

  it('copies with the Wails clipboard first', async () => {
    const fake = installFake(base())
    expect(await backend.copyText('abc')).toBe(true)
    expect(fake.clipboard).toHaveBeenCalledWith('abc')
  })

  it('falls back to the browser clipboard', async () => {
    const fake = installFake(base())
    fake.clipboard.mockResolvedValue(false)
    const writeText = vi.fn(() => Promise.resolve())
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    expect(await backend.copyText('xyz')).toBe(true)
    expect(writeText).toHaveBeenCalledWith('xyz')
  })
})

describe('Controller', () => {
  it('starts once the bindings exist: subscribes, then Init', async () => {
    const fake = installFake(base({ step: 'email', language: 'fr' }))
    const c = new Controller(backend)
    await c.start()
    expect(c.ready).toBe(true)
    expect(c.view.step).toBe('email')
    expect(fake.listeners).toBe(1)
    expect(document.documentElement.lang).toBe('fr')
    fake.emit(base({ step: 'tasks' }))
    expect(c.view.step).toBe('tasks')
    c.stop()
    expect(fake.listeners).toBe(0)
    expect(document.documentElement.lang).toBe('en')
  })

  it('shows a failed call as app_call_failed with details, on the same step', async () => {
    const fake = installFake(base({ step: 'email', version: '9.9.9' }))
    const c = new Controller(backend)
    await c.start()
    fake.app.SubmitEmail.mockRejectedValueOnce(new Error('ipc closed'))
    await c.run('SubmitEmail', () => backend.SubmitEmail('a@b.c'))
    expect(c.view.step).toBe('email')
    expect(c.view.error?.code).toBe('app_call_failed')
    expect(c.view.error?.details).toMatchObject({ what: 'SubmitEmail', message: 'ipc closed', app_version: '9.9.9' })
    expect(c.pending).toBe(0)
  })

  it('reports activity at most every 15 s', async () => {
    const fake = installFake(base())
    const c = new Controller(backend)
    await c.start()
    c.activity(1_000)
    c.activity(2_000)
    c.activity(15_999)
    expect(fake.app.Activity).toHaveBeenCalledTimes(1)
    c.activity(16_000)
    expect(fake.app.Activity).toHaveBeenCalledTimes(2)
  })

  it('reports no activity before the bindings exist', () => {
    removeFake()
    const c = new Controller(backend)
    expect(() => c.activity()).not.toThrow()
  })
})
