package softphone

// G.711 μ-law (ITU-T G.711, the "PCMU" of RTP payload type 0): 16-bit
// linear PCM to 8-bit companded samples and back.

const (
	ulawBias = 0x84 // 132: added before finding the segment
	ulawClip = 32635
)

// EncodeULaw compands one 16-bit linear sample to μ-law.
func EncodeULaw(s int16) byte {
	v := int(s)
	sign := 0
	if v < 0 {
		v = -v
		sign = 0x80
	}
	if v > ulawClip {
		v = ulawClip
	}
	v += ulawBias
	// The segment (exponent) is the position of the highest set bit
	// above bit 7.
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0F
	return ^byte(sign | exp<<4 | mant)
}

// DecodeULaw expands one μ-law sample to 16-bit linear PCM.
func DecodeULaw(u byte) int16 {
	u = ^u
	sign := u & 0x80
	exp := int(u>>4) & 0x07
	mant := int(u & 0x0F)
	v := ((mant << 3) + ulawBias) << exp
	v -= ulawBias
	if sign != 0 {
		return int16(-v)
	}
	return int16(v)
}
