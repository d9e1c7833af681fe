package voice

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// Baresip talks to one of the lab's baresip user agents over its ctrl_tcp
// module: commands and their responses, and the events the agent reports
// (registration, call progress), all as JSON in netstrings.
type Baresip struct {
	conn net.Conn

	wmu   sync.Mutex // serialises writes
	mu    sync.Mutex
	next  int
	wait  map[string]chan response
	evs   []Event
	grow  chan struct{} // closed and replaced when evs grows or the reader ends
	done  chan struct{} // closed when the reader ends
	rerr  error         // why the reader ended
	ended bool
}

// Event is one event of the agent, e.g. Class "call", Type
// "CALL_ESTABLISHED" with the peer's URI and the call's id.
type Event struct {
	Class      string `json:"class"`
	Type       string `json:"type"`
	Param      string `json:"param"`
	AccountAOR string `json:"accountaor"`
	Direction  string `json:"direction"`
	PeerURI    string `json:"peeruri"`
	ID         string `json:"id"`
}

type response struct {
	OK   bool   `json:"ok"`
	Data string `json:"data"`
}

type message struct {
	Event    bool   `json:"event"`
	Response bool   `json:"response"`
	Token    string `json:"token"`
	response
}

// NewBaresip starts reading from conn, a connection to an agent's
// ctrl_tcp port.
func NewBaresip(conn net.Conn) *Baresip {
	b := &Baresip{conn: conn, wait: map[string]chan response{}, grow: make(chan struct{}), done: make(chan struct{})}
	go b.read()
	return b
}

// Close closes the connection (the agent keeps running).
func (b *Baresip) Close() error { return b.conn.Close() }

// Command runs a baresip command (dial, hangup, accept, hold, resume,
// transfer, sndcode, reginfo, listcalls, ...) and returns its output.
func (b *Baresip) Command(ctx context.Context, command, params string) (string, error) {
	b.mu.Lock()
	if b.ended {
		err := b.rerr
		b.mu.Unlock()
		return "", fmt.Errorf("baresip %s: connection closed: %w", command, err)
	}
	b.next++
	token := "t" + strconv.Itoa(b.next)
	ch := make(chan response, 1)
	b.wait[token] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.wait, token)
		b.mu.Unlock()
	}()

	body, err := json.Marshal(map[string]string{"command": command, "params": params, "token": token})
	if err != nil {
		return "", err
	}
	b.wmu.Lock()
	_, err = fmt.Fprintf(b.conn, "%d:%s,", len(body), body)
	b.wmu.Unlock()
	if err != nil {
		return "", fmt.Errorf("baresip %s: %w", command, err)
	}
	answer := func(r response) (string, error) {
		if !r.OK {
			return r.Data, fmt.Errorf("baresip %s %q: %s", command, params, r.Data)
		}
		return r.Data, nil
	}
	select {
	case r := <-ch:
		return answer(r)
	case <-ctx.Done():
		return "", fmt.Errorf("baresip %s: %w", command, ctx.Err())
	case <-b.done:
		select {
		case r := <-ch:
			return answer(r)
		default:
			return "", fmt.Errorf("baresip %s: connection closed: %w", command, b.rerr)
		}
	}
}

// Events returns the events received so far.
func (b *Baresip) Events() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Event(nil), b.evs...)
}

// WaitEvent returns the first event from index `from` on (0: since the
// connection opened) that match accepts, with the index after it, waiting
// for one until ctx ends.
func (b *Baresip) WaitEvent(ctx context.Context, from int, match func(Event) bool) (Event, int, error) {
	for {
		b.mu.Lock()
		for i := from; i < len(b.evs); i++ {
			if match(b.evs[i]) {
				e := b.evs[i]
				b.mu.Unlock()
				return e, i + 1, nil
			}
		}
		from = len(b.evs)
		grow, ended, rerr := b.grow, b.ended, b.rerr
		b.mu.Unlock()
		if ended {
			return Event{}, from, fmt.Errorf("baresip: connection closed: %w", rerr)
		}
		select {
		case <-grow:
		case <-ctx.Done():
			return Event{}, from, fmt.Errorf("waiting for a baresip event: %w", ctx.Err())
		}
	}
}

// Type matches events of one type, e.g. Type("CALL_ESTABLISHED").
func Type(t string) func(Event) bool { return func(e Event) bool { return e.Type == t } }

func (b *Baresip) read() {
	r := bufio.NewReader(b.conn)
	var err error
	for {
		var body []byte
		if body, err = readNetstring(r); err != nil {
			break
		}
		var m message
		if err = json.Unmarshal(body, &m); err != nil {
			err = fmt.Errorf("bad message %q: %w", body, err)
			break
		}
		b.mu.Lock()
		switch {
		case m.Response:
			if ch, ok := b.wait[m.Token]; ok {
				ch <- m.response
			}
		case m.Event:
			var e Event
			_ = json.Unmarshal(body, &e)
			b.evs = append(b.evs, e)
			close(b.grow)
			b.grow = make(chan struct{})
		}
		b.mu.Unlock()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = io.EOF
	}
	b.mu.Lock()
	b.ended, b.rerr = true, err
	close(b.grow)
	b.grow = make(chan struct{})
	b.mu.Unlock()
	close(b.done)
}

// readNetstring reads "<length>:<bytes>,".
func readNetstring(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(head[:len(head)-1])
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("bad netstring length %q", head)
	}
	body := make([]byte, n+1)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	if body[n] != ',' {
		return nil, errors.New("netstring without its trailing comma")
	}
	return body[:n], nil
}
