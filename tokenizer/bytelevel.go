package tokenizer

// GPT-2's byte-level alphabet maps every byte to a printable rune so that
// vocabularies can be stored as JSON strings: printable Latin-1 bytes map to
// themselves and the other 68 bytes to U+0100 onwards, in byte order.
var (
	byteToRune [256]rune
	runeToByte = make(map[rune]byte, 256)
)

func init() {
	next := rune(256)
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		r := rune(b)
		if !printable {
			r = next
			next++
		}
		byteToRune[b] = r
		runeToByte[r] = byte(b)
	}
}

// byteLevelString renders raw bytes in the byte-level alphabet, the form in
// which vocab.json and merges store tokens.
func byteLevelString(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = byteToRune[c]
	}
	return string(rs)
}

// tokenBytes returns the bytes a vocabulary string stands for. As in HF's
// ByteLevel decoder, a string holding a rune outside the alphabet (an added
// token such as "<|im_end|>" is inside it; one with a space is not) stands for
// its own UTF-8 bytes.
func tokenBytes(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeToByte[r]
		if !ok {
			return []byte(s)
		}
		out = append(out, b)
	}
	return out
}
