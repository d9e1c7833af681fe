// Package session is the desktop's side of a station session: a Keeper that
// sends the heartbeats of one session (POST /v1/sessions/{id}/heartbeat)
// and says when it ends, and a Push that holds the push channel (the
// WebSocket at MeResponse.PushURL) open, reconnecting as needed.
//
// How the desktop uses them:
//
//   - After sign-in, run one Push for as long as the agent is signed in
//     (it does not need a station session). Show a "reconnecting" banner
//     while its state is PushReconnecting; on every PushConnected reload
//     /v1/me, since events sent while disconnected are lost. Hand every
//     event to the current Keeper's HandlePush first; what it leaves
//     (banner_changed, settings_changed, events for other sessions) is the
//     app's.
//   - After POST /v1/sessions (station login), run a Keeper for the session
//     until Run returns. Its Status drives the UI: Healthy; Reconnecting
//     (a banner, "retrying at NextRetry"); a non-zero InactivityDeadline is
//     the "Stay signed in" / "Sign out" prompt (on Stay, record activity
//     and call Touch); Lost ends the session, and Run returns the same
//     *Ended: TakenOver shows "You signed in on another device" with
//     Continue (a new POST /v1/sessions with takeover, then a new Keeper)
//     and Sign out; Revoked goes back to sign-in with Ended.Reason;
//     Unauthorized goes back to sign-in; LeaseExpired and NotFound may sign
//     in to the station again.
//   - Signing out: cancel the Keeper's context, then DELETE
//     /v1/sessions/{id}; cancel the Push when leaving the signed-in state.
//
// The same Refresher is given to both and must coalesce concurrent calls:
// a refresh token is single use.
package session
