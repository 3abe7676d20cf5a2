package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// Decode returns the text of ids, dropping special tokens when skipSpecial
// is set. Byte sequences that are not valid UTF-8 become U+FFFD, one per
// maximal invalid subpart, as Rust's String::from_utf8_lossy (and so HF)
// does. An id outside the vocabulary is an error.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) (string, error) {
	buf := make([]byte, 0, 4*len(ids))
	buf, err := t.appendBytes(buf, ids, skipSpecial)
	if err != nil {
		return "", err
	}
	out, _ := appendLossy(nil, buf, true)
	return string(out), nil
}

// appendBytes appends the raw bytes of ids.
func (t *Tokenizer) appendBytes(buf []byte, ids []int, skipSpecial bool) ([]byte, error) {
	for i, id := range ids {
		if id < 0 || id >= len(t.pieces) || t.pieces[id] == nil {
			return buf, fmt.Errorf("decode: id %d at position %d is not in the vocabulary (size %d)", id, i, len(t.pieces))
		}
		if skipSpecial && t.special[id] {
			continue
		}
		buf = append(buf, t.pieces[id]...)
	}
	return buf, nil
}

// appendLossy appends b to dst as valid UTF-8, each maximal invalid subpart
// replaced by U+FFFD. Unless atEOF, a trailing incomplete but so far valid
// sequence is not consumed: n is the number of bytes of b used.
func appendLossy(dst, b []byte, atEOF bool) (out []byte, n int) {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			dst = append(dst, b[i])
			i++
			continue
		}
		r, w := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || w > 1 {
			dst = append(dst, b[i:i+w]...)
			i += w
			continue
		}
		k, open := validPrefix(b[i:])
		if open && !atEOF {
			return dst, i
		}
		dst = append(dst, "\uFFFD"...)
		i += k
	}
	return dst, len(b)
}

// validPrefix returns the length (at least 1) of the longest prefix of b,
// which does not start with a valid rune, that could begin a valid UTF-8
// sequence, and whether that prefix runs to the end of b (more bytes could
// still complete it).
func validPrefix(b []byte) (int, bool) {
	c := b[0]
	var size int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch {
	case c >= 0xC2 && c <= 0xDF:
		size = 2
	case c == 0xE0:
		size, lo = 3, 0xA0
	case c == 0xED:
		size, hi = 3, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		size = 3
	case c == 0xF0:
		size, lo = 4, 0x90
	case c == 0xF4:
		size, hi = 4, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		size = 4
	default:
		return 1, false
	}
	k := 1
	for k < size && k < len(b) {
		if b[k] < lo || b[k] > hi {
			return k, false
		}
		lo, hi = 0x80, 0xBF
		k++
	}
	return k, k == len(b)
}

// StreamDecoder turns ids into text one at a time for streaming output. It
// holds back the bytes of an incomplete UTF-8 character until the ids that
// complete it arrive, so a character is never split or mangled; the
// concatenation of everything it returns equals Decode of all the ids.
type StreamDecoder struct {
	t           *Tokenizer
	skipSpecial bool
	pending     []byte
}

// NewStreamDecoder returns a decoder for a stream of ids.
func (t *Tokenizer) NewStreamDecoder(skipSpecial bool) *StreamDecoder {
	return &StreamDecoder{t: t, skipSpecial: skipSpecial}
}

// Next adds ids and returns the text they complete (possibly "").
func (d *StreamDecoder) Next(ids ...int) (string, error) {
	buf, err := d.t.appendBytes(d.pending, ids, d.skipSpecial)
	if err != nil {
		d.pending = buf[:len(d.pending)] // drop the ids before the bad one too
		return "", err
	}
	d.pending = buf
	out, n := appendLossy(nil, d.pending, false)
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return string(out), nil
}

// Flush returns the text of any held-back bytes, U+FFFD for an incomplete
// character, and resets the decoder.
func (d *StreamDecoder) Flush() string {
	out, _ := appendLossy(nil, d.pending, true)
	d.pending = d.pending[:0]
	return string(out)
}
