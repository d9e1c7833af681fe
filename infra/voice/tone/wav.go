package tone

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
)

// WAV is decoded PCM audio: Samples[c][i] is sample i of channel c, in
// [−1, 1].
type WAV struct {
	SampleRate int
	Samples    [][]float64
}

// Mono averages the channels.
func (w *WAV) Mono() []float64 {
	if len(w.Samples) == 1 {
		return w.Samples[0]
	}
	if len(w.Samples) == 0 {
		return nil
	}
	out := make([]float64, len(w.Samples[0]))
	for _, ch := range w.Samples {
		for i, v := range ch {
			out[i] += v
		}
	}
	for i := range out {
		out[i] /= float64(len(w.Samples))
	}
	return out
}

// Duration is the length of the audio in seconds.
func (w *WAV) Duration() float64 {
	if len(w.Samples) == 0 || w.SampleRate == 0 {
		return 0
	}
	return float64(len(w.Samples[0])) / float64(w.SampleRate)
}

// ReadWAVFile reads a WAV file; see ReadWAV.
func ReadWAVFile(path string) (*WAV, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := ReadWAV(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// ReadWAV decodes a RIFF WAVE file with 8-, 16-, 24- or 32-bit integer or
// 32-bit float PCM (WAVE_FORMAT_EXTENSIBLE included). A data chunk whose
// size is zero or past the end, as a writer leaves it until it closes the
// file, is read up to the end of the file.
func ReadWAV(b []byte) (*WAV, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a RIFF WAVE file")
	}
	var (
		format, channels, bits uint16
		rate                   uint32
		haveFmt                bool
	)
	p := b[12:]
	for len(p) >= 8 {
		id, size := string(p[0:4]), binary.LittleEndian.Uint32(p[4:8])
		body := p[8:]
		if id == "data" {
			if !haveFmt {
				return nil, errors.New("data chunk before fmt chunk")
			}
			if size != 0 && uint64(size) <= uint64(len(body)) {
				body = body[:size]
			}
			return decodePCM(body, format, channels, bits, rate)
		}
		if uint64(size) > uint64(len(body)) {
			return nil, fmt.Errorf("chunk %q truncated", id)
		}
		if id == "fmt " {
			if size < 16 {
				return nil, errors.New("short fmt chunk")
			}
			format = binary.LittleEndian.Uint16(body[0:2])
			channels = binary.LittleEndian.Uint16(body[2:4])
			rate = binary.LittleEndian.Uint32(body[4:8])
			bits = binary.LittleEndian.Uint16(body[14:16])
			if format == 0xFFFE && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the format tag
				format = binary.LittleEndian.Uint16(body[24:26])
			}
			haveFmt = true
		}
		size += size & 1 // chunks are word aligned
		if uint64(size) > uint64(len(body)) {
			break
		}
		p = body[size:]
	}
	return nil, errors.New("no data chunk")
}

func decodePCM(data []byte, format, channels, bits uint16, rate uint32) (*WAV, error) {
	if channels == 0 || rate == 0 {
		return nil, errors.New("fmt chunk: zero channels or sample rate")
	}
	width := int(bits) / 8
	switch {
	case format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32):
	case format == 3 && bits == 32:
	default:
		return nil, fmt.Errorf("unsupported sample format %d with %d bits", format, bits)
	}
	frame := width * int(channels)
	n := len(data) / frame
	w := &WAV{SampleRate: int(rate), Samples: make([][]float64, channels)}
	for c := range w.Samples {
		w.Samples[c] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		for c := 0; c < int(channels); c++ {
			s := data[i*frame+c*width:]
			var v float64
			switch {
			case format == 3:
				v = float64(math.Float32frombits(binary.LittleEndian.Uint32(s)))
			case bits == 8:
				v = (float64(s[0]) - 128) / 128
			case bits == 16:
				v = float64(int16(binary.LittleEndian.Uint16(s))) / 32768
			case bits == 24:
				v = float64(int32(uint32(s[0])<<8|uint32(s[1])<<16|uint32(s[2])<<24)>>8) / 8388608
			case bits == 32:
				v = float64(int32(binary.LittleEndian.Uint32(s))) / 2147483648
			}
			w.Samples[c][i] = v
		}
	}
	return w, nil
}

// EncodeWAV writes 16-bit PCM WAV bytes of the given channels (all of the
// same length), clipping samples to [−1, 1].
func EncodeWAV(sampleRate int, channels ...[]float64) []byte {
	n := 0
	if len(channels) > 0 {
		n = len(channels[0])
	}
	dataLen := n * len(channels) * 2
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + dataLen))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(len(channels)))
	le(uint32(sampleRate))
	le(uint32(sampleRate * len(channels) * 2))
	le(uint16(len(channels) * 2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(dataLen))
	for i := 0; i < n; i++ {
		for _, ch := range channels {
			v := math.Max(-1, math.Min(1, ch[i]))
			le(int16(math.Round(v * 32767)))
		}
	}
	return b.Bytes()
}
