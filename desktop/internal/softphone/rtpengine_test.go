//go:build linux

package softphone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/infra/voice"
)

// rtpenginePackets asks rtpengine (its ng control protocol, "query") how
// many packets it has received from each side of a call, by From/To tag:
// where media flows, seen from the middle. baresip 1.0.0 stops writing
// its recording after any re-INVITE that changes the direction, so
// during and after a hold its recording cannot tell.
func rtpenginePackets(ctx context.Context, lab *voice.Lab, callID string) (map[string]int64, error) {
	conn, err := lab.DialContext(ctx, "udp", "127.0.0.1:2223")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	cookie := strconv.FormatInt(time.Now().UnixNano(), 36)
	msg := cookie + " " + bencode(map[string]any{"command": "query", "call-id": callID})
	if _, err := conn.Write([]byte(msg)); err != nil {
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 65536)
	n, err := conn.Read(buf)
	if err != nil {
		return nil, err
	}
	body, ok := bytes.CutPrefix(buf[:n], []byte(cookie+" "))
	if !ok {
		return nil, errors.New("rtpengine: reply without our cookie")
	}
	v, _, err := bdecode(body)
	if err != nil {
		return nil, err
	}
	d, _ := v.(map[string]any)
	if d["result"] != "ok" {
		return nil, fmt.Errorf("rtpengine query: %v", d)
	}
	out := map[string]int64{}
	tags, _ := d["tags"].(map[string]any)
	for tag, tv := range tags {
		t, _ := tv.(map[string]any)
		medias, _ := t["medias"].([]any)
		for _, mv := range medias {
			m, _ := mv.(map[string]any)
			streams, _ := m["streams"].([]any)
			for _, sv := range streams {
				s, _ := sv.(map[string]any)
				st, _ := s["stats"].(map[string]any)
				if p, ok := st["packets"].(int64); ok {
					out[tag] += p
				}
			}
		}
	}
	return out, nil
}

func bencode(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Itoa(len(x)) + ":" + x
	case int:
		return "i" + strconv.Itoa(x) + "e"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s := "d"
		for _, k := range keys {
			s += bencode(k) + bencode(x[k])
		}
		return s + "e"
	}
	panic(fmt.Sprintf("bencode %T", v))
}

// bdecode reads one value: strings, integers (int64), lists, dictionaries.
func bdecode(b []byte) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errors.New("bencode: truncated")
	}
	switch c := b[0]; {
	case c == 'i':
		end := bytes.IndexByte(b, 'e')
		if end < 0 {
			return nil, nil, errors.New("bencode: bad integer")
		}
		n, err := strconv.ParseInt(string(b[1:end]), 10, 64)
		return n, b[end+1:], err
	case c == 'l':
		var list []any
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			v, rest, err := bdecode(b)
			if err != nil {
				return nil, nil, err
			}
			list, b = append(list, v), rest
		}
		if len(b) == 0 {
			return nil, nil, errors.New("bencode: unterminated list")
		}
		return list, b[1:], nil
	case c == 'd':
		dict := map[string]any{}
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			k, rest, err := bdecode(b)
			if err != nil {
				return nil, nil, err
			}
			v, rest, err := bdecode(rest)
			if err != nil {
				return nil, nil, err
			}
			ks, _ := k.(string)
			dict[ks], b = v, rest
		}
		if len(b) == 0 {
			return nil, nil, errors.New("bencode: unterminated dictionary")
		}
		return dict, b[1:], nil
	case c >= '0' && c <= '9':
		colon := bytes.IndexByte(b, ':')
		if colon < 0 {
			return nil, nil, errors.New("bencode: bad string")
		}
		n, err := strconv.Atoi(string(b[:colon]))
		if err != nil || colon+1+n > len(b) {
			return nil, nil, errors.New("bencode: bad string length")
		}
		return string(b[colon+1 : colon+1+n]), b[colon+1+n:], nil
	}
	return nil, nil, fmt.Errorf("bencode: unexpected %q", b[0])
}
