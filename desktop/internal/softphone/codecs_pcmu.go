//go:build !cgo || windows

package softphone

// defaultCodecs: PCMU only. libopus is not available to the Windows cross
// build (nor to any build without cgo), so Opus stays out of it.
func defaultCodecs() []Codec { return []Codec{PCMU{}} }
