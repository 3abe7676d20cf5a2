package tensor

import "math"

// Exp returns e^x in float32 within about 1 ulp, several times faster than
// math.Exp: Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, then Cephes'
// degree-6 polynomial for e^r and a scale by 2^n through the exponent bits.
// Results below the smallest normal float32 flush to 0.
func Exp(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2Hi = 0.693359375
		ln2Lo = -2.12194440e-4
	)
	// Adding and subtracting 1.5·2²³ rounds to the nearest integer.
	const round = 12582912
	n := (x*log2e + round) - round
	r := x - n*ln2Hi - n*ln2Lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	e := p*r*r + r + 1
	// n can be 128 near the top of the range; scale in two steps there.
	ni := int32(n)
	if ni > 127 {
		return e * 2 * math.Float32frombits(uint32(ni-1+127)<<23)
	}
	if ni < -126 {
		return e * 0.5 * math.Float32frombits(uint32(ni+1+127)<<23)
	}
	return e * math.Float32frombits(uint32(ni+127)<<23)
}

// ExpInPlace replaces every x[i] by e^x[i]; it is the vectorised form of Exp
// (inputs above 88 give e^88 rather than +Inf there, and tiny results may
// stay subnormal instead of flushing to 0).
func ExpInPlace(x []float32) {
	i := 0
	if useAsm && len(x) >= 16 {
		i = len(x) &^ 15
		if useAVX512 {
			expAVX512(&x[0], i)
		} else {
			expAVX(&x[0], i)
		}
	}
	for ; i < len(x); i++ {
		x[i] = Exp(x[i])
	}
}
