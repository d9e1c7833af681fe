//go:build cgo && !windows

package softphone

// defaultCodecs: Opus preferred, PCMU the fallback.
func defaultCodecs() []Codec { return []Codec{&Opus{}, PCMU{}} }
