package softphone

import "fmt"

// State of the softphone's registration or of a call, as the UI shows it.
type State string

const (
	StateRegistering  State = "registering"
	StateRegistered   State = "registered"
	StateFailed       State = "failed" // Reason says why; no retry follows
	StateUnregistered State = "unregistered"
	StateCalling      State = "calling" // outgoing INVITE sent
	StateRinging      State = "ringing" // incoming call (Answer/Decline), or 180 on an outgoing one
	StateInCall       State = "in_call" // also again after a hold ends
	StateHeld         State = "held"    // we or the peer hold the call (Call.Held: we do)
	// StateReconnecting: the registration was lost (the WebSocket dropped
	// or a refresh failed) and is being retried with backoff;
	// StateRegistered follows when it succeeds.
	StateReconnecting State = "reconnecting"
	StateEnded        State = "ended"
)

// Event is a change of state. Call is set for call states, and an event
// with the call's state (in_call or held) follows every change of hold
// or mute (Reason says which).
type Event struct {
	State  State
	Reason string
	Call   *Call
	Err    error
}

func (e Event) String() string {
	s := string(e.State)
	if e.Call != nil {
		s += " call " + e.Call.ID
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Failure reasons of StateFailed.
var (
	ErrAuth        = fmt.Errorf("softphone: authentication failed (check the extension's SIP credentials)")
	ErrUnreachable = fmt.Errorf("softphone: SIP server unreachable")
)
