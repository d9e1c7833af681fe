package softphone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Media directions (RFC 3264 §6.1).
const (
	dirSendRecv = "sendrecv"
	dirSendOnly = "sendonly"
	dirRecvOnly = "recvonly"
	dirInactive = "inactive"
)

// direction makes a direction from what a side sends and receives.
func direction(send, recv bool) string {
	switch {
	case send && recv:
		return dirSendRecv
	case send:
		return dirSendOnly
	case recv:
		return dirRecvOnly
	}
	return dirInactive
}

func sends(dir string) bool    { return dir == dirSendRecv || dir == dirSendOnly }
func receives(dir string) bool { return dir == dirSendRecv || dir == dirRecvOnly }

// checkSDP parses a peer's SDP and requires an audio section we could use.
func checkSDP(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("no SDP")
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(s); err != nil {
		return fmt.Errorf("malformed SDP: %w", err)
	}
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 && len(m.MediaName.Formats) > 0 {
			return nil
		}
	}
	return errors.New("SDP without an audio stream")
}

// sdpLines splits an SDP into lines without their ends, and returns the
// line end it uses.
func sdpLines(s string) ([]string, string) {
	eol := "\r\n"
	if !strings.Contains(s, "\r\n") {
		eol = "\n"
	}
	return strings.Split(strings.TrimRight(s, "\r\n"), eol), eol
}

// attr returns the value of the first "a=name:" line (media level first).
func attr(s, name string) string {
	lines, _ := sdpLines(s)
	session := ""
	inMedia := false
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			inMedia = true
		}
		if v, ok := strings.CutPrefix(l, "a="+name+":"); ok {
			if inMedia {
				return strings.TrimSpace(v)
			}
			if session == "" {
				session = strings.TrimSpace(v)
			}
		}
	}
	return session
}

// sdpDirection is the audio section's direction (the session's when the
// section has none; sendrecv when neither has one).
func sdpDirection(s string) string {
	lines, _ := sdpLines(s)
	session, media := "", ""
	inMedia := false
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			inMedia = true
		}
		switch v := strings.TrimPrefix(l, "a="); v {
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
			if inMedia {
				media = v
			} else {
				session = v
			}
		}
	}
	switch {
	case media != "":
		return media
	case session != "":
		return session
	}
	return dirSendRecv
}

// withDirection rewrites our SDP with one direction, on the audio
// section, numbered as a new version of the session (RFC 3264 §8: each
// new offer or answer increments the o= version).
func withDirection(s, dir string, version uint64) string {
	lines, eol := sdpLines(s)
	out := make([]string, 0, len(lines)+1)
	for _, l := range lines {
		switch strings.TrimPrefix(l, "a=") {
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
			continue
		}
		if strings.HasPrefix(l, "o=") {
			if f := strings.Fields(l); len(f) == 6 {
				f[2] = strconv.FormatUint(version, 10)
				l = strings.Join(f, " ")
			}
		}
		out = append(out, l)
	}
	out = append(out, "a="+dir) // the audio section is the last (and only) one
	return strings.Join(out, eol) + eol
}

// withSetup sets our DTLS role (a=setup) in every section.
func withSetup(s, role string) string {
	lines, eol := sdpLines(s)
	for i, l := range lines {
		if strings.HasPrefix(l, "a=setup:") {
			lines[i] = "a=setup:" + role
		}
	}
	return strings.Join(lines, eol) + eol
}

// sdpVersion is the o= line's session version.
func sdpVersion(s string) uint64 {
	lines, _ := sdpLines(s)
	for _, l := range lines {
		if f := strings.Fields(l); len(f) == 6 && strings.HasPrefix(l, "o=") {
			v, _ := strconv.ParseUint(f[2], 10, 64)
			return v
		}
	}
	return 0
}

// ourRole is our DTLS role once negotiated: the answerer's a=setup says
// it (active when absent, RFC 4145 §4.1).
func ourRole(local, remote string, weOffered bool) string {
	if weOffered {
		if attr(remote, "setup") == "passive" {
			return "active"
		}
		return "passive"
	}
	if attr(local, "setup") == "passive" {
		return "passive"
	}
	return "active"
}
