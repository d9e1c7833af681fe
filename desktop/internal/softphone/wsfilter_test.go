package softphone

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// A server's ping (with a payload) between two SIP messages reaches sipgo
// as just the two messages.
func TestControlFilterDropsPings(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
	frame := func(op ws.OpCode, p string) {
		if err := ws.WriteFrame(&in, ws.NewFrame(op, true, []byte(p))); err != nil {
			t.Fatal(err)
		}
	}
	big := strings.Repeat("x", 300) // a 2-byte extended length
	frame(ws.OpText, "OPTIONS 1")
	frame(ws.OpPing, "kamailio keep-alive payload....")
	frame(ws.OpText, big)
	frame(ws.OpPong, "")
	frame(ws.OpText, "BYE 2")

	client, server := net.Pipe()
	go func() { _, _ = server.Write(in.Bytes()); server.Close() }()
	f := newControlFilter(client, nil)
	got, err := io.ReadAll(f)
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	var want bytes.Buffer
	want.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
	for _, p := range []string{"OPTIONS 1", big, "BYE 2"} {
		_ = ws.WriteFrame(&want, ws.NewFrame(ws.OpText, true, []byte(p)))
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %q\nwant %q", got, want.Bytes())
	}
}

func TestAddBundle(t *testing.T) {
	offer := "v=0\r\no=- 1 2 IN IP4 169.254.77.1\r\ns=-\r\nt=0 0\r\nm=audio 30000 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\n"
	got := addBundle(offer)
	if !strings.Contains(got, "t=0 0\r\na=group:BUNDLE 1\r\nm=audio") {
		t.Fatalf("got %q", got)
	}
	if again := addBundle(got); again != got {
		t.Fatalf("a second group: %q", again)
	}
}
