package softphone

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync"

	"github.com/emiago/sipgo/sip"
	"github.com/gobwas/ws"
)

// sipgo v1.7.2's WebSocket reader skips a control frame's header but not
// its payload, so the first ping with a payload (Kamailio's keep-alive,
// every 30 s of idle by the lab's config) desynchronises the stream ("use
// of reserved op code") and the connection is lost. controlFilter sits
// under sipgo on the client connection and removes ping and pong frames
// from what sipgo reads; every other frame passes through unchanged.
// Pings are not answered (a pong written here could interleave with a
// frame sipgo is writing); Kamailio does not require one.
type controlFilter struct {
	net.Conn
	onErr     func() // the connection failed (once)
	failed    sync.Once
	r         *bufio.Reader
	handshake bool   // still in the HTTP upgrade response
	out       []byte // header bytes to hand to sipgo
	remain    uint64 // payload bytes of the current data frame
}

func newControlFilter(c net.Conn, onErr func()) *controlFilter {
	return &controlFilter{Conn: c, onErr: onErr, r: bufio.NewReader(c), handshake: true}
}

// conns holds the WebSocket connections open now, so that the phone can
// close one that stopped answering without closing (sipgo would go on
// writing to it).
type conns struct {
	mu  sync.Mutex
	set map[*controlFilter]bool
}

func (cs *conns) add(f *controlFilter) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.set == nil {
		cs.set = map[*controlFilter]bool{}
	}
	cs.set[f] = true
}

func (cs *conns) remove(f *controlFilter) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.set, f)
}

// closeAll closes every connection: sipgo's reader fails, drops them from
// its pool, and the next request dials afresh.
func (cs *conns) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for f := range cs.set {
		_ = f.Conn.Close()
	}
}

// Read reads for sipgo; its first error (the server closed the
// connection, or it broke) is reported through onErr.
func (f *controlFilter) Read(b []byte) (int, error) {
	n, err := f.read(b)
	if err != nil && f.onErr != nil {
		f.failed.Do(f.onErr)
	}
	return n, err
}

func (f *controlFilter) read(b []byte) (int, error) {
	for {
		if len(f.out) > 0 {
			n := copy(b, f.out)
			f.out = f.out[n:]
			return n, nil
		}
		if f.handshake {
			line, err := f.r.ReadBytes('\n')
			if string(line) == "\r\n" {
				f.handshake = false
			}
			f.out = line
			if err != nil && len(line) == 0 {
				return 0, err
			}
			continue
		}
		if f.remain > 0 {
			if uint64(len(b)) > f.remain {
				b = b[:f.remain]
			}
			n, err := f.r.Read(b)
			f.remain -= uint64(n)
			return n, err
		}
		if err := f.nextFrame(); err != nil {
			return 0, err
		}
	}
}

// nextFrame reads a frame header: a ping or pong is read whole and
// dropped, anything else is queued for sipgo with its payload to follow.
func (f *controlFilter) nextFrame() error {
	h := make([]byte, 2, 14)
	if _, err := io.ReadFull(f.r, h); err != nil {
		return err
	}
	var length uint64
	switch l := h[1] & 0x7f; l {
	case 126:
		ext := make([]byte, 2)
		if _, err := io.ReadFull(f.r, ext); err != nil {
			return err
		}
		h = append(h, ext...)
		length = uint64(binary.BigEndian.Uint16(ext))
	case 127:
		ext := make([]byte, 8)
		if _, err := io.ReadFull(f.r, ext); err != nil {
			return err
		}
		h = append(h, ext...)
		length = binary.BigEndian.Uint64(ext)
	default:
		length = uint64(l)
	}
	if h[1]&0x80 != 0 { // masked (a server should not, but keep it whole)
		mask := make([]byte, 4)
		if _, err := io.ReadFull(f.r, mask); err != nil {
			return err
		}
		h = append(h, mask...)
	}
	op := ws.OpCode(h[0] & 0x0f)
	if op == ws.OpPing || op == ws.OpPong {
		_, err := io.CopyN(io.Discard, f.r, int64(length))
		return err
	}
	f.out, f.remain = h, length
	return nil
}

// wsTransport is sipgo's WebSocket transport with controlFilter on every
// connection it dials, reporting failures to onDrop. It dials `u` itself,
// path included: for wss:// gobwas/ws makes the TLS connection (system
// roots, the URI's host name checked) and the filter wraps it. sipgo's
// own WSS transport cannot take the filter (it does not use the dialer's
// WrapConn), and without it the server's first ping breaks the stream;
// the price is that our Via says WS over the TLS connection, which
// Kamailio accepts (it goes by the connection's protocol).
func wsTransport(u *url.URL, live *conns, onDrop func()) *sip.TransportWS {
	return &sip.TransportWS{
		DialURI: func(string) string { return u.String() },
		DialerCreate: func(laddr net.Addr) ws.Dialer {
			d := net.Dialer{LocalAddr: laddr}
			return ws.Dialer{
				Protocols: sip.WebSocketProtocols,
				NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
					return d.DialContext(ctx, network, addr)
				},
				TLSConfig: wsTLSConfig,
				WrapConn: func(c net.Conn) net.Conn {
					var f *controlFilter
					f = newControlFilter(c, func() {
						live.remove(f)
						onDrop()
					})
					live.add(f)
					return f
				},
			}
		},
	}
}

// wsTLSConfig is nil (Go's defaults: system roots) except in tests.
var wsTLSConfig *tls.Config
