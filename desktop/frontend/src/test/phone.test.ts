// The Desktop station's phone panel on the Tasks page: registration states,
// the dialpad (typing, paste, keypad), the ringing call (focus, live
// region, keyboard), the call controls, the quality, the profile icon's
// "voice disconnected" mark, the audio devices in Settings, and French.
import { screen, within } from '@testing-library/svelte'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Phone, PhoneCall, State } from '../lib/state'
import { elapsed, quality } from '../phone/phone'
import { base, desktopTasks, phoneFixture, tasks, ZERO_TIME } from './fixtures'
import { renderApp } from './render'

afterEach(() => {
  vi.useRealTimers()
})

function phone(over: Partial<Phone> = {}): Phone {
  const p = phoneFixture(over)
  return over.devices ? p : { ...p, devices: { ...p.devices, microphones: [...(p.devices.microphones ?? []), { id: 'mic-2', name: 'Laptop microphone', default: false }] } }
}

function call(over: Partial<PhoneCall> = {}): PhoneCall {
  return { id: 'c1', direction: 'incoming', remote: 'customer', state: 'ringing', muted: false, answered_at: ZERO_TIME, ...over }
}

function desk(p: Partial<Phone> = {}, over: Partial<State> = {}): State {
  return base({ step: 'tasks', tasks: desktopTasks, phone: phone(p), ...over })
}

const profileButton = () => screen.getByRole('button', { name: /profile menu/ })

describe('phone panel', () => {
  it('is not there on another station', async () => {
    await renderApp(base({ step: 'tasks', tasks }))
    expect(screen.queryByRole('region', { name: 'Phone' })).toBeNull()
    expect(screen.queryByTestId('voice-disconnected')).toBeNull()
  })

  it('says it is ready when registered, with no "voice disconnected" mark', async () => {
    await renderApp(desk())
    const panel = screen.getByRole('region', { name: 'Phone' })
    expect(within(panel).getByRole('status')).toHaveTextContent('Ready for calls on extension 1001')
    expect(screen.queryByTestId('voice-disconnected')).toBeNull()
    expect(profileButton()).toHaveAccessibleName('Ana Souza, profile menu')
  })

  it.each([
    [{ registration: 'registering' }, 'Connecting the phone…'],
    [{ registration: 'reconnecting' }, 'Voice disconnected. Reconnecting…'],
    [{ registration: 'failed', reason: 'auth' }, 'refused your extension’s credentials'],
    [{ registration: 'failed', reason: 'unreachable' }, 'cannot be reached'],
    [{ registration: 'failed', reason: 'not_configured' }, 'not set up for your account'],
    [{ registration: 'failed', reason: 'something_new' }, 'the phone could not start'],
  ] as [Partial<Phone>, string][])('%o: says so and marks the profile icon', async (p, text) => {
    await renderApp(desk(p))
    expect(screen.getByTestId('phone-status')).toHaveTextContent(text)
    expect(screen.getByTestId('voice-disconnected')).toBeInTheDocument()
    expect(profileButton()).toHaveAccessibleName('Ana Souza, Voice disconnected, profile menu')
  })

  it('the mark follows the registration as it changes', async () => {
    const fake = await renderApp(desk({ registration: 'registering' }, { seq: 1 }))
    expect(screen.getByTestId('voice-disconnected')).toBeInTheDocument()
    fake.emit(desk({}, { seq: 2 }))
    await vi.waitFor(() => expect(screen.queryByTestId('voice-disconnected')).toBeNull())
    fake.emit(desk({ registration: 'reconnecting' }, { seq: 3 }))
    await vi.waitFor(() => expect(screen.getByTestId('voice-disconnected')).toBeInTheDocument())
  })
})

describe('dialpad', () => {
  it('dials what is typed, with Enter', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(desk())
    const field = screen.getByLabelText('Number to call')
    expect(field).toHaveAccessibleDescription('A phone number or an extension. You can paste it.')
    await user.type(field, '9001{Enter}')
    expect(fake.app.Dial).toHaveBeenCalledWith('9001')
  })

  it('cleans a pasted number and builds one on the keypad', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(desk())
    const field = screen.getByLabelText<HTMLInputElement>('Number to call')
    await user.click(field)
    await user.paste('+1 (555) 010-0000')
    expect(field.value).toBe('+15550100000')
    await user.clear(field)
    const keypad = screen.getByRole('group', { name: 'Keypad' })
    for (const k of ['9', '0', '0', '2']) await user.click(within(keypad).getByRole('button', { name: `Key ${k}` }))
    expect(field.value).toBe('9002')
    expect(field).toHaveFocus()
    await user.click(screen.getByRole('button', { name: 'Delete last digit' }))
    expect(field.value).toBe('900')
    await user.click(screen.getByRole('button', { name: 'Call' }))
    expect(fake.app.Dial).toHaveBeenCalledWith('900')
  })

  it('does not dial while not registered or with nothing to call', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(desk({ registration: 'reconnecting' }))
    const callButton = screen.getByRole('button', { name: 'Call' })
    expect(callButton).toHaveAttribute('aria-disabled', 'true')
    await user.click(callButton)
    await user.type(screen.getByLabelText('Number to call'), '9001{Enter}')
    expect(fake.app.Dial).not.toHaveBeenCalled()
  })

  it('shows a failed call with its details', async () => {
    await renderApp(desk({ error: { action: 'dial', detail: 'softphone: call to 9999: 404 Not Found' } }))
    const alert = screen.getByRole('alert')
    expect(alert).toHaveTextContent('The call could not be made.')
    expect(alert).toHaveTextContent('Details: softphone: call to 9999: 404 Not Found')
  })
})

describe('a device that did not open', () => {
  it('says the other party hears silence', async () => {
    await renderApp(desk({ error: { action: 'microphone', detail: 'audiodev: open microphone: no device' }, call: call({ state: 'in_call' }) }))
    expect(screen.getByRole('alert')).toHaveTextContent('Your microphone could not be opened: the other party hears silence.')
  })
})

describe('incoming call', () => {
  it('is announced, takes the focus, and Answer works from the keyboard', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(desk({}, { seq: 1 }))
    fake.emit(desk({ call: call() }, { seq: 2 }))
    const dialog = await screen.findByRole('alertdialog', { name: 'Incoming call' })
    expect(dialog).toHaveAccessibleDescription('customer')
    const answer = within(dialog).getByRole('button', { name: 'Answer' })
    await vi.waitFor(() => expect(answer).toHaveFocus())
    const live = document.querySelector('[aria-live="assertive"]')!
    expect(live).toHaveTextContent('Incoming call from customer')
    await user.keyboard('{Enter}')
    expect(fake.app.Answer).toHaveBeenCalledTimes(1)
    await user.tab()
    expect(within(dialog).getByRole('button', { name: 'Decline' })).toHaveFocus()
  })

  it('once answered, focus goes to the call; once ended, to the number field', async () => {
    const fake = await renderApp(desk({ call: call() }, { seq: 1 }))
    await vi.waitFor(() => expect(screen.getByRole('button', { name: 'Answer' })).toHaveFocus())
    fake.emit(desk({ call: call({ state: 'in_call', answered_at: new Date().toISOString() }) }, { seq: 2 }))
    await vi.waitFor(() => expect(screen.getByTestId('call-headline')).toHaveFocus())
    fake.emit(desk({}, { seq: 3 }))
    await vi.waitFor(() => expect(screen.getByLabelText('Number to call')).toHaveFocus())
  })

  it('Escape declines', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(desk({ call: call() }))
    await vi.waitFor(() => expect(screen.getByRole('button', { name: 'Answer' })).toHaveFocus())
    await user.keyboard('{Escape}')
    expect(fake.app.Decline).toHaveBeenCalledTimes(1)
    expect(fake.app.Answer).not.toHaveBeenCalled()
  })
})

describe('in a call', () => {
  const answeredAt = '2026-03-02T10:00:00Z'
  const inCall = (over: Partial<PhoneCall> = {}) =>
    desk({ call: call({ state: 'in_call', answered_at: answeredAt, stats: { rtt_ms: 42, jitter_ms: 3.2, loss_pct: 0.5, mos: 4.3, codec: 'opus' }, ...over }) })

  it('counts the time from the answer', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ['Date', 'setInterval', 'clearInterval'] })
    vi.setSystemTime(new Date('2026-03-02T10:01:05Z'))
    await renderApp(inCall())
    expect(screen.getByTestId('call-timer')).toHaveTextContent('1:05')
    expect(screen.getByText('In a call with customer')).toBeInTheDocument()
  })

  it('mutes, holds, sends keypad tones, transfers and hangs up', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(inCall())
    await user.click(screen.getByRole('button', { name: 'Mute' }))
    expect(fake.app.SetMuted).toHaveBeenCalledWith(true)
    await user.click(screen.getByRole('button', { name: 'Hold' }))
    expect(fake.app.Hold).toHaveBeenCalled()

    const tones = screen.getByRole('group', { name: 'Send keypad tones' })
    await user.click(within(tones).getByRole('button', { name: 'Key 5' }))
    expect(fake.app.SendDTMF).toHaveBeenLastCalledWith('5')
    await user.keyboard('#')
    expect(fake.app.SendDTMF).toHaveBeenLastCalledWith('#')
    expect(screen.getByText('Sent 5#')).toBeInTheDocument()

    await user.type(screen.getByLabelText('Transfer to'), '90 01')
    await user.click(screen.getByRole('button', { name: 'Transfer' }))
    expect(fake.app.Transfer).toHaveBeenCalledWith('9001')

    await user.click(screen.getByRole('button', { name: 'Hang up' }))
    expect(fake.app.Hangup).toHaveBeenCalled()
  })

  it('held: Resume, and no keypad tones', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(inCall({ state: 'held', muted: true }))
    expect(screen.getByText('On hold: customer')).toBeInTheDocument()
    expect(screen.getByText('Microphone muted')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Unmute' })).toHaveAttribute('aria-pressed', 'true')
    await user.click(within(screen.getByRole('group', { name: 'Send keypad tones' })).getByRole('button', { name: 'Key 1' }))
    expect(fake.app.SendDTMF).not.toHaveBeenCalled()
    await user.click(screen.getByRole('button', { name: 'Resume' }))
    expect(fake.app.Resume).toHaveBeenCalled()
  })

  it('held by the other party: says so, Hold still offered, no keypad tones', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(inCall({ state: 'remote_held' }))
    expect(screen.getByText('customer put the call on hold')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Hold' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Resume' })).toBeNull()
    await user.click(within(screen.getByRole('group', { name: 'Send keypad tones' })).getByRole('button', { name: 'Key 1' }))
    expect(fake.app.SendDTMF).not.toHaveBeenCalled()
  })

  it('an outgoing call not answered yet can be cancelled', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(desk({ call: call({ direction: 'outgoing', state: 'calling', remote: '9001' }) }))
    expect(screen.getByText('Calling 9001…')).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Hold' })).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Cancel call' }))
    expect(fake.app.Hangup).toHaveBeenCalled()
  })

  it('shows the quality and its figures', async () => {
    const user = userEvent.setup()
    await renderApp(inCall())
    const summary = screen.getByText(/Call quality: Good/)
    await user.click(summary)
    for (const text of ['4.3', '42 ms', '3.2 ms', '0.5 %', 'opus']) expect(screen.getByText(text)).toBeInTheDocument()
  })

  it('shows sub-millisecond round trips with a decimal, not 0 ms', async () => {
    const user = userEvent.setup()
    await renderApp(inCall({ stats: { rtt_ms: 0.37, jitter_ms: 2, loss_pct: 0, mos: 4.4, codec: 'opus' } }))
    await user.click(screen.getByText(/Call quality: Good/))
    expect(screen.getByText('0.4 ms')).toBeInTheDocument()
  })

  it('buckets the MOS and formats the timer', () => {
    expect(quality(null)).toBe('unknown')
    expect(quality({ rtt_ms: 0, jitter_ms: 0, loss_pct: 0, mos: 0, codec: '' })).toBe('unknown')
    expect(quality({ rtt_ms: 0, jitter_ms: 0, loss_pct: 0, mos: 4.1, codec: '' })).toBe('good')
    expect(quality({ rtt_ms: 0, jitter_ms: 0, loss_pct: 0, mos: 3.7, codec: '' })).toBe('fair')
    expect(quality({ rtt_ms: 0, jitter_ms: 0, loss_pct: 0, mos: 2.9, codec: '' })).toBe('poor')
    const at = Date.parse('2026-03-02T10:00:00Z')
    expect(elapsed('2026-03-02T10:00:00Z', at + 9_000)).toBe('0:09')
    expect(elapsed('2026-03-02T10:00:00Z', at + 3_725_000)).toBe('1:02:05')
    expect(elapsed(ZERO_TIME, at)).toBe('0:00')
  })
})

describe('audio devices in Settings', () => {
  it('lists the devices and saves a choice', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(desk())
    await user.click(profileButton())
    await user.click(screen.getByRole('menuitem', { name: 'Settings' }))
    const dialog = screen.getByRole('dialog', { name: 'Settings' })
    const mic = within(dialog).getByLabelText('Microphone')
    expect(within(mic).getAllByRole('option').map((o) => o.textContent)).toEqual(['System default', 'USB headset', 'Laptop microphone'])
    await user.selectOptions(mic, 'mic-2')
    expect(fake.app.SetAudioDevices).toHaveBeenCalledWith('mic-2', '', '')
    await user.selectOptions(within(dialog).getByLabelText('Ringtone device'), 'spk-1')
    expect(fake.app.SetAudioDevices).toHaveBeenLastCalledWith('', '', 'spk-1')
    await user.click(within(dialog).getByRole('button', { name: 'Refresh the list' }))
    expect(fake.app.AudioDevices).toHaveBeenCalled()
  })

  it('are not in Settings on another station', async () => {
    const user = userEvent.setup()
    await renderApp(base({ step: 'tasks', tasks }))
    await user.click(profileButton())
    await user.click(screen.getByRole('menuitem', { name: 'Settings' }))
    expect(within(screen.getByRole('dialog', { name: 'Settings' })).queryByLabelText('Microphone')).toBeNull()
  })
})

describe('in French', () => {
  it('the panel, the ringing call and the mark speak French', async () => {
    const fake = await renderApp(desk({ registration: 'reconnecting' }, { language: 'fr', seq: 1 }))
    expect(screen.getByRole('region', { name: 'Téléphone' })).toBeInTheDocument()
    expect(screen.getByTestId('phone-status')).toHaveTextContent('Voix déconnectée. Reconnexion…')
    expect(screen.getByRole('button', { name: /menu du profil/ })).toHaveAccessibleName(/Voix déconnectée/)
    fake.emit(desk({ call: call() }, { language: 'fr', seq: 2 }))
    const dialog = await screen.findByRole('alertdialog', { name: 'Appel entrant' })
    expect(within(dialog).getByRole('button', { name: 'Répondre' })).toBeInTheDocument()
    expect(within(dialog).getByRole('button', { name: 'Refuser' })).toBeInTheDocument()
  })

  it('the quality figures use a decimal comma', async () => {
    const user = userEvent.setup()
    await renderApp(
      desk({ call: call({ state: 'in_call', answered_at: new Date().toISOString(), stats: { rtt_ms: 42, jitter_ms: 3.2, loss_pct: 0.5, mos: 4.3, codec: 'opus' } }) }, { language: 'fr', seq: 1 }),
    )
    await user.click(screen.getByText(/Qualité/))
    for (const text of ['4,3', '3,2 ms', '0,5 %']) expect(screen.getByText(text)).toBeInTheDocument()
  })
})
