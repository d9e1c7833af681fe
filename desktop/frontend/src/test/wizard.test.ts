// The sign-in wizard, rendered from State fixtures on a fake Go side.
import { render, screen, within } from '@testing-library/svelte'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import App from '../App.svelte'
import { base, everyStep, holder, station, teams } from './fixtures'
import { installFake } from './fake'
import { renderApp } from './render'

afterEach(() => {
  vi.useRealTimers()
})

describe('loading', () => {
  it('shows the loading step until the Wails bindings exist, then calls Init', async () => {
    vi.useFakeTimers()
    render(App)
    expect(screen.getByRole('heading', { name: 'Starting AgentDesk…' })).toBeInTheDocument()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(screen.getByRole('heading', { name: 'Starting AgentDesk…' })).toBeInTheDocument()
    const fake = installFake(base({ step: 'server', server: '' }))
    await vi.advanceTimersByTimeAsync(100)
    expect(fake.app.Init).toHaveBeenCalledTimes(1)
    expect(screen.getByRole('heading', { name: 'Welcome to AgentDesk' })).toBeInTheDocument()
  })

  it('says so when starting takes long', async () => {
    vi.useFakeTimers()
    render(App)
    await vi.advanceTimersByTimeAsync(11_000)
    expect(screen.getByText(/taking longer than usual/)).toBeInTheDocument()
  })
})

describe('server', () => {
  it('asks for the URL the administrator gave and sends it to SetServer', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'server', server: '' }))
    expect(screen.getByText('Enter the URL your administrator gave you.')).toBeInTheDocument()
    const input = screen.getByLabelText('Server URL')
    expect(input).toHaveAttribute('type', 'url')
    expect(input).toHaveFocus()
    await user.type(input, ' https://agentdesk.example.com {Enter}')
    expect(fake.app.SetServer).toHaveBeenCalledWith('https://agentdesk.example.com')
  })

  it.each([
    ['invalid_url', /not a complete web address/],
    ['server_unreachable', /Cannot reach that server/],
    ['not_agentdesk', /not an AgentDesk server/],
  ])('explains %s and ties it to the field', async (code, text) => {
    await renderApp(base({ step: 'server', error: { code } }))
    const alert = screen.getByRole('alert')
    expect(alert).toHaveTextContent(text)
    expect(alert).toHaveTextContent(/Likely cause/)
    const input = screen.getByLabelText('Server URL')
    expect(input).toHaveAttribute('aria-invalid', 'true')
    expect(input.getAttribute('aria-describedby')).toContain(alert.id)
    expect(input).toHaveFocus()
  })
})

describe('email and password', () => {
  it('signs in by email, and can change the server', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'email', email: '' }))
    await user.type(screen.getByLabelText('Email'), 'ana@example.com')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(fake.app.SubmitEmail).toHaveBeenCalledWith('ana@example.com')
    expect(screen.getByText('Server: https://agentdesk.example.com')).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Change server' }))
    expect(fake.app.ChangeServer).toHaveBeenCalled()
  })

  it('shows why the agent was signed out', async () => {
    await renderApp(everyStep().email)
    expect(screen.getByText(/Your administrator changed your account/)).toBeInTheDocument()
  })

  it('password step: sign in, a visible "Use a different email" link and Forgot password', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'password' }))
    expect(screen.getByText('Signing in as ana@example.com')).toBeInTheDocument()
    const pw = screen.getByLabelText('Password')
    expect(pw).toHaveAttribute('type', 'password')
    expect(pw).toHaveAttribute('autocomplete', 'current-password')
    await user.type(pw, 'correct horse{Enter}')
    expect(fake.app.SubmitPassword).toHaveBeenCalledWith('correct horse')
    const link = screen.getByRole('button', { name: 'Use a different email' })
    expect(link).toBeVisible()
    await user.click(link)
    expect(fake.app.Back).toHaveBeenCalledTimes(1)
    await user.click(screen.getByRole('button', { name: 'Forgot password?' }))
    expect(fake.app.StartForgot).toHaveBeenCalled()
  })

  it('show password toggles the field', async () => {
    const user = userEvent.setup()
    await renderApp(base({ step: 'password' }))
    await user.click(screen.getByLabelText('Show password'))
    expect(screen.getByLabelText('Password')).toHaveAttribute('type', 'text')
  })

  it.each([
    ['invalid_credentials', /email or password is incorrect/, /typo/],
    ['account_disabled', /account is disabled/, /account settings/],
    ['password_reset_required', /set a new password/, /account settings/],
    ['network_error', /Cannot reach AgentDesk/, /network, or the AgentDesk service \(API\)/],
  ])('explains %s with its likely cause', async (code, text, cause) => {
    await renderApp(base({ step: 'password', error: { code } }))
    const alert = screen.getByRole('alert')
    expect(alert).toHaveTextContent(text)
    expect(alert).toHaveTextContent(cause)
    expect(screen.getByLabelText('Password').getAttribute('aria-describedby')).toContain('step-error')
  })

  it('an unknown code still says something, with the code', async () => {
    await renderApp(base({ step: 'password', error: { code: 'brand_new' } }))
    expect(screen.getByRole('alert')).toHaveTextContent('Something went wrong (code brand_new).')
  })
})

describe('Back shortcut', () => {
  it.each([
    ['linux', '{Alt>}{ArrowLeft}{/Alt}', 1],
    ['windows', '{Alt>}{ArrowLeft}{/Alt}', 1],
    ['linux', '{Meta>}{ArrowLeft}{/Meta}', 0],
    ['darwin', '{Meta>}{ArrowLeft}{/Meta}', 1],
    ['darwin', '{Alt>}{ArrowLeft}{/Alt}', 0],
  ])('on %s, %s calls Back() %i time(s)', async (platform, keys, times) => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'password', platform }))
    await user.type(screen.getByLabelText('Password'), 'abc')
    await user.keyboard(keys)
    expect(fake.app.Back).toHaveBeenCalledTimes(times)
  })

  it('names the platform shortcut', async () => {
    await renderApp(base({ step: 'password', platform: 'darwin' }))
    expect(screen.getByText(/Cmd\+Left arrow/)).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Use a different email' })).toHaveAttribute('aria-keyshortcuts', 'Meta+ArrowLeft')
  })

  it('does nothing on the email step', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'email' }))
    await user.keyboard('{Alt>}{ArrowLeft}{/Alt}')
    expect(fake.app.Back).not.toHaveBeenCalled()
  })
})

describe('forgot password', () => {
  it('asks for the code by email; self_managed is explained', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(everyStep().forgot_email)
    expect(screen.getByRole('alert')).toHaveTextContent('This user belongs to a self-managed group. Contact the account administrator.')
    const email = screen.getByLabelText('Email')
    expect(email).toHaveValue('ana@example.com')
    await user.click(screen.getByRole('button', { name: 'Send code' }))
    expect(fake.app.RequestCode).toHaveBeenCalledWith('ana@example.com')
    await user.click(screen.getByRole('button', { name: 'Back to sign in' }))
    expect(fake.app.Back).toHaveBeenCalled()
  })

  it('code step: a 6-digit one-time code, digits only', async () => {
    const user = userEvent.setup()
    await renderApp(base({ step: 'forgot_code', notice: 'code_sent' }))
    expect(screen.getByText('We sent a 6-digit code to ana@example.com.')).toBeInTheDocument()
    const code = screen.getByLabelText('6-digit code')
    expect(code).toHaveAttribute('inputmode', 'numeric')
    expect(code).toHaveAttribute('autocomplete', 'one-time-code')
    await user.click(code)
    await user.paste('123 456')
    expect(code).toHaveValue('123456')
    await user.type(code, '7a')
    expect(code).toHaveValue('123456')
  })

  it('explains the policy as you type (debounced PasswordProblem) and resets', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'forgot_code' }))
    expect(screen.getByText('8–128 characters; a passphrase of 15+ is best.')).toBeInTheDocument()
    const pw = screen.getByLabelText('New password')
    expect(pw).toHaveAttribute('autocomplete', 'new-password')
    await user.type(pw, 'abc')
    expect(await screen.findByText('Too short: use at least 8 characters.')).toBeInTheDocument()
    // one call for the pause, not one per key
    expect(fake.app.PasswordProblem).toHaveBeenCalledTimes(1)
    expect(fake.app.PasswordProblem).toHaveBeenCalledWith('abc')
    expect(pw).toHaveAttribute('aria-invalid', 'true')
    await user.type(pw, ' defgh ijklmnop')
    expect(await screen.findByText('Great: a long passphrase.')).toBeInTheDocument()
    await user.type(screen.getByLabelText('6-digit code'), '654321')
    await user.click(screen.getByRole('button', { name: 'Set new password' }))
    expect(fake.app.ResetPassword).toHaveBeenCalledWith('654321', 'abc defgh ijklmnop')
    await user.click(screen.getByRole('button', { name: 'Send a new code' }))
    expect(fake.app.RequestCode).toHaveBeenCalledWith('ana@example.com')
  })

  it.each([
    ['too_long', 'Too long: use at most 128 characters.'],
    ['common', 'Too common: this password appears in lists of known passwords.'],
    ['repetitive', 'Too repetitive: avoid repeating the same characters or patterns.'],
    ['personal', 'Too close to your name or email: choose something others cannot guess.'],
  ])('shows the %s reason as you type', async (reason, text) => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'forgot_code' }))
    fake.app.PasswordProblem.mockResolvedValue(reason)
    await user.type(screen.getByLabelText('New password'), 'whatever123')
    expect(await screen.findByText(text)).toBeInTheDocument()
  })

  it.each([
    ['invalid_code', /code is not right/],
    ['code_expired', /code has expired/],
  ])('explains %s on the code field', async (code, text) => {
    await renderApp(base({ step: 'forgot_code', error: { code } }))
    expect(screen.getByRole('alert')).toHaveTextContent(text)
    expect(screen.getByLabelText('6-digit code')).toHaveAttribute('aria-invalid', 'true')
  })

  it('explains weak_password with the policy reason', async () => {
    await renderApp(everyStep().forgot_code)
    expect(screen.getByRole('alert')).toHaveTextContent('Choose a different password. Too common')
    expect(screen.getByLabelText('New password').getAttribute('aria-describedby')).toContain('step-error')
  })

  it('done: back to sign-in', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(everyStep().forgot_done)
    expect(screen.getByText(/Your password was changed/)).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Back to sign in' }))
    expect(fake.app.Back).toHaveBeenCalled()
  })
})

describe('too_many_attempts', () => {
  it('counts the time left down from retry_after', async () => {
    vi.useFakeTimers()
    await renderApp(base({ step: 'password', error: { code: 'too_many_attempts', retry_after: 90 } }))
    expect(screen.getByRole('alert')).toHaveTextContent('Too many attempts')
    expect(screen.getByText('Try again in 1 min 30 s.')).toBeInTheDocument()
    await vi.advanceTimersByTimeAsync(31_000)
    expect(screen.getByText('Try again in 59 s.')).toBeInTheDocument()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(screen.getByText('You can try again now.')).toBeInTheDocument()
  })
})

describe('station', () => {
  it('offers only the modes allowed, pre-fills the default number, remembers', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'station', station: { ...station, modes: ['dial_number', 'desktop'] } }))
    const group = screen.getByRole('group', { name: 'How do you take calls?' })
    const radios = within(group).getAllByRole('radio')
    expect(radios.map((r) => (r as HTMLInputElement).value)).toEqual(['dial_number', 'desktop'])
    expect(within(group).queryByLabelText(/^Extension/)).toBeNull()
    expect(screen.getByRole('radio', { name: /Dial Number/ })).toBeChecked()
    expect(screen.getByLabelText('Dial number')).toHaveValue('+14155550123')
    await user.click(screen.getByLabelText('Remember my credentials'))
    await user.click(screen.getByRole('button', { name: 'Continue' }))
    expect(fake.app.ChooseStation).toHaveBeenCalledWith('dial_number', '+14155550123', '', true)
  })

  it('pre-fills the extension with the default too; desktop needs no number', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'station', station }))
    await user.click(screen.getByRole('radio', { name: /Extension/ }))
    expect(screen.getByLabelText('Extension')).toHaveValue('+14155550123')
    await user.click(screen.getByRole('radio', { name: /Desktop/ }))
    expect(screen.queryByLabelText('Dial number')).toBeNull()
    expect(screen.queryByRole('textbox')).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Continue' }))
    expect(fake.app.ChooseStation).toHaveBeenCalledWith('desktop', '', '', false)
  })

  it('makes the numbers read-only when the admin locked them', async () => {
    const user = userEvent.setup()
    await renderApp(base({ step: 'station', station: { ...station, locked: true, mode: 'dial_number', dial_number: '+15550001111' } }))
    const dial = screen.getByLabelText('Dial number')
    expect(dial).toHaveAttribute('readonly')
    expect(dial).toHaveValue('+15550001111')
    expect(screen.getByText('Set by your administrator: it cannot be changed.')).toBeInTheDocument()
    await user.type(dial, '999')
    expect(dial).toHaveValue('+15550001111')
    await user.click(screen.getByRole('radio', { name: /Extension/ }))
    expect(screen.getByLabelText('Extension')).toHaveAttribute('readonly')
  })

  it('normalises a pasted number with NormalizeDialNumber', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'station', station }))
    const dial = screen.getByLabelText('Dial number')
    await user.clear(dial)
    await user.paste('+1 (415) 555-0199')
    expect(fake.app.NormalizeDialNumber).toHaveBeenCalledWith('+1 (415) 555-0199')
    await vi.waitFor(() => expect(dial).toHaveValue('+14155550199'))
  })

  it('says when the credentials could not be saved', async () => {
    await renderApp(everyStep().station)
    expect(screen.getByText(/Your credentials were not saved/)).toBeInTheDocument()
  })

  it.each([
    ['dial_number_in_use', /already in use/, /dial number is invalid or already in use/],
    ['invalid_dial_number', /not valid/, /dial number is invalid or already in use/],
    ['dial_number_locked', /locked the dial number/, /dial number/],
    ['station_mode_not_allowed', /not allowed for your account/, /permissions/],
    ['invalid_extension', /extension is not valid/, /dial number/],
  ])('explains %s and its likely cause', async (code, text, cause) => {
    await renderApp(base({ step: 'station', station: { ...station, mode: code === 'invalid_extension' ? 'extension' : 'dial_number' }, error: { code } }))
    const alert = screen.getByRole('alert')
    expect(alert).toHaveTextContent(text)
    expect(alert).toHaveTextContent(cause)
  })
})

describe('team', () => {
  it('filters as you type and picks with the keyboard', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'team', teams }))
    const box = screen.getByRole('combobox', { name: 'Team' })
    expect(box).toHaveAttribute('aria-expanded', 'false')
    await user.type(box, 'sal')
    expect(box).toHaveAttribute('aria-expanded', 'true')
    const list = screen.getByRole('listbox', { name: 'Teams' })
    expect(within(list).getAllByRole('option').map((o) => o.textContent?.trim())).toEqual(['Sales – Europe', 'Sales – Americas'])
    expect(screen.getByText('2 teams')).toBeInTheDocument()
    expect(box).toHaveAttribute('aria-activedescendant', 'team-opt-t2')
    await user.keyboard('{ArrowDown}')
    expect(box).toHaveAttribute('aria-activedescendant', 'team-opt-t3')
    await user.keyboard('{Enter}')
    expect(box).toHaveValue('Sales – Americas')
    expect(box).toHaveAttribute('aria-expanded', 'false')
    expect(fake.app.SubmitTeam).not.toHaveBeenCalled()
    // Enter with the list closed submits
    await user.keyboard('{Enter}')
    expect(fake.app.SubmitTeam).toHaveBeenCalledWith('t3')
  })

  it('ignores accents and case; says when nothing matches', async () => {
    const user = userEvent.setup()
    await renderApp(base({ step: 'team', teams }))
    const box = screen.getByRole('combobox', { name: 'Team' })
    await user.type(box, 'EQUIPE')
    const list = screen.getByRole('listbox', { name: 'Teams' })
    expect(within(list).getAllByRole('option').map((o) => o.textContent?.trim())).toEqual(['Équipe Réclamations'])
    await user.clear(box)
    await user.type(box, 'nothing')
    expect(screen.getByText('No team matches “nothing”.')).toBeVisible()
    expect(within(list).queryAllByRole('option')).toHaveLength(0)
  })

  it('Escape closes the list, then clears the search; ArrowUp opens at the end', async () => {
    const user = userEvent.setup()
    await renderApp(base({ step: 'team', teams }))
    const box = screen.getByRole('combobox', { name: 'Team' })
    await user.type(box, 's')
    expect(box).toHaveAttribute('aria-expanded', 'true')
    await user.keyboard('{Escape}')
    expect(box).toHaveAttribute('aria-expanded', 'false')
    expect(box).toHaveValue('s')
    await user.keyboard('{Escape}')
    expect(box).toHaveValue('')
    await user.keyboard('{ArrowUp}')
    expect(box).toHaveAttribute('aria-activedescendant', 'team-opt-t5')
    await user.keyboard('{ArrowDown}')
    expect(box).toHaveAttribute('aria-activedescendant', 'team-opt-t1')
  })

  it('pre-selects team_id, and picks with the mouse', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'team', teams, team_id: 't4' }))
    const box = screen.getByRole('combobox', { name: 'Team' })
    expect(box).toHaveValue('Support')
    await user.click(screen.getByRole('button', { name: 'Show teams' }))
    expect(within(screen.getByRole('listbox', { name: 'Teams' })).getAllByRole('option')).toHaveLength(5)
    expect(screen.getByRole('option', { name: 'Support' })).toHaveAttribute('aria-selected', 'true')
    await user.click(screen.getByRole('option', { name: 'Billing' }))
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    expect(fake.app.SubmitTeam).toHaveBeenCalledWith('t1')
  })

  it('asks for a team before Submit', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'team', teams }))
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    expect(fake.app.SubmitTeam).not.toHaveBeenCalled()
    expect(screen.getByRole('alert')).toHaveTextContent('Choose a team.')
    const box = screen.getByRole('combobox', { name: 'Team' })
    expect(box).toHaveFocus()
    expect(box).toHaveAttribute('aria-invalid', 'true')
  })

  it('lets an agent with no team sign in without one', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'team', teams: [] }))
    expect(screen.getByText(/You are not in any team yet/)).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Submit' }))
    expect(fake.app.SubmitTeam).toHaveBeenCalledWith('')
  })

  it('shows the Go side\'s team errors on the combobox', async () => {
    await renderApp(base({ step: 'team', teams, error: { code: 'unknown_team', field: 'team_id' } }))
    expect(screen.getByRole('alert')).toHaveTextContent('That team is not available any more.')
    const box = screen.getByRole('combobox', { name: 'Team' })
    expect(box).toHaveAttribute('aria-invalid', 'true')
    expect(box.getAttribute('aria-describedby')).toContain('step-error')
  })

  it('shows that the credentials were saved', async () => {
    await renderApp(everyStep().team)
    expect(screen.getByText('Your station details are saved on this computer.')).toBeInTheDocument()
  })
})

describe('takeover', () => {
  it('names the other device, its platform and since when; on a call says what Continue does', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'takeover', holder }))
    expect(screen.getByRole('heading', { name: 'You’re signed in on another device' })).toBeInTheDocument()
    expect(screen.getByText('DESK-42')).toBeInTheDocument()
    expect(screen.getByText('Windows')).toBeInTheDocument()
    expect(screen.getByText(/5 minutes ago \(/)).toBeInTheDocument()
    expect(screen.getByText('That device is on a call: continuing ends that call there.')).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Continue' }))
    expect(fake.app.Continue).toHaveBeenCalled()
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(fake.app.Cancel).toHaveBeenCalled()
  })

  it('says nothing about a call when there is none', async () => {
    await renderApp(base({ step: 'takeover', holder: { ...holder, on_call: false, platform: 'darwin' } }))
    expect(screen.getByText('macOS')).toBeInTheDocument()
    expect(screen.queryByText(/on a call/)).toBeNull()
  })
})

describe('reserved steps', () => {
  it('microsoft says it is not available yet and offers another email', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(everyStep().microsoft)
    expect(screen.getByRole('heading', { name: 'Sign in with Microsoft' })).toBeInTheDocument()
    expect(screen.getByRole('alert')).toHaveTextContent('Microsoft sign-in is not available in this version of AgentDesk yet.')
    await user.click(screen.getByRole('button', { name: 'Use a different email' }))
    expect(fake.app.Back).toHaveBeenCalled()
  })

  it('teams_signin can be skipped with Continue', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(everyStep().teams_signin)
    expect(screen.getByRole('heading', { name: 'Microsoft Teams (optional)' })).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Continue' }))
    expect(fake.app.Continue).toHaveBeenCalled()
    await user.click(screen.getByRole('button', { name: 'Back' }))
    expect(fake.app.Back).toHaveBeenCalled()
  })

  it('an unknown step is not a blank screen', async () => {
    await renderApp(base({ step: 'from_the_future' }))
    expect(screen.getByRole('heading', { name: 'This sign-in method is not available yet' })).toBeInTheDocument()
  })
})

describe('restoring the session failed', () => {
  it('explains the failure on the loading step; Try again reloads; Change server and Sign out leave', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(everyStep().load_failed)
    expect(screen.getByRole('heading', { name: 'Your session could not be restored' })).toBeInTheDocument()
    expect(screen.getByRole('alert')).toHaveTextContent('Cannot reach AgentDesk.')
    expect(screen.getByRole('alert')).toHaveTextContent(/network/)
    expect(screen.getByRole('button', { name: 'Try again' })).toHaveFocus()
    await user.click(screen.getByRole('button', { name: 'Try again' }))
    expect(fake.app.Reload).toHaveBeenCalledTimes(1)
    await user.click(screen.getByText('Details for your administrator'))
    await user.click(screen.getByRole('button', { name: 'Reload' }))
    expect(fake.app.Reload).toHaveBeenCalledTimes(2)
    await user.click(screen.getByRole('button', { name: 'Change server' }))
    expect(fake.app.ChangeServer).toHaveBeenCalled()
    await user.click(screen.getByRole('button', { name: 'Sign out' }))
    expect(fake.app.SignOut).toHaveBeenCalled()
  })

  it('while still busy it is the loading step', async () => {
    await renderApp({ ...everyStep().load_failed, busy: true })
    expect(screen.getByRole('heading', { name: 'Starting AgentDesk…' })).toBeInTheDocument()
  })
})

describe('required fields', () => {
  it.each([
    ['server', 'server', 'Enter the server URL.', 'Server URL'],
    ['email', 'email', 'Enter your email.', 'Email'],
    ['password', 'password', 'Enter your password.', 'Password'],
    ['forgot_code', 'code', 'Enter the 6-digit code.', '6-digit code'],
    ['forgot_code', 'password', 'Enter a new password.', 'New password'],
  ])('on %s, an empty %s says what to fill in', async (step, field, text, label) => {
    await renderApp(base({ step, error: { code: 'required', field } }))
    expect(screen.getByRole('alert')).toHaveTextContent(text)
    const input = screen.getByLabelText(label)
    expect(input).toHaveAttribute('aria-invalid', 'true')
    await vi.waitFor(() => expect(input).toHaveFocus())
  })

  it('a mode not allowed marks the station type group', async () => {
    await renderApp(base({ step: 'station', station, error: { code: 'station_mode_not_allowed', field: 'mode' } }))
    const group = screen.getByRole('group', { name: 'How do you take calls?' })
    expect(group.getAttribute('aria-describedby')).toContain('step-error')
    await vi.waitFor(() => expect(screen.getByRole('radio', { name: /Dial Number/ })).toHaveFocus())
  })
})

describe('stale states', () => {
  it('drops a state older (lower seq) than the one shown', async () => {
    const fake = await renderApp(base({ step: 'email', seq: 3 }))
    // the call's answer (seq 4, busy) comes after the event of its result (seq 5)
    fake.app.SubmitEmail.mockImplementationOnce(async () => {
      fake.emit(base({ step: 'password', seq: 5 }))
      return base({ step: 'email', busy: true, seq: 4 })
    })
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Email'), 'a@b.c{Enter}')
    expect(await screen.findByRole('heading', { name: 'Enter your password' })).toBeInTheDocument()
    await new Promise((r) => setTimeout(r, 20))
    expect(screen.getByRole('heading', { name: 'Enter your password' })).toBeInTheDocument()
  })

  it('takes states without seq as they come', async () => {
    const fake = await renderApp(base({ step: 'email', seq: 9 }))
    fake.emit(base({ step: 'password' }))
    expect(await screen.findByRole('heading', { name: 'Enter your password' })).toBeInTheDocument()
  })
})

describe('view event', () => {
  it('re-renders on every "view" event', async () => {
    const fake = await renderApp(base({ step: 'email' }))
    fake.emit(base({ step: 'password' }))
    expect(await screen.findByRole('heading', { name: 'Enter your password' })).toBeInTheDocument()
    fake.emit(base({ step: 'email', language: 'fr' }))
    expect(await screen.findByRole('heading', { name: 'Connexion' })).toBeInTheDocument()
  })

  it('moves focus to the new step', async () => {
    const fake = await renderApp(base({ step: 'email' }))
    fake.emit(base({ step: 'password' }))
    await vi.waitFor(() => expect(screen.getByLabelText('Password')).toHaveFocus())
  })

  it('switches language from the footer', async () => {
    const user = userEvent.setup()
    const fake = await renderApp(base({ step: 'email' }))
    await user.selectOptions(screen.getByLabelText('Language'), 'pt-BR')
    expect(fake.app.SetLanguage).toHaveBeenCalledWith('pt-BR')
    expect(await screen.findByRole('heading', { name: 'Entrar' })).toBeInTheDocument()
  })
})
