package rl

// OverlongPenalty is DAPO's soft overlong punishment as veRL's DAPO
// reward manager (verl/workers/reward_manager/dapo.py) adds it to the
// score of a response of length tokens, with a budget of maxLen tokens
// and a buffer of the last bufferLen of them:
//
//	min(−(length − (maxLen − bufferLen)) / bufferLen · factor, 0)
//
// 0 up to maxLen − bufferLen tokens, then falling linearly to −factor at
// maxLen. bufferLen must be positive.
func OverlongPenalty(length, maxLen, bufferLen int, factor float64) float64 {
	expected := maxLen - bufferLen
	exceed := float64(length - expected)
	return min(-exceed/float64(bufferLen)*factor, 0)
}
