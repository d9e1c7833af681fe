// Package voice runs the voice lab (scripts/voice-lab.sh: Kamailio,
// rtpengine and the baresip user agents customer, tone and echo, inside a
// network namespace of their own) for tests, and talks to its parts: the
// agents' control ports, the namespace's sockets, the recordings.
//
// Typical use in a test:
//
//	lab, err := voice.Start(ctx, voice.Options{Dir: t.TempDir()})
//	if errors.Is(err, voice.ErrUnsupported) { t.Skip(err) }
//	defer lab.Stop(context.Background())
//	customer, _ := lab.Agent(ctx, "customer")
//	customer.Command(ctx, "dial", lab.Env["VOICE_LAB_TONE_URI"])
package voice
