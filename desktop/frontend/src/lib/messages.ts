// Which dictionary key explains a code that comes from the Go side (error
// codes, password policy reasons, notices and revocation reasons).

import type { Key } from './i18n/en'
import type { ViewError } from './state'

const errorKeys: Record<string, Key> = {
  invalid_url: 'error.invalid_url',
  server_unreachable: 'error.server_unreachable',
  not_agentdesk: 'error.not_agentdesk',
  network_error: 'error.network_error',
  keyring_unavailable: 'error.keyring_unavailable',
  invalid_email: 'error.invalid_email',
  invalid_credentials: 'error.invalid_credentials',
  too_many_attempts: 'error.too_many_attempts',
  account_disabled: 'error.account_disabled',
  password_reset_required: 'error.password_reset_required',
  not_provisioned: 'error.not_provisioned',
  self_managed: 'error.self_managed',
  invalid_code: 'error.invalid_code',
  code_expired: 'error.code_expired',
  weak_password: 'error.weak_password',
  dial_number_in_use: 'error.dial_number_in_use',
  invalid_dial_number: 'error.invalid_dial_number',
  dial_number_locked: 'error.dial_number_locked',
  station_mode_not_allowed: 'error.station_mode_not_allowed',
  invalid_extension: 'error.invalid_extension',
  unknown_team: 'error.unknown_team',
  session_active_elsewhere: 'error.session_active_elsewhere',
  session_taken_over: 'error.session_taken_over',
  session_revoked: 'error.session_revoked',
  unauthorized: 'error.unauthorized',
  invalid_token: 'error.invalid_token',
  forbidden: 'error.forbidden',
  validation_failed: 'error.validation_failed',
  bad_request: 'error.bad_request',
  malformed_json: 'error.bad_request',
  unknown_field: 'error.bad_request',
  body_too_large: 'error.bad_request',
  unsupported_media_type: 'error.bad_request',
  internal: 'error.internal',
  bad_response: 'error.bad_response',
  unexpected: 'error.unexpected',
  microsoft_unavailable: 'error.microsoft_unavailable',
  load_failed: 'error.load_failed',
  app_call_failed: 'error.app_call_failed',
}

const requiredKeys: Record<string, Key> = {
  server: 'error.required_server',
  email: 'error.required_email',
  password: 'error.required_password',
  code: 'error.required_code',
  team_id: 'error.required_team',
}

/**
 * errorKey is the message for an error, or null for an unknown code (use
 * error.unknown). "required" says which field is empty; on the code step
 * the password is the new one.
 */
export function errorKey(err: ViewError | string, step = ''): Key | null {
  const e = typeof err === 'string' ? { code: err } : err
  if (e.code === 'required') {
    if (step === 'forgot_code' && e.field === 'password') return 'error.required_new_password'
    return requiredKeys[e.field ?? ''] ?? 'error.required'
  }
  return errorKeys[e.code] ?? null
}

const causes: Record<string, Key> = {
  invalid_credentials: 'cause.credentials',
  too_many_attempts: 'cause.attempts',
  account_disabled: 'cause.account',
  password_reset_required: 'cause.account',
  not_provisioned: 'cause.account',
  dial_number_in_use: 'cause.dial_number',
  invalid_dial_number: 'cause.dial_number',
  dial_number_locked: 'cause.dial_number',
  invalid_extension: 'cause.dial_number',
  station_mode_not_allowed: 'cause.permissions',
  forbidden: 'cause.permissions',
  network_error: 'cause.network',
  bad_response: 'cause.network',
  server_unreachable: 'cause.network',
  internal: 'cause.network',
  load_failed: 'cause.network',
  invalid_url: 'cause.server_url',
  not_agentdesk: 'cause.server_url',
}

/**
 * causeKey names the likely cause of a sign-in problem (dial number, permissions,
 * network/API, ...); any other failure the server answered with a 5xx is put
 * down to the network/API too.
 */
export function causeKey(err: ViewError): Key | null {
  const k = causes[err.code]
  if (k) return k
  if ((err.details?.status ?? 0) >= 500) return 'cause.network'
  return null
}

const policyKeys: Record<string, Key> = {
  too_short: 'policy.too_short',
  too_long: 'policy.too_long',
  common: 'policy.common',
  repetitive: 'policy.repetitive',
  personal: 'policy.personal',
}

/** policyKey explains a password policy reason ("" means the password is fine). */
export function policyKey(reason: string): Key | null {
  if (!reason) return null
  return policyKeys[reason] ?? 'policy.unknown'
}

const signedOutKeys: Record<string, Key> = {
  admin_edit: 'notice.signed_out.admin_edit',
  admin_logout: 'notice.signed_out.admin_logout',
  account_disabled: 'notice.signed_out.account_disabled',
  password_reset: 'notice.signed_out.password_reset',
  password_changed: 'notice.signed_out.password_changed',
  inactivity: 'notice.signed_out.inactivity',
  expired: 'notice.signed_out.expired',
  signed_out: 'notice.signed_out.signed_out',
}

/** noticeKey is the one-line message of a notice (and its reason), or null. */
export function noticeKey(notice: string | undefined, reason: string | undefined, email: string): Key | null {
  switch (notice) {
    case 'credentials_saved':
      return 'notice.credentials_saved'
    case 'credentials_not_saved':
      return 'notice.credentials_not_saved'
    case 'code_sent':
      return email ? 'notice.code_sent' : 'notice.code_sent_generic'
    case 'session_expired':
      return 'notice.session_expired'
    case 'signed_out':
      return signedOutKeys[reason ?? ''] ?? 'notice.signed_out.other'
    default:
      return null
  }
}

/**
 * Which input an error belongs to (the Go side's field names: server, email,
 * password, code, mode, dial_number, extension, team_id, agent_state), when
 * the Go side did not say (Error.field).
 */
export function errorField(err: ViewError): string {
  if (err.field) return err.field
  switch (err.code) {
    case 'invalid_url':
    case 'server_unreachable':
    case 'not_agentdesk':
      return 'server'
    case 'invalid_email':
    case 'self_managed':
      return 'email'
    case 'invalid_credentials':
      return 'password'
    case 'invalid_code':
    case 'code_expired':
      return 'code'
    case 'weak_password':
    case 'password_reset_required':
      return 'password'
    case 'station_mode_not_allowed':
      return 'mode'
    case 'dial_number_in_use':
    case 'invalid_dial_number':
    case 'dial_number_locked':
      return 'dial_number'
    case 'invalid_extension':
      return 'extension'
    case 'unknown_team':
      return 'team_id'
    default:
      return ''
  }
}
