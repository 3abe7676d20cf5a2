package reward

import (
	"strconv"
	"strings"
)

// PyFloat formats f as Python's str(float) does (the shortest repr that
// round-trips; fixed notation for exponents in [-4, 16) with at least one
// decimal, scientific otherwise), so that reasons read exactly as the
// reference's f-strings.
func PyFloat(f float64) string {
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, err := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if err != nil || exp < -4 || exp >= 16 {
		return sci // also "NaN", "+Inf": not reachable from a score
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}
