// The Tasks page, its profile menu, the modals and the details panel.
import { screen, within } from '@testing-library/svelte'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { base, everyStep, holder, tasks } from './fixtures'
import { renderApp } from './render'

afterEach(() => {
  vi.useRealTimers()
})

describe('tasks page', () => {
  it('shows the agent, the illustration, the queues with their channels', async () => {
    await renderApp(base({ step: 'tasks', tasks }))
    expect(screen.getByRole('heading', { name: 'Tasks' })).toBeInTheDocument()
    expect(screen.getByText('Hello, Ana Souza')).toBeInTheDocument()
    const page = document.querySelector<HTMLElement>('.tasks-page')!
    expect(page.style.backgroundImage).toContain('https://cdn.example.com/bg.png')
    const queues = screen.getByRole('region', { name: 'Your queues' })
    expect(within(queues).getByText('Billing voice')).toBeInTheDocument()
    expect(within(queues).getByText('Voice')).toBeInTheDocument()
    expect(within(queues).getByText('Channels: WebChat, WhatsApp')).toBeInTheDocument()
    expect(screen.getByText('Team: Billing')).toBeInTheDocument()
    expect(screen.getByText('Station: Dial Number +14155550123')).toBeInTheDocument()
    expect(screen.queryByText(/Omnichannel is not available yet/)).toBeNull()
  })

  it('is blank without an illustration', async () => {
    await renderApp(base({ step: 'tasks', tasks: { ...tasks, illustration: '' } }))
    expect(document.querySelector<HTMLElement>('.tasks-page')!.style.backgroundImage).toBe('none')
  })

  it('says omnichannel is not available yet when enabled but not linked to queues', async () => {
    await renderApp(base({ step: 'tasks', tasks: { ...tasks, queues: [], omnichannel_available: false } }))
    expect(screen.getByText('Omnichannel is not available yet: ask your administrator to link you to queues.')).toBeInTheDocument()
  })

  it('sets the agent state: Available, or Idle with a reason', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'tasks', tasks }))
    const select = screen.getByLabelText('Your state')
    expect(select).toHaveValue('available')
    const options = within(select).getAllByRole('option').map((o) => o.textContent)
    expect(options).toEqual(['Available', 'Idle – Break', 'Idle – Lunch', 'Idle – Meeting', 'Idle – Training'])
    await user.selectOptions(select, 'idle:lunch')
    expect(fake.app.SetAgentState).toHaveBeenCalledWith('idle', 'lunch')
  })

  it('ties an agent_state error to the state selector', async () => {
    await renderApp(base({ step: 'tasks', tasks, error: { code: 'validation_failed', field: 'agent_state' } }))
    expect(screen.getByLabelText('Your state')).toHaveAttribute('aria-invalid', 'true')
    expect(screen.getByRole('alert')).toHaveTextContent('Some details are not valid.')
  })

  it('reflects an idle state with its reason', async () => {
    await renderApp(base({ step: 'tasks', tasks: { ...tasks, agent_state: 'idle', idle_reason: 'meeting' } }))
    expect(screen.getByLabelText('Your state')).toHaveValue('idle:meeting')
  })

  it('highlights banners that say features are unavailable; Reload clears them', async () => {
    const user = userEvent.setup()
    const banners = [
      { id: 'b1', severity: 'warning', message: 'Chat is down', features_unavailable: true },
      { id: 'b2', severity: 'info', message: 'Maintenance at 22:00', features_unavailable: false },
    ]
    const fake = await renderApp(base({ step: 'tasks', tasks: { ...tasks, banners } }))
    const region = screen.getByRole('region', { name: 'Announcements' })
    const down = within(region).getByText('Chat is down').closest('li')!
    expect(down).toHaveClass('banner-down')
    expect(within(down).getByText('Some features are unavailable')).toBeInTheDocument()
    expect(within(region).getByText('Maintenance at 22:00').closest('li')).not.toHaveClass('banner-down')
    fake.app.Reload.mockResolvedValueOnce(base({ step: 'tasks', tasks }))
    await user.click(within(region).getByRole('button', { name: 'Reload' }))
    expect(fake.app.Reload).toHaveBeenCalled()
    expect(screen.queryByRole('region', { name: 'Announcements' })).toBeNull()
  })

  it('shows "Reconnecting…" with the time to the next try', async () => {
    vi.useFakeTimers()
    const retry = new Date(Date.now() + 5_000).toISOString()
    const fake = await renderApp(base({ step: 'tasks', tasks, link: { reconnecting: true, retry_at: retry } }))
    expect(screen.getByText('Reconnecting…')).toBeInTheDocument()
    expect(screen.getByText('Next attempt in 5 s.')).toBeInTheDocument()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(screen.getByText('Next attempt in 3 s.')).toBeInTheDocument()
    await vi.advanceTimersByTimeAsync(4_000)
    expect(screen.getByText('Trying now.')).toBeInTheDocument()
    fake.emit(base({ step: 'tasks', tasks }))
    await vi.advanceTimersByTimeAsync(0)
    expect(screen.queryByText('Reconnecting…')).toBeNull()
  })

  it('shows the credentials notices on the Tasks page', async () => {
    await renderApp(base({ step: 'tasks', tasks, notice: 'credentials_not_saved' }))
    expect(screen.getByText(/Your credentials were not saved/)).toBeInTheDocument()
  })
})

describe('error details', () => {
  it('lists what failed, status, code, request id, time, app version and server; Copy and Reload', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(everyStep().tasks)
    expect(screen.getByRole('alert')).toHaveTextContent('Your details could not be loaded.')
    expect(screen.getByRole('alert')).toHaveTextContent(/AgentDesk service \(API\)/)
    const panel = screen.getByText('Details for your administrator').closest('details')!
    await user.click(screen.getByText('Details for your administrator'))
    for (const text of ['GET /v1/me', '503', 'internal', 'req-123', '1.2.3', 'https://agentdesk.example.com'])
      expect(within(panel).getAllByText(text).length).toBeGreaterThan(0)
    expect(within(panel).getByText('Request ID')).toBeInTheDocument()
    expect(within(panel).getByText('Time').nextElementSibling?.querySelector('time')).not.toBeNull()
    await user.click(within(panel).getByRole('button', { name: 'Copy details' }))
    expect(fake.app.DetailsText).toHaveBeenCalled()
    expect(fake.clipboard).toHaveBeenCalledWith('What failed: GET /v1/me')
    expect(await within(panel).findByText('Details copied.')).toBeInTheDocument()
    await user.click(within(panel).getByRole('button', { name: 'Reload' }))
    expect(fake.app.Reload).toHaveBeenCalled()
  })

  it('offers no Reload on the sign-in steps (it would only clear the error)', async () => {
    await renderApp(everyStep().server_error)
    expect(screen.getByRole('button', { name: 'Copy details' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Reload' })).toBeNull()
  })

  it('copies its own text for a call that failed in the app', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'email', version: '1.2.3' }))
    fake.app.SubmitEmail.mockRejectedValueOnce(new Error('connection lost'))
    await user.type(screen.getByLabelText('Email'), '{Enter}')
    expect(await screen.findByRole('alert')).toHaveTextContent('AgentDesk could not complete that action.')
    await user.click(screen.getByText('Details for your administrator'))
    await user.click(screen.getByRole('button', { name: 'Copy details' }))
    const copied = fake.clipboard.mock.calls[0][0]
    expect(copied).toContain('What failed: SubmitEmail')
    expect(copied).toContain('Message: connection lost')
    expect(copied).toContain('App version: 1.2.3')
  })
})

describe('profile menu', () => {
  it('opens by keyboard, moves with the arrows, switches the language', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'tasks', tasks }))
    const button = screen.getByRole('button', { name: 'Ana Souza, profile menu' })
    expect(button).toHaveAttribute('aria-haspopup', 'menu')
    button.focus()
    await user.keyboard('{ArrowDown}')
    const menu = screen.getByRole('menu')
    expect(button).toHaveAttribute('aria-expanded', 'true')
    expect(within(menu).getByRole('menuitem', { name: 'Settings' })).toHaveFocus()
    expect(within(menu).getByRole('menuitemradio', { name: /English/ })).toHaveAttribute('aria-checked', 'true')
    await user.keyboard('{ArrowDown}{ArrowDown}')
    expect(within(menu).getByRole('menuitemradio', { name: /Français/ })).toHaveFocus()
    await user.keyboard('{Enter}')
    expect(fake.app.SetLanguage).toHaveBeenCalledWith('fr')
    expect(await screen.findByRole('heading', { name: 'Tâches' })).toBeInTheDocument()
    expect(screen.queryByRole('menu')).toBeNull()
  })

  it('Escape closes it and focus goes back to the button', async () => {
    const user = userEvent.setup()
    await renderApp(base({ step: 'tasks', tasks }))
    const button = screen.getByRole('button', { name: 'Ana Souza, profile menu' })
    await user.click(button)
    expect(screen.getByRole('menu')).toBeInTheDocument()
    await user.keyboard('{End}')
    expect(screen.getByRole('menuitem', { name: 'Sign out' })).toHaveFocus()
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('menu')).toBeNull()
    expect(button).toHaveFocus()
  })

  it('Settings shows the server, the app version and the station', async () => {
    const user = userEvent.setup()
    await renderApp(base({ step: 'tasks', tasks }))
    await user.click(screen.getByRole('button', { name: 'Ana Souza, profile menu' }))
    await user.click(screen.getByRole('menuitem', { name: 'Settings' }))
    const dialog = screen.getByRole('dialog', { name: 'Settings' })
    expect(dialog).toHaveAttribute('aria-modal', 'true')
    for (const text of ['https://agentdesk.example.com', '1.2.3', 'Dial Number', '+14155550123', 'Billing', 'English'])
      expect(within(dialog).getByText(text)).toBeInTheDocument()
    expect(within(dialog).getByRole('button', { name: 'Close' })).toHaveFocus()
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).toBeNull()
    await vi.waitFor(() => expect(screen.getByRole('button', { name: 'Ana Souza, profile menu' })).toHaveFocus())
  })

  it('Sign out calls SignOut', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'tasks', tasks }))
    await user.click(screen.getByRole('button', { name: 'Ana Souza, profile menu' }))
    await user.click(screen.getByRole('menuitem', { name: 'Sign out' }))
    expect(fake.app.SignOut).toHaveBeenCalled()
  })
})

describe('modals', () => {
  it('taken over: a focus-trapped dialog; Escape does not dismiss it; Continue takes back', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(everyStep().taken_over)
    const dialog = screen.getByRole('dialog', { name: 'You signed in on another device' })
    expect(dialog).toHaveAttribute('aria-modal', 'true')
    expect(dialog).toHaveTextContent('Your session moved to DESK-42 (Windows).')
    expect(dialog).toHaveTextContent('continuing ends that call there')
    const cont = within(dialog).getByRole('button', { name: 'Continue' })
    const out = within(dialog).getByRole('button', { name: 'Sign out' })
    expect(cont).toHaveFocus()
    // the page behind is inert
    expect(document.querySelector('.app-root')).toHaveAttribute('inert')
    await user.tab()
    expect(out).toHaveFocus()
    await user.tab()
    expect(cont).toHaveFocus()
    await user.tab({ shift: true })
    expect(out).toHaveFocus()
    await user.keyboard('{Escape}')
    expect(screen.getByRole('dialog')).toBeInTheDocument()
    expect(fake.app.SignOut).not.toHaveBeenCalled()
    await user.click(cont)
    expect(fake.app.Continue).toHaveBeenCalled()
  })

  it('taken over: a failed take-back is explained in the modal', async () => {
    await renderApp({ ...everyStep().taken_over, error: { code: 'network_error' } })
    const dialog = screen.getByRole('dialog')
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Cannot reach AgentDesk.')
    expect(document.querySelectorAll('#step-error')).toHaveLength(1)
  })

  it('taken over: Sign out', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'tasks', tasks, modal: 'taken_over', holder: null }))
    expect(screen.getByRole('dialog')).toHaveTextContent('Your session moved to another device.')
    await user.click(screen.getByRole('button', { name: 'Sign out' }))
    expect(fake.app.SignOut).toHaveBeenCalled()
  })

  it('inactivity: counts down to the deadline; Escape stays signed in', async () => {
    vi.useFakeTimers()
    const deadline = new Date(Date.now() + 60_000).toISOString()
    const fake = await renderApp(base({ step: 'tasks', tasks, modal: 'inactivity', deadline }))
    const dialog = screen.getByRole('dialog', { name: 'Are you still there?' })
    expect(dialog).toHaveTextContent('You will be signed out in 1 min 00 s because of inactivity.')
    await vi.advanceTimersByTimeAsync(15_000)
    expect(dialog).toHaveTextContent('You will be signed out in 45 s because of inactivity.')
    expect(within(dialog).getByRole('button', { name: 'Stay signed in' })).toHaveFocus()
    dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    expect(fake.app.StaySignedIn).toHaveBeenCalledTimes(1)
    expect(fake.app.SignOut).not.toHaveBeenCalled()
  })

  it('focus goes back where it was when the modal closes', async () => {
    const fake = await renderApp(base({ step: 'tasks', tasks }))
    const button = screen.getByRole('button', { name: 'Ana Souza, profile menu' })
    button.focus()
    fake.emit(base({ step: 'tasks', tasks, modal: 'taken_over', holder }))
    await vi.waitFor(() => expect(screen.getByRole('button', { name: 'Continue' })).toHaveFocus())
    fake.emit(base({ step: 'tasks', tasks }))
    await vi.waitFor(() => expect(button).toHaveFocus())
  })
})

describe('activity', () => {
  it('reports keydown, mousemove and click at most every 15 s', async () => {
    vi.useFakeTimers()
    const fake = await renderApp(base({ step: 'tasks', tasks }))
    window.dispatchEvent(new MouseEvent('mousemove'))
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }))
    window.dispatchEvent(new MouseEvent('click'))
    expect(fake.app.Activity).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(14_000)
    window.dispatchEvent(new MouseEvent('mousemove'))
    expect(fake.app.Activity).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1_000)
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'b' }))
    expect(fake.app.Activity).toHaveBeenCalledTimes(2)
  })
})
